package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/bench"
	"parley/store"
)

// TestMain lets a test run the parley command in a child process: the
// load tool starts its floor server by running its own executable, which
// under go test is the test binary. With runMainEnv set, the binary runs
// main with its arguments instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const runMainEnv = "PARLEY_TEST_RUN_MAIN"

func runArgs(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(t.Context(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestBenchCommandUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bench"}, "Usage: parley bench import|query"},
		{[]string{"bench", "frob"}, `unknown benchmark "frob"`},
		{[]string{"bench", "import", "-n", "0"}, "-n, -batch and -pipeline must be positive"},
		{[]string{"bench", "import", "-pipeline", "0"}, "-n, -batch and -pipeline must be positive"},
		{[]string{"bench", "query", "-c", "0"}, "-c, -d and -max must be positive"},
		{[]string{"bench", "floor", "--addr", "0.0.0.0:0"}, "parley bench floor: --addr must be a loopback address such as 127.0.0.1:8091"},
		{[]string{"bench", "stub", "--addr", "example.com:80"}, "parley bench stub: --addr must be a loopback address such as 127.0.0.1:8090"},
	}
	for _, tt := range tests {
		_, stderr, err := runArgs(t, tt.args...)
		if !errors.Is(err, errUsage) || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: err %v, stderr %q; want usage error mentioning %q", tt.args, err, stderr, tt.want)
		}
	}
}

// TestBenchImportThenQuery runs the two benchmarks the way
// docs/benchmarks.md does: W1 into a kept database, then the load tool
// against a server on it.
func TestBenchImportThenQuery(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w1.db")
	stdout, stderr, err := runArgs(t, "bench", "import", "-n", "500", "-batch", "100", "--db", db, "-json")
	if err != nil {
		t.Fatalf("bench import: %v\n%s", err, stderr)
	}
	var w1 struct {
		Records, Batches, Commits int
		Elapsed                   time.Duration `json:"elapsedNs"`
		Writer                    *bench.WriterTime
		MemoryLimit               int64 `json:"memoryLimitBytes"`
	}
	if err := json.Unmarshal([]byte(stdout), &w1); err != nil || w1.Records != 500 || w1.Batches != 5 {
		t.Fatalf("bench import printed %q (%v)", stdout, err)
	}
	if w1.Commits < 1 || w1.Commits > w1.Batches {
		t.Errorf("bench import reported %d commits for %d batches", w1.Commits, w1.Batches)
	}
	if wt := w1.Writer; wt == nil || wt.Busy <= 0 || wt.Busy > w1.Elapsed || wt.Disk <= 0 || wt.Disk+wt.Spill > wt.Busy || wt.Pages < int64(w1.Commits) {
		t.Errorf("bench import reported the writer's time as %+v over a run of %v", wt, w1.Elapsed)
	}
	if want := int64(store.DefaultRecordCacheSize + memoryHeadroomMiB<<20); os.Getenv("GOMEMLIMIT") == "" && w1.MemoryLimit != want {
		t.Errorf("bench import ran with a memory limit of %d bytes, want serve's default %d", w1.MemoryLimit, want)
	}
	if _, _, err := runArgs(t, "bench", "import", "-n", "10", "--db", db); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("bench import into an existing database: %v, want a refusal", err)
	}

	st := openStoreAt(t, db)
	a := serveStore(t, st, st)
	t.Setenv(runMainEnv, "1") // the floor's process runs this test binary
	for _, tc := range []struct{ flag, floor string }{
		{"--floor", "floor"},
		{"--floor-in-client", "floor-in-client"},
	} {
		stdout, stderr, err = runArgs(t, "bench", "query", "--url", a.url, "-q", "Q1,Q5", "-c", "2", "-d", "200ms", "--floor", tc.flag, "-json")
		if err != nil {
			t.Fatalf("bench query %s: %v\n%s", tc.flag, err, stderr)
		}
		var res []bench.LoadResult
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("bench query %s printed %q: %v", tc.flag, stdout, err)
		}
		if len(res) != 3 || res[0].Query != tc.floor || res[0].Requests == 0 || res[1].Query != "Q1" || res[1].FloorRatio <= 0 || res[2].Query != "Q5" {
			t.Errorf("bench query %s: %+v, want the %s row, then Q1 and Q5 with ratios", tc.flag, res, tc.floor)
		}
	}

	_, _, err = runArgs(t, "bench", "query", "--url", "http://192.0.2.1:8080/graphql", "-d", "1s")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("bench query against another host: %v, want a loopback refusal", err)
	}
}

// openStoreAt opens the database at path until the test ends.
func openStoreAt(t *testing.T, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestBenchStubAnswersEveryQuery checks that the store-less stub behind
// "parley bench stub" answers Q1–Q5 and the load tool's sampling without
// an error, so its figures measure the GraphQL layer and nothing else.
func TestBenchStubAnswersEveryQuery(t *testing.T) {
	srv := httptest.NewServer(newHandler(bench.NewStub(50), serveConfig{}))
	t.Cleanup(srv.Close)
	res, err := bench.Load(t.Context(), bench.LoadConfig{URL: srv.URL + "/graphql", Queries: []string{"Q1", "Q2", "Q3", "Q4", "Q5"},
		Concurrency: 2, Duration: 200 * time.Millisecond, MaxRequests: 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Requests == 0 || r.Errors > 0 {
			t.Errorf("%s: %d requests, %d errors (%s)", r.Query, r.Requests, r.Errors, r.FirstError)
		}
	}
}

// TestBenchFloorServesUntilStdinCloses runs the floor server as bench
// query runs it: it says where it listens, answers a POST with the 4 KB
// body, and stops when its standard input closes.
func TestBenchFloorServesUntilStdinCloses(t *testing.T) {
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(t.Context(), []string{"bench", "floor", "--addr", "127.0.0.1:0", "--until-eof"},
			func(string) string { return "" }, stdinR, stdoutW, io.Discard)
		stdoutW.Close()
	}()
	line := make([]byte, 64)
	n, err := stdoutR.Read(line)
	url := strings.TrimSpace(string(line[:n]))
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("bench floor printed %q (%v), want its URL", url, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	resp, err := http.Post(url+"/", "application/json", strings.NewReader(`{"query":"{a}"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) != bench.FloorBodySize {
		t.Errorf("floor answered %s with %d bytes, want 200 with %d", resp.Status, len(body), bench.FloorBodySize)
	}
	stdinW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("bench floor ended with %v, want nil once its input closed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("bench floor still serving 10s after its input closed")
	}
	if _, _, err := runArgs(t, "bench", "floor", "--addr", "192.0.2.1:80"); !errors.Is(err, errUsage) {
		t.Errorf("bench floor on another host's address: %v, want a usage error", err)
	}
}
