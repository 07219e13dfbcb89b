package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"parley/client"
	"parley/domain"
	"parley/gen"
	"parley/store"
)

// pipelineInput is generated records followed by later versions of some of
// them (same externalId, new text), so the order in which batches commit
// decides what the database holds.
func pipelineInput(t *testing.T, n int) []byte {
	t.Helper()
	d := gen.New(gen.Config{N: n, Seed: 7})
	var recs []domain.StatementImport
	for rec, ok := d.Next(); ok; rec, ok = d.Next() {
		recs = append(recs, rec)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i, rec := range recs {
		if err := enc.Encode(rec); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 { // an update of a record a few batches back
			upd := recs[i-9]
			upd.Text = fmt.Sprintf("%s (revised after record %d)", upd.Text, i)
			if err := enc.Encode(upd); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.Bytes()
}

// importWith imports in through a fresh server with the client settings
// and returns the summary and the export of the database.
func importWith(t *testing.T, in []byte, batch, pipeline int, wrap func(http.Handler, func() http.Handler) http.Handler) (*client.Summary, []byte) {
	t.Helper()
	st := openStore(t)
	handler := func() http.Handler { return newHandler(st, serveConfig{}) }
	var h http.Handler = handler()
	if wrap != nil {
		h = wrap(h, handler)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	sum, err := client.Import(context.Background(), client.Config{URL: srv.URL + endpoint, BatchSize: batch, Pipeline: pipeline}, bytes.NewReader(in))
	if err != nil {
		t.Fatalf("import with pipeline %d: %v", pipeline, err)
	}
	checkVerify(t, st)
	return sum, export(t, st)
}

func checkVerify(t *testing.T, st *store.Store) {
	t.Helper()
	rep, err := st.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("Verify found drift: %v", rep.Problems)
	}
}

func sameSummary(a, b *client.Summary) bool {
	x, y := *a, *b
	x.Elapsed, y.Elapsed = 0, 0
	return x == y
}

// Batches in flight at once commit in the file's order: the database and
// the summary are those of sending one batch at a time.
func TestClientPipelineMatchesSerialImport(t *testing.T) {
	in := pipelineInput(t, 600)
	serialSum, serial := importWith(t, in, 25, 1, nil)
	if serialSum.Updated == 0 {
		t.Fatalf("summary %s: the input should update records of earlier batches", serialSum)
	}
	for _, pipeline := range []int{2, 4} {
		sum, got := importWith(t, in, 25, pipeline, nil)
		if !bytes.Equal(got, serial) {
			t.Errorf("pipeline %d: export differs from the serial import's", pipeline)
		}
		if !sameSummary(sum, serialSum) {
			t.Errorf("pipeline %d: summary %s, serial %s", pipeline, sum, serialSum)
		}
	}
}

// A server that restarts mid-import forgets the client's stream: the calls
// in flight are refused, and the client sends them again on a new stream
// without changing the outcome.
func TestClientPipelineSurvivesForgottenStream(t *testing.T) {
	in := pipelineInput(t, 600)
	serialSum, serial := importWith(t, in, 25, 1, nil)
	var calls, restarts atomic.Int32
	restartEvery := func(h http.Handler, fresh func() http.Handler) http.Handler {
		var mu sync.Mutex
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if calls.Add(1)%7 == 0 { // a new server: a new, empty sequencer
				h = fresh()
				restarts.Add(1)
			}
			cur := h
			mu.Unlock()
			cur.ServeHTTP(w, r)
		})
	}
	sum, got := importWith(t, in, 25, 3, restartEvery)
	if restarts.Load() == 0 {
		t.Fatal("the server never restarted")
	}
	if !bytes.Equal(got, serial) {
		t.Error("export differs from the serial import's")
	}
	if !sameSummary(sum, serialSum) {
		t.Errorf("summary %s, serial %s", sum, serialSum)
	}
}

// The import stream contract over HTTP: what a client that keeps batches
// in flight relies on.
func TestImportSequenceOverHTTP(t *testing.T) {
	a := newAPI(t, false)
	lines := sampleLines(t)
	seq := func(stream string, n int) vars {
		return vars{"atomic": false, "sequence": vars{"stream": stream, "seq": n}}
	}

	first := a.importRecords(lines[:3], seq("s1", 0))
	if first.Created != 3 {
		t.Fatalf("call 0: %+v, want 3 created", first)
	}
	before := a.snapshot()
	again := a.importRecords(lines[:3], seq("s1", 0))
	if again.Created != 3 || *again.Results[0].ID != *first.Results[0].ID {
		t.Errorf("repeated call 0 answered %+v, want call 0's report again", again)
	}
	if a.snapshot() != before {
		t.Error("a repeated call wrote")
	}
	if next := a.importRecords(lines[3:5], seq("s1", 1)); next.Created != 2 {
		t.Errorf("call 1: %+v, want 2 created", next)
	}

	for _, tc := range []struct {
		name    string
		options vars
		code    string
		field   string
	}{
		{"unknown stream", seq("never-started", 5), "CONFLICT", "options.sequence.seq"},
		{"negative seq", seq("s1", -1), "BAD_USER_INPUT", "options.sequence.seq"},
		{"empty stream name", seq("", 0), "BAD_USER_INPUT", "options.sequence.stream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := a.snapshot()
			e := a.fail(importMutation, vars{"input": lines[5:7], "options": tc.options})
			if e.Extensions.Code != tc.code || e.Extensions.Field != tc.field {
				t.Errorf("error %+v, want %s on %s", e, tc.code, tc.field)
			}
			if a.snapshot() != before {
				t.Error("a refused call wrote")
			}
		})
	}
}
