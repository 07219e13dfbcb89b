package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"parley/domain"
	"parley/graph/model"
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

// TestDirectMatchesGqlgenRandom compares the answers of the server with
// the direct path and lean rendering against gqlgen's own for random
// selections of every plain field under the four root fields, with
// aliases, inline fragments and __typename, on the sample data.
func TestDirectMatchesGqlgenRandom(t *testing.T) {
	fast, plain := leanAndPlain(t)

	r := rand.New(rand.NewPCG(7, 11))
	roots := []struct {
		field string
		t     leanType
		args  func() string
	}{
		{"statement", leanStatement, func() string {
			return fmt.Sprintf(`(id: %q)`, model.NewID(model.TypeStatement, domain.ID(1+r.IntN(32))).String())
		}},
		{"statements", leanStatementConnection, func() string {
			filters := []string{``, `, filter: {search: "security"}`, `, filter: {speakers: ["volodymyr-zelensky"]}`,
				`, filter: {topics: ["ukraine-peace-process"], saidFrom: "2025"}`, `, orderBy: SAID_ON_ASC`}
			return fmt.Sprintf(`(first: %d%s)`, 1+r.IntN(10), filters[r.IntN(len(filters))])
		}},
		{"stanceMap", leanStanceMap, func() string {
			dates := []string{``, `, asOf: "2025-12-01"`, `, asOf: "2024"`}
			return fmt.Sprintf(`(topic: "ukraine-nato-membership"%s)`, dates[r.IntN(len(dates))])
		}},
		{"positions", leanPositionConnection, func() string { return fmt.Sprintf(`(first: %d)`, 1+r.IntN(10)) }},
	}
	const runs = 300
	direct := 0
	for i := range runs {
		root := roots[r.IntN(len(roots))]
		alias := ""
		if r.IntN(3) == 0 {
			alias = "r: "
		}
		query := fmt.Sprintf(`{ %s%s%s { %s } }`, alias, root.field, root.args(), randomSelection(r, root.t, 0))
		before := directRuns.Load()
		got := postRaw(t, fast.URL, query, nil)
		if directRuns.Load() > before {
			direct++
		}
		if want := postRaw(t, plain.URL, query, nil); !bytes.Equal(got, want) {
			t.Fatalf("run %d: %s\ndirect: %s\ngqlgen: %s", i, query, got, want)
		}
	}
	// Most random selections are answered directly (the rest are nulls,
	// such as a statement id the sample does not have).
	t.Logf("%d of %d queries took the direct path", direct, runs)
	if direct < runs/2 {
		t.Errorf("only %d of %d queries took the direct path", direct, runs)
	}
}

// randomSelection returns a random selection of t's plain fields, at least
// one, nested up to three levels, some aliased, some in an inline
// fragment, sometimes with __typename.
func randomSelection(r *rand.Rand, t leanType, depth int) string {
	obj := &leanObjects[t]
	names := slices.Sorted(maps.Keys(obj.fields))
	r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	var parts []string
	for _, name := range names[:1+r.IntN(len(names))] {
		child := obj.fields[name]
		if child != leanNone && depth >= 3 {
			continue
		}
		f := name
		if r.IntN(4) == 0 {
			f = fmt.Sprintf("a%d_%s: %s", depth, name, name)
		}
		if child != leanNone {
			f += " { " + randomSelection(r, child, depth+1) + " }"
		}
		parts = append(parts, f)
	}
	if r.IntN(4) == 0 || len(parts) == 0 {
		parts = append(parts, "__typename")
	}
	if r.IntN(5) == 0 {
		parts[0] = fmt.Sprintf("... on %s { %s }", obj.name, parts[0])
	}
	return strings.Join(parts, " ")
}
