package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/domain"
	"parley/store"
)

// TestImportSurvivesServerCrash is issue 3's durability target, run on the
// real binary: SIGKILL the server in the middle of `parley import`,
// restart it, `parley import --resume` the same file; the export must then
// equal the export of an uninterrupted import of the file, and Verify must
// find the indexes in step with the records.
func TestImportSurvivesServerCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const records, batch = 1000, 100
	start := time.Now()
	bin := buildParley(t)
	t.Logf("built the binary in %s", time.Since(start).Round(time.Millisecond))
	dir := t.TempDir()
	data := filepath.Join(dir, "statements.jsonl")
	writeFile(t, data, parley(t, bin, "gen", "-n", fmt.Sprint(records), "-seed", "5"))
	importArgs := func(url, name string, extra ...string) []string {
		return append([]string{"import", "--url", url, "--batch", fmt.Sprint(batch),
			"--checkpoint", filepath.Join(dir, name+".checkpoint"), "--rejects", filepath.Join(dir, name+".rejects.jsonl")},
			append(extra, data)...)
	}

	// The reference: the same file imported without interruption.
	refDB := filepath.Join(dir, "reference.db")
	srv := startParley(t, bin, refDB)
	parley(t, bin, importArgs(srv.url, "reference")...)
	srv.stop(t)
	want := parley(t, bin, "export", "--db", refDB)
	if n := bytes.Count(want, []byte("\n")); n != records {
		t.Fatalf("the reference export has %d lines, want %d", n, records)
	}

	// The crash: kill the server once some batches are acknowledged, while
	// the client is sending the next one.
	db := filepath.Join(dir, "crashed.db")
	srv = startParley(t, bin, db)
	imp := exec.Command(bin, importArgs(srv.url, "crashed")...)
	imp.Stdout, imp.Stderr = io.Discard, io.Discard
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = imp.Process.Kill(); _ = imp.Wait() })
	done := waitCheckpoint(t, filepath.Join(dir, "crashed.checkpoint"), 4*batch)
	srv.kill(t)
	// The client would retry for a while and give up; an operator (or the
	// same crash) stops it sooner.
	_ = imp.Process.Kill()
	_ = imp.Wait()
	if done >= records {
		t.Fatalf("the import finished (checkpoint at line %d) before the server was killed", done)
	}
	t.Logf("server killed after line %d of %d was acknowledged", done, records)

	srv = startParley(t, bin, db)
	out := parley(t, bin, importArgs(srv.url, "crashed", "--resume")...)
	srv.stop(t)
	if !bytes.Contains(out, []byte(" 0 failed")) {
		t.Errorf("the resumed import reported failures: %s", out)
	}

	got := parley(t, bin, "export", "--db", db)
	if !bytes.Equal(got, want) {
		t.Errorf("the export after the crash differs from the uninterrupted import's: %s", firstDiff(got, want))
	}
	verifyFile(t, db, records)
	t.Logf("done in %s", time.Since(start).Round(time.Millisecond))
}

// buildParley builds the binary with the test's own race setting, so the
// build reuses the packages the test binary was compiled from.
func buildParley(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "parley")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	cmd := exec.Command(gobin, append(args, ".")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// parley runs a command of the binary to completion and returns its
// standard output; any failure fails the test.
func parley(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("parley %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.Bytes()
}

// server is a `parley serve` process.
type server struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{} // closed when the process has exited
}

// urlWatcher is the server's standard output: it reports the API's URL
// from the line the server prints once it listens.
type urlWatcher struct {
	mu    sync.Mutex
	out   []byte
	found chan string
}

func (w *urlWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.found != nil {
		w.out = append(w.out, p...)
		if m := servingURL.FindSubmatch(w.out); m != nil {
			w.found <- string(m[1])
			w.found = nil
		}
	}
	return len(p), nil
}

var servingURL = regexp.MustCompile(`GraphQL API at (http://\S+)\n`)

// startParley serves db on a free loopback port and waits until it listens.
func startParley(t *testing.T, bin, db string) *server {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", db)
	found := make(chan string, 1)
	w := &urlWatcher{found: found}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.exited = exited
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	select {
	case s.url = <-found:
	case <-exited:
		t.Fatalf("parley serve stopped before listening: %s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("parley serve did not start within 30s: %s", stderr.String())
	}
	return s
}

// stop asks the server to shut down, as an operator would, and waits.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("parley serve did not stop within 30s of SIGTERM")
	}
	if !s.cmd.ProcessState.Success() {
		t.Fatalf("parley serve exited with %v after SIGTERM", s.cmd.ProcessState)
	}
}

// kill stops the server with SIGKILL: no shutdown, no close, no flush.
func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.exited
}

// waitCheckpoint polls the client's checkpoint until it covers at least
// line min, and returns the line it covers.
func waitCheckpoint(t *testing.T, path string, min int) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil {
			var cp struct{ Line int }
			if json.Unmarshal(b, &cp) == nil && cp.Line >= min {
				return cp.Line
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatalf("the checkpoint %s did not reach line %d within 30s", path, min)
	return 0
}

// verifyFile opens the database file the server has released and checks
// that its indexes agree with its records.
func verifyFile(t *testing.T, path string, statements int) {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rep, err := st.Verify(t.Context())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !rep.OK() {
		t.Errorf("Verify found drift after the crash:\n%s", strings.Join(rep.Problems, "\n"))
	}
	if n, err := st.CountStatements(t.Context(), domain.StatementFilter{}); err != nil || n != statements {
		t.Errorf("%d statements (%v), want %d", n, err, statements)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// firstDiff describes where two exports part.
func firstDiff(got, want []byte) string {
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := range min(len(g), len(w)) {
		if !bytes.Equal(g[i], w[i]) {
			return fmt.Sprintf("line %d:\n got: %.300s\nwant: %.300s", i+1, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d", len(g)-1, len(w)-1)
}
