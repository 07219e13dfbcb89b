package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"parley/importer"
	"parley/store"
)

// The durability tests run the real binary, built from this source, as an
// operator would: they kill it, fill its disk quota, hand it bad files and
// start it twice, and check the database file afterwards.

func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	t.Run("SIGKILL during concurrent writes", func(t *testing.T) { testKill(t, bin) })
	t.Run("max database size", func(t *testing.T) { testMaxSize(t, bin) })
	t.Run("refuses bad files", func(t *testing.T) { testRefusesBadFiles(t, bin) })
	t.Run("second server on the same file", func(t *testing.T) { testSecondServer(t, bin) })
}

// buildBinary builds parley into the test's temporary directory, with the
// race detector when the test has it, so that the build reuses the
// packages compiled for the test.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "parley")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	start := time.Now()
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built the binary in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// proc is a running `parley serve`.
type proc struct {
	cmd    *exec.Cmd
	url    string // of the GraphQL endpoint
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
}

var apiURL = regexp.MustCompile(`GraphQL API at (http://\S+)`)

// startProc starts `parley serve` on db, on a free loopback port, with
// extra flags, and waits until it listens.
func startProc(t *testing.T, bin, db string, flags ...string) *proc {
	t.Helper()
	p := launch(t, bin, db, flags...)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := apiURL.FindStringSubmatch(p.stdoutText()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("parley serve exited before listening: %s", p.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("parley serve did not listen within 20s: %s", p.stderr.String())
		}
	}
}

// launch starts `parley serve` without waiting for it.
func launch(t *testing.T, bin, db string, flags ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, flags...)...)
	p := &proc{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &lockedBuffer{}, p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-p.done })
	return p
}

func (p *proc) stdoutText() string { return p.cmd.Stdout.(*lockedBuffer).String() }

// kill stops the process with SIGKILL: no shutdown, no close.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Kill()
	<-p.done
}

// exit waits for a process that must stop on its own and returns its exit
// code and standard error.
func (p *proc) exit(t *testing.T, within time.Duration) (int, string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(within):
		t.Fatalf("parley serve still runs after %s", within)
	}
	return p.cmd.ProcessState.ExitCode(), p.stderr.String()
}

