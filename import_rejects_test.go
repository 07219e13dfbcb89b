package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"parley/client"
	"parley/domain"
)

// badDateLine is an import record the server rejects: month 13.
const badDateLine = `{"text":"bad date","kind":"QUOTE","speaker":{"key":"x","name":"X","kind":"PERSON"},"saidOn":"2025-13"}`

// writeLines writes the lines as a JSONL file and returns its path.
func writeLines(t *testing.T, lines ...[]byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(file, append(bytes.Join(lines, []byte("\n")), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// rejectedLines reads a rejects file: the line numbers, in file order,
// and each line's first error code.
func rejectedLines(t *testing.T, path string) (lines []int, codes []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r struct {
			Line   int
			Errors []struct{ Code string }
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, r.Line)
		code := ""
		if len(r.Errors) > 0 {
			code = r.Errors[0].Code
		}
		codes = append(codes, code)
	}
	return lines, codes
}

func importCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), append([]string{"import"}, args...), func(string) string { return "" }, nil, &stdout, &stderr)
	return stdout.String(), err
}

// With --atomic, a batch with a bad record writes nothing, and its good
// records come back SKIPPED. They must not be lost: every record is
// either stored or in the rejects file, so that importing the rejects
// file once the bad record is mended imports everything.
func TestImportClientAtomicRejectsRolledBackRecords(t *testing.T) {
	a := newAPI(t, false)
	l := sampleLines(t)
	file := writeLines(t, l[0], []byte(badDateLine), l[1], l[2], l[3])
	out, err := importCmd(t, "--url", a.url, "--atomic", "--batch", "100", file)
	if err != errFailedRecords {
		t.Fatalf("import = %v, want errFailedRecords; %s", err, out)
	}
	n, _ := a.store.CountStatements(context.Background(), domain.StatementFilter{})
	if n != 0 {
		t.Fatalf("%d statements stored; the atomic batch must write nothing", n)
	}
	lines, codes := rejectedLines(t, file+".rejects.jsonl")
	if want := []int{1, 2, 3, 4, 5}; !slices.Equal(lines, want) {
		t.Fatalf("rejects file lists lines %v, want %v (every record of the rolled-back batch)", lines, want)
	}
	if want := []string{"ROLLED_BACK", "BAD_USER_INPUT", "ROLLED_BACK", "ROLLED_BACK", "ROLLED_BACK"}; !slices.Equal(codes, want) {
		t.Fatalf("rejects' codes %v, want %v", codes, want)
	}

	// Without --atomic the good records land and only the bad one is
	// rejected: SKIPPED is a rejection only when a failure rolled it back.
	b := newAPI(t, false)
	if out, err := importCmd(t, "--url", b.url, "--batch", "100", file); err != errFailedRecords || !strings.Contains(out, "4 created") {
		t.Fatalf("import = %v, %s; want 4 created and one failure", err, out)
	}
	if lines, _ := rejectedLines(t, file+".rejects.jsonl"); !slices.Equal(lines, []int{2}) {
		t.Fatalf("rejects file lists lines %v, want [2]", lines)
	}
}

// The rejects file keeps the input's order, whether a line was refused by
// the client (not JSON) or by the server, and a UTF-8 byte order mark
// before the first line is no error.
func TestImportClientRejectsInInputOrder(t *testing.T) {
	a := newAPI(t, false)
	l := sampleLines(t)
	first := append([]byte("\xEF\xBB\xBF"), l[0]...)
	file := writeLines(t, first, l[1], []byte(badDateLine), []byte("{not json"), l[2], []byte("[1]"))
	out, err := importCmd(t, "--url", a.url, "--batch", "2", file)
	if err != errFailedRecords || !strings.Contains(out, "3 created") || !strings.Contains(out, "3 failed (2 bad lines)") {
		t.Fatalf("import = %v, summary %q; want 3 created, 3 failed (2 bad lines)", err, out)
	}
	if lines, _ := rejectedLines(t, file+".rejects.jsonl"); !slices.Equal(lines, []int{3, 4, 6}) {
		t.Fatalf("rejects file lists lines %v, want [3 4 6]", lines)
	}
}

