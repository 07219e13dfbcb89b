package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"parley/bench"
	"parley/graph/model"
)

// BenchmarkHandlerStub measures the server side of Q1–Q5 through the real
// handler (the routes, middleware and gqlgen executor of parley serve)
// over bench.Stub, a store whose reads cost nothing: the GraphQL layer's
// own cost per request, without a network or a load client. Profile it
// with -cpuprofile; compare changes with benchstat.
func BenchmarkHandlerStub(b *testing.B) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	h := newHandler(bench.NewStub(1500), serveConfig{})
	vars := map[string]map[string]any{
		"Q1": {"speaker": "x"},
		"Q2": {"topic": "x"},
		"Q3": {"search": "two words"},
		"Q4": {"topic": "x", "asOf": "2025-12-01"},
		"Q5": {"id": model.NewID(model.TypeStatement, 1).String()},
	}
	for _, q := range bench.Queries {
		body, err := json.Marshal(map[string]any{"query": q.Doc, "variables": vars[q.Name]})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(q.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.RemoteAddr = "127.0.0.1:1234"
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
					b.Fatalf("%s: %d %s", q.Name, rec.Code, rec.Body.Bytes())
				}
			}
		})
	}
}
