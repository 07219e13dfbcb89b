package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/domain"
)

func TestNode(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)

	tests := []struct {
		id, typename, key string
	}{
		{f.peskov, "Speaker", "dmitry-peskov"},
		{f.topic, "Topic", "us-peace-plan"},
		{f.source, "Source", "https://example.org/a"},
		{f.statement, "Statement", "The talks were useful."},
		{f.position, "Position", "MIXED"},
	}
	const q = `query($id: ID!) { node(id: $id) { __typename id
	  ... on Speaker { key } ... on Topic { key } ... on Source { url } ... on Statement { text } ... on Position { stance } } }`
	for _, tt := range tests {
		t.Run(tt.typename, func(t *testing.T) {
			a.t = t
			var got struct{ Node map[string]string }
			a.do(q, vars{"id": tt.id}, &got)
			n := got.Node
			if n["__typename"] != tt.typename || n["id"] != tt.id || !slices.Contains([]string{n["key"], n["url"], n["text"], n["stance"]}, tt.key) {
				t.Errorf("node(%s) = %v", tt.id, n)
			}
		})
	}

	t.Run("missing", func(t *testing.T) {
		a.t = t
		var got struct{ Node *struct{ ID string } }
		a.do(q, vars{"id": "U3RhdGVtZW50Ojk5OQ"}, &got) // Statement:999
		if got.Node != nil {
			t.Errorf("node of a missing record = %+v, want null", got.Node)
		}
	})
}

// TestBadArguments checks that malformed ids, cursors, dates and page sizes
// are BAD_USER_INPUT errors that name the argument.
func TestBadArguments(t *testing.T) {
	a := newAPI(t, false)
	f := newFixture(a)

	tests := []struct {
		name  string
		query string
		vars  vars
		field string
	}{
		{"id not base64", `{ node(id: "%%%") { id } }`, nil, "id"},
		{"id of no type", `{ node(id: "Rm9vOjE") { id } }`, nil, "id"},       // Foo:1
		{"id with a zero", `{ node(id: "U3BlYWtlcjow") { id } }`, nil, "id"}, // Speaker:0
		{"id padded", `{ node(id: "U3BlYWtlcjox==") { id } }`, nil, "id"},
		{"id as a number", `{ node(id: 1) { id } }`, nil, "id"},
		{"id variable", `query($id: ID!) { node(id: $id) { id } }`, vars{"id": "garbage"}, "id"},
		{"statement id of a speaker", `query($id: ID!) { statement(id: $id) { id } }`, vars{"id": f.peskov}, "id"},
		{"cursor not base64", `{ statements(after: "***") { totalCount } }`, nil, "after"},
		// The store reports a cursor it cannot read without naming the argument.
		{"cursor of nothing", `{ statements(before: "AAAA") { totalCount } }`, nil, ""},
		{"date", `{ statements(filter: {saidFrom: "2025-13"}) { totalCount } }`, nil, "filter.saidFrom"},
		{"date variable", `query($d: PartialDate) { stanceMap(topic: "us-peace-plan", asOf: $d) { asOf { value } } }`, vars{"d": "2025-02-30"}, "asOf"},
		{"date not a string", `{ statements(filter: {saidTo: 2025}) { totalCount } }`, nil, "filter.saidTo"},
		{"dates swapped", `{ statements(filter: {saidFrom: "2025-12", saidTo: "2025-11"}) { totalCount } }`, nil, "filter.saidTo"},
		{"search of no words", `{ statements(filter: {search: "  \"\" "}) { totalCount } }`, nil, "filter.search"},
		{"first 101", `{ statements(first: 101) { totalCount } }`, nil, "first"},
		{"first 0", `{ speakers(first: 0) { totalCount } }`, nil, "first"},
		{"last 101", `{ topics(last: 101) { totalCount } }`, nil, "last"},
		{"nested first", `{ topic(key: "us-peace-plan") { statements(first: 500) { totalCount } } }`, nil, "first"},
		{"nested filter", `{ speaker(key: "kremlin") { statements(filter: {speakers: ["x"]}) { totalCount } } }`, nil, "filter.speakers"},
		{"unknown filter parent", `{ topics(filter: {parent: "nothing"}) { totalCount } }`, nil, "filter.parent"},
		{"both first and last", `{ positions(first: 1, last: 1) { totalCount } }`, nil, ""},
		{"key and id", `query($id: ID) { speaker(key: "kremlin", id: $id) { id } }`, vars{"id": f.kremlin}, ""},
		{"enum value", `{ statements(filter: {kinds: [QUOT]}) { totalCount } }`, nil, ""},
		{"enum variable", `query($k: [StatementKind!]) { statements(filter: {kinds: $k}) { totalCount } }`, vars{"k": []string{"QUOT"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			e := a.fail(tt.query, tt.vars)
			if e.Extensions.Code != "BAD_USER_INPUT" || e.Extensions.Field != tt.field {
				t.Errorf("error %q: code %s, field %q; want BAD_USER_INPUT, %q", e.Message, e.Extensions.Code, e.Extensions.Field, tt.field)
			}
		})
	}

	t.Run("malformed document", func(t *testing.T) {
		a.t = t
		if e := a.fail(`{ statements(first: 1) { nope } }`, nil); e.Extensions.Code != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("code %s, want GRAPHQL_VALIDATION_FAILED", e.Extensions.Code)
		}
	})
}