// importBatch sends records through importStatements, atomically, and
// reports whether the server acknowledged all of them as written.
func importBatch(client *http.Client, url string, recs []map[string]any) bool {
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($in: [StatementImport!]!) { importStatements(input: $in) { created updated unchanged failed } }`,
		"variables": map[string]any{"in": recs},
	})
	res, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	defer res.Body.Close()
	var r struct {
		Data *struct {
			ImportStatements struct{ Created, Failed int }
		}
		Errors []json.RawMessage
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&r) != nil {
		return false
	}
	return r.Data != nil && len(r.Errors) == 0 && r.Data.ImportStatements.Created == len(recs) && r.Data.ImportStatements.Failed == 0
}

// durRecords are batch b of writer w in round n: size statements whose
// external ids say where they come from.
func durRecords(n, w, b, size int) []map[string]any {
	recs := make([]map[string]any, size)
	for i := range recs {
		recs[i] = map[string]any{
			"externalId": fmt.Sprintf("r%02d-w%d-b%04d-%d", n, w, b, i),
			"text":       fmt.Sprintf("Round %d, writer %d, batch %d, statement %d on the peace plan.", n, w, b, i),
			"kind":       "PARAPHRASE",
			"speaker":    map[string]any{"key": fmt.Sprintf("writer-%d", w), "name": fmt.Sprintf("Writer %d", w), "kind": "PERSON"},
			"saidOn":     "2025-12",
			"topics":     []any{map[string]any{"key": "peace-plan", "name": "Peace plan"}},
		}
	}
	return recs
}

// fileState checks the database file the server left: bbolt's check and
// Verify pass; it returns the external ids of its statements.
func fileState(t *testing.T, db string) map[string]bool {
	t.Helper()
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatalf("the file does not open: %v", err)
	}
	defer st.Close()
	ctx := context.Background()
	if problems, err := st.Check(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("bbolt check: %v %v", err, problems)
	}
	if rep, err := st.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify: %v %v", err, rep)
	}
	var buf bytes.Buffer
	if err := importer.Export(ctx, st, &buf); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for line := range strings.Lines(buf.String()) {
		var rec struct{ ExternalID string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		ids[rec.ExternalID] = true
	}
	return ids
}

// testKill kills the server at random moments while writers import
// batches concurrently, 20 times on the same file. After every kill the
// file must open and pass bbolt's check and Verify, every acknowledged
// batch must be there, and every batch must be there whole or not at all.
func testKill(t *testing.T, bin string) {
	const rounds, writers, batchSize = 20, 3, 4
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	db := filepath.Join(t.TempDir(), "parley.db")
	type batch struct{ n, w, b int }
	acked := map[batch]bool{}
	sent := map[batch]bool{}
	for n := range rounds {
		p := startProc(t, bin, db)
		client := &http.Client{Timeout: 10 * time.Second}
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range writers {
			wg.Go(func() {
				for b := 0; ; b++ {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					sent[batch{n, w, b}] = true
					mu.Unlock()
					if !importBatch(client, p.url, durRecords(n, w, b, batchSize)) {
						return // the server is gone
					}
					mu.Lock()
					acked[batch{n, w, b}] = true
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(20+rng.IntN(180)) * time.Millisecond)
		p.kill(t)
		close(stop)
		wg.Wait()
		client.CloseIdleConnections()

		ids := fileState(t, db)
		for bt := range sent {
			present := 0
			for i := range batchSize {
				if ids[fmt.Sprintf("r%02d-w%d-b%04d-%d", bt.n, bt.w, bt.b, i)] {
					present++
				}
			}
			switch {
			case acked[bt] && present != batchSize:
				t.Fatalf("round %d: acknowledged batch %+v has %d of %d statements", n, bt, present, batchSize)
			case present != 0 && present != batchSize:
				t.Fatalf("round %d: batch %+v is half written: %d of %d statements", n, bt, present, batchSize)
			}
		}
	}
	t.Logf("%d rounds: %d batches acknowledged of %d sent", rounds, len(acked), len(sent))
	if len(acked) < rounds {
		t.Errorf("only %d batches were acknowledged in %d rounds: the kills came before any write", len(acked), rounds)
	}
}

// testMaxSize fills a database to its --max-db-size: the write that does
// not fit fails with an error and changes nothing, reads go on, and the
// file is intact and writable again under a larger bound.
func testMaxSize(t *testing.T, bin string) {
	db := filepath.Join(t.TempDir(), "parley.db")
	const maxSize = 1 << 20
	p := startProc(t, bin, db, "--max-db-size", fmt.Sprint(maxSize))
	client := &http.Client{Timeout: 10 * time.Second}
	full := -1
	for b := range 1000 {
		if !importBatch(client, p.url, durRecords(0, 0, b, 50)) {
			full = b
			break
		}
	}
	if full < 1 {
		t.Fatalf("batch %d failed; want some batches to fit in %d bytes and a later one not", full, maxSize)
	}
	// The failed write was reported as an error, not a dropped connection.
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($in: [StatementImport!]!) { importStatements(input: $in) { created } }`,
		"variables": map[string]any{"in": durRecords(0, 0, full, 50)},
	})
	res, err := client.Post(p.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("the write past the bound lost its connection: %v", err)
	}
	var r struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	_ = json.NewDecoder(res.Body).Decode(&r)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Extensions.Code != "INTERNAL" ||
		!strings.Contains(r.Errors[0].Message, "database is full") {
		t.Fatalf("the write past the bound: HTTP %d %+v; want one INTERNAL error saying the database is full", res.StatusCode, r.Errors)
	}
	if !strings.Contains(p.stderr.String(), "maximum size") {
		t.Errorf("the log does not say the database is full:\n%s", p.stderr.String())
	}
	// Reads go on.
	res, err = client.Post(p.url, "application/json", strings.NewReader(`{"query":"{ statements { totalCount } }"}`))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("a read after the database filled: %v %v", res, err)
	}
	res.Body.Close()
	p.kill(t)

	ids := fileState(t, db)
	if len(ids) != full*50 {
		t.Errorf("the file has %d statements; want the %d of the batches that fit", len(ids), full*50)
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() > maxSize {
		t.Errorf("the file grew past the bound: %v %v", fi.Size(), err)
	}

	p = startProc(t, bin, db)
	if !importBatch(client, p.url, durRecords(0, 0, full, 50)) {
		t.Error("without the bound, the write that did not fit does not succeed")
	}
	p.kill(t)
	if ids := fileState(t, db); len(ids) != (full+1)*50 {
		t.Errorf("after raising the bound: %d statements, want %d", len(ids), (full+1)*50)
	}
}

