package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/bench"
	"parley/store"
)

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
	var w1 struct{ Records, Batches int }
	if err := json.Unmarshal([]byte(stdout), &w1); err != nil || w1.Records != 500 || w1.Batches != 5 {
		t.Fatalf("bench import printed %q (%v)", stdout, err)
	}
	if _, _, err := runArgs(t, "bench", "import", "-n", "10", "--db", db); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("bench import into an existing database: %v, want a refusal", err)
	}

	st := openStoreAt(t, db)
	a := serveStore(t, st, st)
	stdout, stderr, err = runArgs(t, "bench", "query", "--url", a.url, "-q", "Q1,Q5", "-c", "2", "-d", "200ms", "--floor")
	if err != nil {
		t.Fatalf("bench query: %v\n%s", err, stderr)
	}
	for _, want := range []string{"of floor", "floor", "Q1", "Q5"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("bench query printed %q, want %q in it", stdout, want)
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
