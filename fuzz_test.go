package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"parley/domain"
	"parley/importer"
	"parley/sample"
	"parley/store"
)

// The fuzz targets send whole requests through the server's handler, with
// the sample data behind it. Whatever arrives, the answer is JSON, its
// status is not 5xx (503 for a request past its deadline is the one
// documented exception), and no error is INTERNAL: a client's bytes must
// never find a bug. Seed corpora are in testdata/fuzz; CI runs each target
// for a few seconds (.ci/run).

// fuzzHandler is the handler over a sample database of the fuzz run's own.
func fuzzHandler(f *testing.F) http.Handler {
	f.Helper()
	st, err := store.Open(filepath.Join(f.TempDir(), "parley.db"), store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	loadSampleInto(f, st)
	return newHandler(st, serveConfig{ImportMaxRecords: 100, MaxBody: defaultMaxBody, MaxImportBody: defaultMaxImportBody})
}

func loadSampleInto(f *testing.F, st domain.Store) {
	f.Helper()
	recs, err := sample.Records()
	if err != nil {
		f.Fatal(err)
	}
	if rep, err := importer.Import(context.Background(), st, recs, domain.DefaultImportOptions()); err != nil || rep.Failed > 0 {
		f.Fatalf("load the sample: %v %+v", err, rep)
	}
}

// checkAnswer fails t when an answer breaks the fuzz targets' rules.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("HTTP %d: the answer is not JSON: %q", rec.Code, rec.Body)
	}
	for _, e := range body.Errors {
		if e.Extensions.Code == "INTERNAL" && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("INTERNAL error for a client's request: %+v", body.Errors)
		}
	}
}

// FuzzGraphQLRequest sends a POST request of any query and variables.
func FuzzGraphQLRequest(f *testing.F) {
	for _, seed := range []struct{ query, vars string }{
		{`{ speakers(first: 5) { totalCount edges { cursor node { key name } } } }`, `{}`},
		{`query($t: String!, $d: PartialDate) { stanceMap(topic: $t, asOf: $d) { positions { stance speaker { name } } } }`, `{"t": "ukraine-nato-membership", "d": "2025-12-01"}`},
		{`query($f: StatementFilter) { statements(filter: $f, first: 3) { edges { node { text saidOn { value precision } } } } }`, `{"f": {"search": "peace plan", "kinds": ["QUOTE"], "saidFrom": "2025-11"}}`},
		{`query($id: ID!) { node(id: $id) { id ... on Statement { text } } }`, `{"id": "U3RhdGVtZW50OjE"}`},
		{`mutation($in: [StatementImport!]!) { importStatements(input: $in, options: {dryRun: true}) { created failed results { status errors { path message } } } }`, `{"in": [{"text": "t", "kind": "QUOTE", "speaker": {"key": "k"}, "saidOn": "2025-13"}]}`},
		{`mutation { createTopic(input: {key: "fuzz", name: "Fuzz"}) { topic { id key } } }`, `null`},
		{`{ __schema { types { name } } }`, ``},
		{`{ a: speakers { totalCount } b: topics { totalCount } ...F } fragment F on Query { sources { totalCount } }`, `{}`},
		{`{ statements(first: 100, after: "AAAA") { pageInfo { hasNextPage endCursor } } }`, `{}`},
	} {
		f.Add(seed.query, seed.vars)
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, query, vars string) {
		req := map[string]any{"query": query}
		if json.Valid([]byte(vars)) {
			req["variables"] = json.RawMessage(vars)
		}
		body, err := json.Marshal(req)
		if err != nil {
			return // query is not UTF-8: the raw-body target covers that
		}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		checkAnswer(t, rec)
	})
}

// FuzzRequestBody sends any bytes as the body of a JSON POST.
func FuzzRequestBody(f *testing.F) {
	for _, seed := range []string{
		`{"query": "{ speakers { totalCount } }"}`,
		`{"query": "{ __typename }", "variables": null, "operationName": null, "extensions": {}}`,
		`[{"query": "{ __typename }"}]`,
		`{"query": 5}`,
		`{"query": "{ __typename }"} trailing`,
		"{\"query\": \"\xff\"}",
		``,
	} {
		f.Add([]byte(seed))
	}
	h := fuzzHandler(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		checkAnswer(t, rec)
	})
}

// FuzzCursorsAndIDs sends any string where the API takes a cursor or a
// global id: the answer is data or BAD_USER_INPUT, never a failure.
func FuzzCursorsAndIDs(f *testing.F) {
	for _, seed := range []string{"", "AAAA", "AQAAAAAAAAAB", "U3RhdGVtZW50OjE", "U3BlYWtlcjox", "!!", "Zm9vOmJhcg", "____", "AP__________________"} {
		f.Add(seed)
	}
	h := fuzzHandler(f)
	const query = `query($s: String!, $id: ID!) {
	  statements(first: 2, after: $s) { edges { cursor } }
	  speakers(last: 2, before: $s) { edges { cursor } }
	  topics(first: 2, after: $s) { edges { cursor } }
	  positions(first: 2, after: $s) { edges { cursor } }
	  node(id: $id) { id }
	}`
	f.Fuzz(func(t *testing.T, s string) {
		body, err := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"s": s, "id": s}})
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		checkAnswer(t, rec)
	})
}
