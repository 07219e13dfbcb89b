package graph

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"parley/domain"
)

// panickyStore panics where the direct path reads.
type panickyStore struct{ domain.Store }

func (panickyStore) Statement(context.Context, domain.ID) (*domain.Statement, error) {
	panic("boom")
}

// TestDirectLeavesPanicsToGqlgen checks that a panic under the direct
// path is answered as gqlgen answers it, once: one response, an INTERNAL
// error, the panic logged with its stack.
func TestDirectLeavesPanicsToGqlgen(t *testing.T) {
	st := openTestStore(t)
	loadSampleData(t, st)
	srv := httptest.NewServer(NewServer(panickyStore{st}, Options{}))
	t.Cleanup(srv.Close)
	log := captureLog(t)

	before := directRuns.Load()
	got := postRaw(t, srv.URL, `{ statement(id: "U3RhdGVtZW50OjE") { id text } }`, nil)
	status, body, _ := strings.Cut(string(got), "\n")
	var resp struct {
		Errors []struct{ Extensions map[string]any }
		Data   map[string]any
	}
	dec := json.NewDecoder(strings.NewReader(body))
	if err := dec.Decode(&resp); err != nil || dec.More() {
		t.Fatalf("%s: not one JSON response (%v): %s", status, err, body)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions[extCode] != "INTERNAL" {
		t.Errorf("%s: want one INTERNAL error: %s", status, body)
	}
	if directRuns.Load() != before {
		t.Errorf("the direct path counted an answer it did not give")
	}
	if n := strings.Count(log.String(), "panic in resolver"); n != 1 || !strings.Contains(log.String(), "boom") {
		t.Errorf("want the panic logged once, with its value: %s", log)
	}
}
