package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestLeanMatchesGqlgen runs the same requests against a server that
// renders hot results lean and one that leaves everything to gqlgen, and
// wants the same bytes back: same fields, order, escaping, nulls and
// errors. Each case also says whether the lean path must have been taken,
// and whether the whole operation must have been answered directly
// (direct.go), so that a change that silently disables either fails here.
func TestLeanMatchesGqlgen(t *testing.T) {
	lean, plain := leanAndPlain(t)

	const allStatement = `__typename id externalId text kind language dateText location context createdAt updatedAt
		saidOn { __typename value start end precision }
		speaker { __typename id key name kind aliases description country wikidataId createdAt updatedAt
			roles { __typename title from { value precision } to { value } } }
		speakerRole { title from { value start end precision } to { value } }
		topics { __typename id key name description createdAt updatedAt }`
	const allPosition = `__typename id stance summary shift createdAt updatedAt asOf { value start end precision }
		speaker { key name kind } topic { key name }`
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		lean  bool // whether some result must be rendered lean
	}{
		{"speaker feed", `query($s: String!) { statements(filter: {speakers: [$s]}, first: 20) {
			edges { node { id text saidOn { value } speaker { name } topics { key } } } } }`,
			map[string]any{"s": "volodymyr-zelensky"}, true},
		{"every statement field", `{ statements(first: 100) { __typename
			edges { __typename cursor node { ` + allStatement + ` } }
			pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor } } }`, nil, true},
		{"a middle page backwards", `{ statements(last: 3, before: "` + "x" + `") { edges { cursor } } }`, nil, false},
		{"aliases and fragments", `query { a: statements(first: 3, orderBy: SAID_ON_ASC) { ...page } b: statements(first: 2) { ...page } }
			fragment page on StatementConnection { edges { n: node { ...on Statement { i: id t: text } ...names } c: cursor } p: pageInfo { hasNextPage } }
			fragment names on Node { id ... on Statement { speaker { name n2: name } } }`, nil, true},
		{"skip and include", `query($yes: Boolean!, $no: Boolean!) { statements(first: 5) { edges { node {
			id @include(if: $yes) text @include(if: $no) kind @skip(if: $yes) language @skip(if: $no) } } } }`,
			map[string]any{"yes": true, "no": false}, true},
		{"merged occurrences, included", `query($v: Boolean!) { a: statements(first: 2) { edges { node { id } } }
			a: statements(first: 2) @include(if: $v) { edges { node { text } } } }`, map[string]any{"v": true}, true},
		{"merged occurrences, excluded", `query($v: Boolean!) { a: statements(first: 2) { edges { node { id } } }
			a: statements(first: 2) @include(if: $v) { edges { node { text } } } }`, map[string]any{"v": false}, true},
		{"merged occurrences, included again", `query($v: Boolean!) { a: statements(first: 2) { edges { node { id } } }
			a: statements(first: 2) @include(if: $v) { edges { node { text } } } }`, map[string]any{"v": true}, true},
		{"skip inside, first false", `query($v: Boolean!) { statements(first: 2) { edges { node { id text @skip(if: $v) } } } }`,
			map[string]any{"v": false}, true},
		{"skip inside, then true", `query($v: Boolean!) { statements(first: 2) { edges { node { id text @skip(if: $v) } } } }`,
			map[string]any{"v": true}, true},
		{"a statement by id", `query($id: ID!) { statement(id: $id) { ` + allStatement + ` } }`,
			map[string]any{"id": "U3RhdGVtZW50OjE"}, true},
		{"a statement that does not exist", `{ statement(id: "U3RhdGVtZW50Ojk5OTk") { id } }`, nil, false},
		{"stance map", `{ stanceMap(topic: "ukraine-nato-membership", asOf: "2025-12-31") { __typename
			topic { id key name } asOf { value start end precision } positions { ` + allPosition + ` } } }`, nil, true},
		{"positions connection", `{ positions(first: 50) { edges { cursor node { ` + allPosition + ` } } pageInfo { endCursor } } }`, nil, true},
		{"nested connection under a speaker", `{ speaker(key: "volodymyr-zelensky") { name statements(first: 2) { edges { node { id text } } } } }`, nil, true},
		// Fields with resolvers or arguments keep the connection on
		// gqlgen's path; its nodes still go lean where they can.
		{"totalCount", `{ statements(first: 3) { totalCount edges { node { id text } } } }`, nil, true},
		{"highlight", `query($q: String!) { statements(first: 5, filter: {search: $q}) { edges { node { id highlight(search: $q) } } } }`,
			map[string]any{"q": "security guarantees"}, false},
		{"sources and positions", `{ statements(first: 5) { edges { node { id sources { url } positions { stance } } } } }`, nil, false},
		{"role organization", `{ statements(first: 5) { edges { node { speaker { roles { title organization { key } } } } } } }`, nil, false},
		{"evidence", `{ stanceMap(topic: "ukraine-nato-membership") { positions { stance evidence { id } previous { id } } } }`, nil, false},
		{"an error beside a lean result", `{ statements(first: 2) { edges { node { id } } } bad: statements(first: -1) { edges { cursor } } }`, nil, true},
		{"an aliased root field", `{ feed: statements(first: 2, filter: {search: "security"}) { edges { node { id text } } } }`, nil, true},
		{"a root __typename beside", `{ __typename statement(id: "U3RhdGVtZW50OjE") { id } }`, nil, true},
		{"an id of the wrong type", `query($id: ID!) { statement(id: $id) { id } }`, map[string]any{"id": "VG9waWM6MQ"}, false},
		{"an argument that fails", `{ statements(first: 2, after: "not a cursor") { edges { cursor } } }`, nil, false},
		{"a stance map of an unknown topic", `{ stanceMap(topic: "no-such-topic") { positions { stance } } }`, nil, false},
	}
	// The operations answered without gqlgen's executor: one root field,
	// fully lean, no variable directives, and a result.
	direct := map[string]bool{"speaker feed": true, "every statement field": true, "a statement by id": true,
		"stance map": true, "positions connection": true, "an aliased root field": true}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, beforeDirect := leanRenders.Load(), directRuns.Load()
			got := postRaw(t, lean.URL, c.query, c.vars)
			tookLean := leanRenders.Load() > before
			tookDirect := directRuns.Load() > beforeDirect
			want := postRaw(t, plain.URL, c.query, c.vars)
			if !bytes.Equal(got, want) {
				t.Errorf("lean answer differs from gqlgen's\nlean:   %s\ngqlgen: %s", got, want)
			}
			if c.lean && !tookLean {
				t.Errorf("the lean path was not taken: %s", got)
			}
			if !c.lean && tookLean {
				t.Errorf("the lean path was taken for a selection it cannot render")
			}
			if tookDirect != direct[c.name] {
				t.Errorf("answered directly: %v, want %v", tookDirect, direct[c.name])
			}
		})
	}
}