// sampleStatement is what the filter and order tests know of a statement.
type sampleStatement struct {
	ID      string
	Text    string
	Kind    string
	Speaker struct{ Key, Country string }
	SaidOn  *struct{ Start, End string }
	Topics  []struct{ Key string }
	Sources []struct{ URL string }
	Created string `json:"createdAt"`
}

func (s sampleStatement) created(t *testing.T) time.Time {
	t.Helper()
	c, err := time.Parse(time.RFC3339Nano, s.Created)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const sampleStatementFields = `id text kind speaker { key country } saidOn { start end } topics { key } sources { url } createdAt`

// allStatements reads every statement in one page.
func allStatements(a *api) []sampleStatement {
	a.t.Helper()
	var out struct {
		Statements struct {
			TotalCount int
			Edges      []struct{ Node sampleStatement }
		}
	}
	a.do(`{ statements(first: 100) { totalCount edges { node { `+sampleStatementFields+` } } } }`, nil, &out)
	if n := out.Statements.TotalCount; n != len(out.Statements.Edges) || n == 0 || n == 100 {
		a.t.Fatalf("%d statements in the page, totalCount %d: the test needs all of them in one page", len(out.Statements.Edges), n)
	}
	ss := make([]sampleStatement, len(out.Statements.Edges))
	for i, e := range out.Statements.Edges {
		ss[i] = e.Node
	}
	return ss
}

// TestStatementFilters compares each filter's result on the sample data
// with the same filter applied by the test to every statement.
func TestStatementFilters(t *testing.T) {
	a := newAPI(t, true)
	all := allStatements(a)

	// The topic tree, for "subtopics included".
	var tree struct {
		Topics struct {
			Edges []struct {
				Node struct {
					Key    string
					Parent *struct{ Key string }
				}
			}
		}
	}
	a.do(`{ topics(first: 100) { edges { node { key parent { key } } } } }`, nil, &tree)
	under := func(key string, roots []string) bool {
		for key != "" {
			if slices.Contains(roots, key) {
				return true
			}
			parent := ""
			for _, e := range tree.Topics.Edges {
				if e.Node.Key == key && e.Node.Parent != nil {
					parent = e.Node.Parent.Key
				}
			}
			key = parent
		}
		return false
	}
	sourceURL := all[0].Sources[0].URL

	type filter struct {
		Speakers  []string `json:"speakers,omitempty"`
		Topics    []string `json:"topics,omitempty"`
		Countries []string `json:"countries,omitempty"`
		Kinds     []string `json:"kinds,omitempty"`
		SaidFrom  string   `json:"saidFrom,omitempty"`
		SaidTo    string   `json:"saidTo,omitempty"`
		Source    string   `json:"source,omitempty"`
		Search    string   `json:"search,omitempty"`
	}
	match := func(f filter, s sampleStatement) bool {
		if f.Speakers != nil && !slices.Contains(f.Speakers, s.Speaker.Key) ||
			f.Countries != nil && !slices.Contains(f.Countries, s.Speaker.Country) ||
			f.Kinds != nil && !slices.Contains(f.Kinds, s.Kind) {
			return false
		}
		if f.Topics != nil && !slices.ContainsFunc(s.Topics, func(t struct{ Key string }) bool { return under(t.Key, f.Topics) }) {
			return false
		}
		if f.Source != "" && !slices.ContainsFunc(s.Sources, func(src struct{ URL string }) bool { return src.URL == f.Source }) {
			return false
		}
		if f.SaidFrom != "" || f.SaidTo != "" {
			if s.SaidOn == nil {
				return false
			}
			if f.SaidFrom != "" && s.SaidOn.End < domain.MustParsePartialDate(f.SaidFrom).Start().String() {
				return false
			}
			if f.SaidTo != "" && s.SaidOn.Start > domain.MustParsePartialDate(f.SaidTo).End().String() {
				return false
			}
		}
		words := domain.Tokens(s.Text)
		for _, w := range domain.Tokens(f.Search) {
			if !slices.Contains(words, w) {
				return false
			}
		}
		return true
	}

	tests := []struct {
		name string
		f    filter
		min  int // the sample must give the case at least this many matches
	}{
		{"none", filter{}, 30},
		{"speaker", filter{Speakers: []string{"karoline-leavitt"}}, 4},
		{"speakers", filter{Speakers: []string{"karoline-leavitt", "emmanuel-macron"}}, 9},
		{"unknown speaker", filter{Speakers: []string{"nobody"}}, 0},
		{"topic", filter{Topics: []string{"us-peace-plan"}}, 10},
		{"topics", filter{Topics: []string{"pokrovsk", "frozen-russian-assets"}}, 3},
		{"country", filter{Countries: []string{"RU"}}, 3},
		{"kind", filter{Kinds: []string{"QUOTE"}}, 5},
		{"from a day", filter{SaidFrom: "2025-12-01"}, 10},
		{"up to a day", filter{SaidTo: "2025-11-29"}, 3},
		{"one day inside intervals", filter{SaidFrom: "2025-11-30", SaidTo: "2025-11-30"}, 3},
		{"a month", filter{SaidFrom: "2025-11", SaidTo: "2025-11"}, 5},
		{"a year", filter{SaidFrom: "2025", SaidTo: "2025"}, 20},
		{"before everything", filter{SaidTo: "2025-10"}, 0},
		{"source", filter{Source: sourceURL}, 1},
		{"search", filter{Search: "peace plan"}, 2},
		{"search folds case", filter{Search: "KREMLIN"}, 1},
		{"combined", filter{Kinds: []string{"QUOTE"}, Countries: []string{"US"}, SaidFrom: "2025-12-01"}, 2},
		{"combined with topic", filter{Topics: []string{"us-peace-plan"}, Speakers: []string{"vladimir-putin", "kremlin"}, Kinds: []string{"PARAPHRASE"}}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			var want []string
			for _, s := range all {
				if match(tt.f, s) {
					want = append(want, s.ID)
				}
			}
			if len(want) < tt.min {
				t.Fatalf("the sample gives %d matches; the case expects at least %d", len(want), tt.min)
			}
			var raw map[string]any
			b, _ := json.Marshal(tt.f)
			json.Unmarshal(b, &raw)
			var out struct {
				Statements struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID string } }
				}
			}
			a.do(`query($f: StatementFilter) { statements(filter: $f, first: 100) { totalCount edges { node { id } } } }`, vars{"f": raw}, &out)
			var got []string
			for _, e := range out.Statements.Edges {
				got = append(got, e.Node.ID)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) || out.Statements.TotalCount != len(want) {
				t.Errorf("got %d (totalCount %d), want %d:\n got %v\nwant %v", len(got), out.Statements.TotalCount, len(want), got, want)
			}
		})
	}
}