// testRefusesBadFiles hands the server files that are not a database it
// can use: it must refuse to start with a message that says why, and
// leave the file exactly as it was.
func testRefusesBadFiles(t *testing.T, bin string) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	st, err := store.Open(good, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}

	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// A bbolt file altered with bbolt itself.
	boltFile := func(name string, fn func(tx *bolt.Tx) error) string {
		path := write(name, goodBytes)
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		return path
	}
	corrupt := bytes.Clone(goodBytes)
	for _, page := range []int{0, 1} { // both meta pages
		off := page*os.Getpagesize() + 16
		copy(corrupt[off:off+64], bytes.Repeat([]byte{0xA5}, 64))
	}

	tests := []struct {
		name, path, want string
	}{
		{"text file", write("notes.db", []byte("minutes of the meeting, not a database\n")), "not a valid Parley database"},
		{"truncated file", write("truncated.db", goodBytes[:100]), "not a valid Parley database"},
		{"corrupt meta pages", write("corrupt.db", corrupt), "not a valid Parley database"},
		{"another program's bbolt file", boltFile("foreign.db", func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket([]byte("meta")); err != nil {
				return err
			}
			_, err := tx.CreateBucket([]byte("invoices"))
			return err
		}), "not a Parley database"},
		{"newer schema version", boltFile("newer.db", func(tx *bolt.Tx) error {
			v := make([]byte, 4)
			binary.BigEndian.PutUint32(v, store.SchemaVersion+1)
			return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), v)
		}), "newer than this build supports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, beforeInfo := fingerprint(t, tt.path)
			code, stderr := launch(t, bin, tt.path).exit(t, 20*time.Second)
			if code != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and %q", code, stderr, tt.want)
			}
			after, afterInfo := fingerprint(t, tt.path)
			if before != after || !beforeInfo.ModTime().Equal(afterInfo.ModTime()) {
				t.Error("the server changed a file it refused")
			}
		})
	}
}

func fingerprint(t *testing.T, path string) ([32]byte, os.FileInfo) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b), fi
}

// testSecondServer starts a second server on a file another one serves:
// it must fail fast, saying so, and the first must go on serving.
func testSecondServer(t *testing.T, bin string) {
	db := filepath.Join(t.TempDir(), "parley.db")
	first := startProc(t, bin, db)
	start := time.Now()
	code, stderr := launch(t, bin, db).exit(t, 20*time.Second)
	if took := time.Since(start); code != 1 || !strings.Contains(stderr, "in use by another process") || took > 10*time.Second {
		t.Errorf("second server: exit %d after %s, stderr %q", code, took, stderr)
	}
	res, err := http.Post(first.url, "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("the first server after the second one's attempt: %v %v", res, err)
	}
	res.Body.Close()
}