// leanAndPlain serves the sample data twice: with lean rendering and the
// direct path, as NewServer does, and with gqlgen alone.
func leanAndPlain(t *testing.T) (lean, plain *httptest.Server) {
	t.Helper()
	st := openTestStore(t)
	loadSampleData(t, st)
	lean = httptest.NewServer(NewServer(st, Options{}))
	t.Cleanup(lean.Close)
	plain = httptest.NewServer(newServer(st, Options{}, false))
	t.Cleanup(plain.Close)
	return lean, plain
}

func postRaw(t *testing.T, url, query string, vars map[string]any) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte(resp.Status+"\n"), b...)
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tcr\rnl\n", "\x00\x01\x1f\x7f",
		"Зеленський «мир» — 😀", "\xff invalid \xc3", "<mark>&amp;</mark>"} {
		got := appendJSONString(nil, s)
		if want := gqlgenString(s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, gqlgen writes %s", s, got, want)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\n\u2028", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendJSONString(nil, s), gqlgenString(s); !bytes.Equal(got, want) {
			t.Errorf("appendJSONString(%q) = %s, gqlgen writes %s", s, got, want)
		}
	})
}

func gqlgenString(s string) []byte {
	var buf bytes.Buffer
	graphql.MarshalString(s).MarshalGQL(&buf)
	return buf.Bytes()
}