func TestStatementOrder(t *testing.T) {
	a := newAPI(t, true)
	tests := []struct {
		order string
		// inOrder reports whether s may come right before t.
		inOrder func(s, t sampleStatement) bool
	}{
		{"SAID_ON_DESC", func(s, t sampleStatement) bool {
			return t.SaidOn == nil || s.SaidOn != nil && s.SaidOn.Start >= t.SaidOn.Start
		}},
		{"SAID_ON_ASC", func(s, t sampleStatement) bool {
			return s.SaidOn == nil || t.SaidOn != nil && s.SaidOn.Start <= t.SaidOn.Start
		}},
		{"CREATED_AT_DESC", func(s, t sampleStatement) bool { return !s.created(a.t).Before(t.created(a.t)) }},
	}
	for _, tt := range tests {
		t.Run(tt.order, func(t *testing.T) {
			a.t = t
			var out struct {
				Statements struct {
					Edges []struct{ Node sampleStatement }
				}
			}
			a.do(`query($o: StatementOrder) { statements(orderBy: $o, first: 100) { edges { node { `+sampleStatementFields+` } } } }`,
				vars{"o": tt.order}, &out)
			edges := out.Statements.Edges
			if len(edges) != 30 {
				t.Fatalf("%d statements, want 30", len(edges))
			}
			for i := 1; i < len(edges); i++ {
				if !tt.inOrder(edges[i-1].Node, edges[i].Node) {
					t.Errorf("%s: %+v comes before %+v", tt.order, edges[i-1].Node.SaidOn, edges[i].Node.SaidOn)
				}
			}
		})
	}

	t.Run("default", func(t *testing.T) {
		a.t = t
		var def, desc json.RawMessage
		a.do(`{ statements(first: 100) { edges { node { id } } } }`, nil, &def)
		a.do(`{ statements(orderBy: SAID_ON_DESC, first: 100) { edges { node { id } } } }`, nil, &desc)
		if string(def) != string(desc) {
			t.Errorf("the default order is not SAID_ON_DESC")
		}
	})
}