// An import that stops part way (here the server refuses the third call
// for good) and is resumed rejects and counts each bad line once, with
// one batch in flight or several.
func TestImportClientResumeCountsBadLinesOnce(t *testing.T) {
	for _, pipeline := range []string{"1", "3"} {
		t.Run("pipeline "+pipeline, func(t *testing.T) {
			h := newHandler(openStore(t), serveConfig{})
			var calls atomic.Int32
			var refuse atomic.Bool
			refuse.Store(true)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if refuse.Load() && calls.Add(1) == 3 {
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"errors":[{"message":"token expired","extensions":{"code":"UNAUTHENTICATED"}}]}`))
					return
				}
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			l := sampleLines(t)
			file := writeLines(t, l[0], l[1], l[2], l[3], []byte("{not json"), l[4], l[5])
			args := []string{"--url", srv.URL + endpoint, "--batch", "2", "--pipeline", pipeline, file}
			if _, err := importCmd(t, args...); err == nil || errors.Is(err, errFailedRecords) {
				t.Fatalf("first run = %v, want the server's refusal to stop it", err)
			}
			refuse.Store(false)
			out, err := importCmd(t, append([]string{"--resume"}, args...)...)
			if err != errFailedRecords || !strings.Contains(out, "6 created") || !strings.Contains(out, "1 failed (1 bad lines)") {
				t.Fatalf("resume = %v, summary %q; want 6 created, 1 failed (1 bad lines)", err, out)
			}
			if lines, _ := rejectedLines(t, file+".rejects.jsonl"); !slices.Equal(lines, []int{5}) {
				t.Fatalf("rejects file lists lines %v, want line 5 once", lines)
			}
			var cp struct{ Summary client.Summary }
			b, err := os.ReadFile(file + ".checkpoint")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &cp); err != nil {
				t.Fatal(err)
			}
			if cp.Summary.Lines != 7 || cp.Summary.BadLines != 1 {
				t.Fatalf("checkpoint summary %+v: want 7 lines, 1 bad", cp.Summary)
			}
		})
	}
}

// A dry run of more than one batch says how far it can be trusted.
func TestImportClientDryRunNote(t *testing.T) {
	a := newAPI(t, false)
	l := sampleLines(t)
	file := writeLines(t, l[0], l[1], l[2])
	for _, tc := range []struct {
		batch string
		note  bool
	}{{"2", true}, {"10", false}} {
		// With two batches, the third sample line fails in the dry run:
		// its speaker is created by the first batch.
		out, err := importCmd(t, "--url", a.url, "--dry-run", "--batch", tc.batch, file)
		if err != nil && !(tc.note && errors.Is(err, errFailedRecords)) {
			t.Fatalf("--batch %s: %v; %s", tc.batch, err, out)
		}
		if got := strings.Contains(out, "note: a dry run checks each batch"); got != tc.note {
			t.Errorf("--batch %s: note printed %v, want %v: %s", tc.batch, got, tc.note, out)
		}
	}
	if n, _ := a.store.CountStatements(context.Background(), domain.StatementFilter{}); n != 0 {
		t.Fatalf("a dry run stored %d statements", n)
	}
}

// --resume refuses a file whose first lines are not those the checkpoint
// covers, and goes on with one that only grew.
func TestImportClientResumeChecksTheFile(t *testing.T) {
	a := newAPI(t, false)
	l := sampleLines(t)
	file := writeLines(t, l[0], []byte(badDateLine), l[1])
	if _, err := importCmd(t, "--url", a.url, "--batch", "1", file); err != errFailedRecords {
		t.Fatalf("first run: %v", err)
	}
	if _, err := os.Stat(file + ".checkpoint"); err != nil {
		t.Fatalf("no checkpoint after a run with failures: %v", err)
	}

	grown := writeLines(t, l[0], []byte(badDateLine), l[1], l[2])
	if err := os.Rename(grown, file); err != nil {
		t.Fatal(err)
	}
	out, err := importCmd(t, "--url", a.url, "--resume", file)
	if err != errFailedRecords || !strings.Contains(out, "3 created") {
		t.Fatalf("resume of the grown file = %v, %s; want the new line imported", err, out)
	}

	changed := writeLines(t, l[3], l[4], l[5], l[6])
	if err := os.Rename(changed, file); err != nil {
		t.Fatal(err)
	}
	if _, err := importCmd(t, "--url", a.url, "--resume", file); err == nil || !strings.Contains(err.Error(), "not the file the checkpoint") {
		t.Fatalf("resume of another file = %v, want a refusal", err)
	}
	shorter := writeLines(t, l[0])
	if err := os.Rename(shorter, file); err != nil {
		t.Fatal(err)
	}
	if _, err := importCmd(t, "--url", a.url, "--resume", file); err == nil || !strings.Contains(err.Error(), "written for another file") {
		t.Fatalf("resume of a shorter file = %v, want a refusal", err)
	}
}

func TestImportCommandRefusesNonPositiveSizes(t *testing.T) {
	file := writeLines(t, sampleLines(t)[0])
	for _, args := range [][]string{{"--batch", "-5"}, {"--batch", "0"}, {"--pipeline", "-1"}} {
		if _, err := importCmd(t, append(args, "--url", "http://127.0.0.1:1/graphql", file)...); !errors.Is(err, errUsage) {
			t.Errorf("import %v: %v, want a usage error", args, err)
		}
	}
}

// A file whose last line had no newline can still grow and be resumed.
func TestImportClientResumeAfterALastLineWithoutNewline(t *testing.T) {
	a := newAPI(t, false)
	l := sampleLines(t)
	file := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(file, bytes.Join([][]byte{l[0], []byte(badDateLine), l[1]}, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := importCmd(t, "--url", a.url, "--batch", "1", file); err != errFailedRecords {
		t.Fatalf("first run: %v", err)
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(append(append([]byte("\n"), l[2]...), '\n'))
	f.Close()
	out, err := importCmd(t, "--url", a.url, "--resume", file)
	if err != errFailedRecords || !strings.Contains(out, "3 created") {
		t.Fatalf("resume of the grown file = %v, %s; want the new line imported", err, out)
	}
}
