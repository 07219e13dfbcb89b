package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"parley/bench"
	"parley/graph/model"
	"parley/store"
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
				serveOnce(b, h, q.Name, body)
			}
		})
	}
}

// BenchmarkHandlerDB is BenchmarkHandlerStub over a real database, with
// each request's variables drawn from its data as parley bench query
// draws them: the server's whole cost per request, store included. It
// runs only when PARLEY_BENCH_DB names a database (such as one written by
// parley bench import --db), which it opens read-only.
func BenchmarkHandlerDB(b *testing.B) {
	path := os.Getenv("PARLEY_BENCH_DB")
	if path == "" {
		b.Skip("PARLEY_BENCH_DB is not set")
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h := newHandler(st, serveConfig{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	w, err := bench.Sample(context.Background(), srv.Client(), srv.URL+"/graphql", 1)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range bench.Queries {
		b.Run(q.Name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			b.ReportAllocs()
			for b.Loop() {
				serveOnce(b, h, q.Name, q.Body(rng, w))
			}
		})
	}
}

// serveOnce posts body to h as a loopback client would and fails the
// benchmark on anything but a 200 answer without errors.
func serveOnce(b *testing.B, h http.Handler, name string, body []byte) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "127.0.0.1:1234"
	req.Host = "127.0.0.1:8080" // a server without tokens answers loopback names only
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
		b.Fatalf("%s: %d %s", name, rec.Code, rec.Body.Bytes())
	}
}