// page is one page of a connection aliased c.
type page struct {
	C struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   struct{ ID string }
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

// TestWalkConnections walks connections forward and backward with several
// page sizes: every item must come exactly once, in the list's order.
func TestWalkConnections(t *testing.T) {
	a := newAPI(t, true)
	const args = `first: $first, after: $after, last: $last, before: $before`
	lists := map[string]string{
		"statements newest first":   `statements(orderBy: SAID_ON_DESC, ` + args + `)`,
		"statements oldest first":   `statements(orderBy: SAID_ON_ASC, ` + args + `)`,
		"statements created":        `statements(orderBy: CREATED_AT_DESC, ` + args + `)`,
		"statements on a topic":     `statements(filter: {topics: ["us-peace-plan"]}, ` + args + `)`,
		"statements in a date span": `statements(filter: {saidFrom: "2025-11-29", saidTo: "2025-12-01"}, orderBy: SAID_ON_ASC, ` + args + `)`,
		"speakers":                  `speakers(` + args + `)`,
		"topics":                    `topics(` + args + `)`,
		"sources":                   `sources(` + args + `)`,
		"positions":                 `positions(` + args + `)`,
	}
	for name, list := range lists {
		query := `query($first: Int, $after: String, $last: Int, $before: String) { c: ` + list +
			` { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
		fetch := func(t *testing.T, v vars) page {
			a.t = t
			var p page
			a.do(query, v, &p)
			return p
		}
		t.Run(name, func(t *testing.T) {
			whole := fetch(t, vars{"first": 100})
			var want []string
			for _, e := range whole.C.Edges {
				want = append(want, e.Node.ID)
			}
			if len(want) == 0 || whole.C.TotalCount != len(want) || whole.C.PageInfo.HasNextPage || whole.C.PageInfo.HasPreviousPage {
				t.Fatalf("whole list: %d items, totalCount %d, pageInfo %+v", len(want), whole.C.TotalCount, whole.C.PageInfo)
			}
			for _, size := range []int{1, 2, 3, 100} {
				t.Run(fmt.Sprint("forward by ", size), func(t *testing.T) {
					var got []string
					v := vars{"first": size}
					for range len(want) + 1 {
						p := fetch(t, v)
						checkPage(t, p, size)
						for _, e := range p.C.Edges {
							got = append(got, e.Node.ID)
						}
						if !p.C.PageInfo.HasNextPage {
							break
						}
						v = vars{"first": size, "after": *p.C.PageInfo.EndCursor}
					}
					if !slices.Equal(got, want) {
						t.Errorf("got %v\nwant %v", got, want)
					}
				})
				t.Run(fmt.Sprint("backward by ", size), func(t *testing.T) {
					var got []string
					v := vars{"last": size}
					for range len(want) + 1 {
						p := fetch(t, v)
						checkPage(t, p, size)
						var ids []string
						for _, e := range p.C.Edges {
							ids = append(ids, e.Node.ID)
						}
						got = append(ids, got...)
						if !p.C.PageInfo.HasPreviousPage {
							break
						}
						v = vars{"last": size, "before": *p.C.PageInfo.StartCursor}
					}
					if !slices.Equal(got, want) {
						t.Errorf("got %v\nwant %v", got, want)
					}
				})
			}
		})
	}
}

// checkPage checks a page's size and that its cursors agree with its
// edges.
func checkPage(t *testing.T, p page, size int) {
	t.Helper()
	edges, info := p.C.Edges, p.C.PageInfo
	if len(edges) == 0 || len(edges) > size {
		t.Fatalf("page of %d items, asked for %d", len(edges), size)
	}
	if *info.StartCursor != edges[0].Cursor || *info.EndCursor != edges[len(edges)-1].Cursor {
		t.Fatalf("pageInfo cursors %s..%s do not match the edges", *info.StartCursor, *info.EndCursor)
	}
}

func TestStanceMapSample(t *testing.T) {
	a := newAPI(t, true)
	var out struct {
		StanceMap struct {
			AsOf      struct{ Value string }
			Positions []struct {
				Speaker  struct{ Key string }
				Stance   string
				Summary  *string
				Evidence []struct{ Text string }
			}
		}
	}
	a.do(`{ stanceMap(topic: "ukraine-nato-membership", asOf: "2025-12-01") {
	  asOf { value } positions { speaker { key } stance summary evidence { text } } } }`, nil, &out)
	got := map[string]string{}
	for _, p := range out.StanceMap.Positions {
		got[p.Speaker.Key] = p.Stance
		if (p.Summary == nil || *p.Summary == "") && len(p.Evidence) == 0 {
			t.Errorf("%s: neither a summary nor evidence", p.Speaker.Key)
		}
	}
	want := map[string]string{"russia": "OPPOSES", "donald-trump": "OPPOSES", "ukraine": "SUPPORTS"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %s (map %v)", k, got[k], v, got)
		}
	}
	if out.StanceMap.AsOf.Value != "2025-12-01" {
		t.Errorf("asOf %q", out.StanceMap.AsOf.Value)
	}

	// Before any position was taken, the map is empty.
	a.do(`{ stanceMap(topic: "ukraine-nato-membership", asOf: "2025-11") { asOf { value } positions { stance } } }`, nil, &out)
	if len(out.StanceMap.Positions) != 0 {
		t.Errorf("stance map as of November 2025: %+v, want none", out.StanceMap.Positions)
	}

	if e := a.fail(`{ stanceMap(topic: "nothing") { asOf { value } } }`, nil); e.Extensions.Code != "NOT_FOUND" || e.Extensions.Field != "topic" {
		t.Errorf("unknown topic: %+v", e)
	}
}

// TestExampleQueries runs the README's example queries on the sample data
// and compares their responses with golden files.
func TestExampleQueries(t *testing.T) {
	a := newAPI(t, true)
	for _, name := range []string{"nato-stance-map", "peskov", "quotes-dec-1-2"} {
		t.Run(name, func(t *testing.T) {
			a.t = t
			r := a.post(readQuery(t, name), nil)
			if len(r.Errors) > 0 {
				t.Fatalf("errors: %+v", r.Errors)
			}
			checkGolden(t, name, r.Data)
		})
	}
}

// countingStore counts the store's reads of records by id, which a
// resolver per list item would multiply.
type countingStore struct {
	domain.Store
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingStore) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[name]++
}

func (c *countingStore) Speaker(ctx context.Context, id domain.ID) (*domain.Speaker, error) {
	c.count("Speaker")
	return c.Store.Speaker(ctx, id)
}

func (c *countingStore) SpeakersByID(ctx context.Context, ids []domain.ID) ([]*domain.Speaker, error) {
	c.count("SpeakersByID")
	return c.Store.SpeakersByID(ctx, ids)
}

func (c *countingStore) Topic(ctx context.Context, id domain.ID) (*domain.Topic, error) {
	c.count("Topic")
	return c.Store.Topic(ctx, id)
}

func (c *countingStore) TopicsByID(ctx context.Context, ids []domain.ID) ([]*domain.Topic, error) {
	c.count("TopicsByID")
	return c.Store.TopicsByID(ctx, ids)
}

func (c *countingStore) SourcesByID(ctx context.Context, ids []domain.ID) ([]*domain.Source, error) {
	c.count("SourcesByID")
	return c.Store.SourcesByID(ctx, ids)
}

func (c *countingStore) StatementsByID(ctx context.Context, ids []domain.ID) ([]*domain.Statement, error) {
	c.count("StatementsByID")
	return c.Store.StatementsByID(ctx, ids)
}

func (c *countingStore) PositionsByID(ctx context.Context, ids []domain.ID) ([]*domain.Position, error) {
	c.count("PositionsByID")
	return c.Store.PositionsByID(ctx, ids)
}

func (c *countingStore) PositionsCiting(ctx context.Context, ids []domain.ID) ([][]*domain.Position, error) {
	c.count("PositionsCiting")
	return c.Store.PositionsCiting(ctx, ids)
}

// TestNoNPlusOne checks that a page of statements with everything they
// refer to costs a few batched reads, not one per statement.
func TestNoNPlusOne(t *testing.T) {
	st := openStore(t)
	loadSample(t, st)
	c := &countingStore{Store: st, calls: map[string]int{}}
	a := serveStore(t, st, c)

	var out struct {
		Statements struct{ Edges []json.RawMessage }
	}
	a.do(`{ statements(first: 30) { edges { node {
	  speaker { name roles { organization { name } } }
	  speakerRole { title organization { name } }
	  topics { key parent { key } }
	  sources { url }
	  positions { stance topic { key } previous { stance } evidence { text speaker { key } topics { key } } }
	} } } }`, nil, &out)
	if len(out.Statements.Edges) != 30 {
		t.Fatalf("%d statements, want 30", len(out.Statements.Edges))
	}
	// Each kind of read is batched: speakers and topics are read once
	// for each of the four levels that show them (the page, role
	// organizations and topic parents, the citing positions, their
	// evidence). Loaders wait a moment to collect keys, so a busy machine
	// may split batches; a read per item would make 30 reads or more.
	const limit = 15
	for name, n := range c.calls {
		if n > limit {
			t.Errorf("%s called %d times for one page", name, n)
		}
	}
	for _, name := range []string{"Speaker", "Topic"} {
		if n := c.calls[name]; n > 0 {
			t.Errorf("%s (one record) called %d times; lists must read in batches", name, n)
		}
	}
	t.Logf("store reads: %v", c.calls)
}
