package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"

	"parley/domain"
)

// limited serves the API over an empty database with opts, behind Protect
// as the server does, and returns its URL.
func limited(t *testing.T, s domain.Store, opts Options) string {
	t.Helper()
	srv := httptest.NewServer(Protect(NewServer(s, opts), opts))
	t.Cleanup(srv.Close)
	return srv.URL
}

// post sends query with variables and returns the answer.
func post(t *testing.T, url, query string, vars map[string]any, accept string) gqlReply {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := gqlReply{status: res.StatusCode, header: res.Header}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("HTTP %d: body is not JSON: %v", res.StatusCode, err)
	}
	return r
}

// nest returns a query whose fields nest depth (at least 2) deep:
// statement lists alternating with their speakers, one item per page.
func nest(depth int) string {
	hops := []string{"statements(first: 1)", "edges", "node", "speaker"}
	leaves := []string{"totalCount", "cursor", "text", "name"} // a scalar of each hop's type
	var b strings.Builder
	b.WriteString("{ ")
	for i := range depth - 1 {
		b.WriteString(hops[i%len(hops)] + " { ")
	}
	b.WriteString(leaves[(depth-2)%len(leaves)])
	b.WriteString(strings.Repeat(" }", depth))
	return b.String()
}

func repeat(n int, format string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// fragmentBomb returns a document whose fragments double at every level:
// 20 short lines that expand to a million fields.
func fragmentBomb() string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range 20 {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	b.WriteString("fragment F20 on Query { __typename }\n")
	return b.String()
}

func TestDocumentLimits(t *testing.T) {
	url := limited(t, emptyStore(t), Options{})
	introspection, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		limit       string // the limit the query exceeds; "" when it passes
	}{
		{"depth at the limit", nest(DefaultMaxDepth), ""},
		{"depth past the limit", nest(DefaultMaxDepth + 1), "depth"},
		{"depth through a fragment", "{ ...Deep } fragment Deep on Query " + nest(DefaultMaxDepth+1), "depth"},
		{"aliases at the limit", "{ " + repeat(DefaultMaxAliases, "a%d: __typename ") + "}", ""},
		{"aliases past the limit", "{ " + repeat(DefaultMaxAliases+1, "a%d: __typename ") + "}", "aliases"},
		{"aliases through fragment uses", "{ ...A ...A } fragment A on Query { " + repeat(DefaultMaxAliases/2+1, "a%d: __typename ") + "}", "aliases"},
		{"directives at the limit", "{ " + strings.Repeat("__typename @include(if: true) ", DefaultMaxDirectives) + "}", ""},
		{"directives past the limit", "{ __typename " + strings.Repeat("@skip(if: false) ", DefaultMaxDirectives+1) + "}", "directives"},
		{"tokens past the limit", "{ " + strings.Repeat("__typename ", DefaultMaxTokens) + "}", "tokens"},
		{"repeated fields", "{ " + strings.Repeat("__typename ", DefaultMaxSelections+1) + "}", "selections"},
		{"fragment bomb", fragmentBomb(), "selections"},
		{"the playground's introspection", string(introspection), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(t, url, tt.query, nil, "")
			if tt.limit == "" {
				if r.status != 200 || len(r.Errors) > 0 {
					t.Fatalf("HTTP %d %+v", r.status, r.Errors)
				}
				return
			}
			if r.status != http.StatusUnprocessableEntity || r.code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["limit"] != tt.limit {
				t.Fatalf("HTTP %d %+v; want 422 with limit %q", r.status, r.Errors, tt.limit)
			}
			if r.Data != nil && string(r.Data) != "null" {
				t.Errorf("a refused document ran: %s", r.Data)
			}
		})
	}
}

func TestLimitStatusForGraphQLResponseClients(t *testing.T) {
	// The GraphQL-over-HTTP media type uses 400 for documents refused
	// before execution.
	url := limited(t, emptyStore(t), Options{Limits: Limits{Depth: 1}})
	r := post(t, url, `{ speakers { totalCount } }`, nil, "application/graphql-response+json")
	if r.status != http.StatusBadRequest || r.Errors[0].Extensions["limit"] != "depth" {
		t.Errorf("HTTP %d %+v", r.status, r.Errors)
	}
}

func TestComplexity(t *testing.T) {
	const (
		// edges (1) + node (1) + text (1), times the page size.
		page    = `query($n: Int) { statements(first: $n) { edges { node { text } } } }`
		last    = `{ statements(last: 7) { edges { node { text } } } }`
		nested  = `{ speakers(first: 10) { edges { node { statements(first: 10) { edges { node { text } } } } } } }`
		unpaged = `{ statements { edges { node { text } } } }`
	)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		cost  int
	}{
		{"first", page, map[string]any{"n": 10}, 30},
		{"first at the maximum", page, map[string]any{"n": 100}, 300},
		{"first past the maximum is priced at it", page, map[string]any{"n": 5000}, 300},
		{"last", last, nil, 21},
		{"default page", unpaged, nil, 60},
		{"nested lists multiply", nested, nil, 10 * (1 + 1 + 10*3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A limit at the cost passes; one below refuses, naming both.
			at := limited(t, emptyStore(t), Options{Limits: Limits{Complexity: tt.cost}})
			if r := post(t, at, tt.query, tt.vars, ""); r.Errors != nil && r.Errors[0].Extensions["limit"] != nil {
				t.Fatalf("refused at its own cost %d: %+v", tt.cost, r.Errors)
			}
			below := limited(t, emptyStore(t), Options{Limits: Limits{Complexity: tt.cost - 1}})
			r := post(t, below, tt.query, tt.vars, "")
			want := fmt.Sprintf("operation has complexity %d, which exceeds the limit of %d", tt.cost, tt.cost-1)
			if r.status != http.StatusUnprocessableEntity || r.Errors[0].Extensions["limit"] != "complexity" || !strings.Contains(r.Errors[0].Message, want) {
				t.Fatalf("HTTP %d %+v; want 422 %q", r.status, r.Errors, want)
			}
		})
	}
}

// TestComplexityAfterAPass sends documents that passed again with other
// variables: a passing operation is remembered only when its cost cannot
// depend on them.
func TestComplexityAfterAPass(t *testing.T) {
	url := limited(t, emptyStore(t), Options{Limits: Limits{Complexity: 100}})
	refused := func(query string, vars map[string]any) bool {
		r := post(t, url, query, vars, "")
		return len(r.Errors) > 0 && r.Errors[0].Extensions["limit"] == "complexity"
	}
	cases := []struct {
		name       string
		query      string
		small, big map[string]any
	}{
		{"a variable page size", `query($n: Int) { statements(first: $n) { edges { node { text } } } }`,
			map[string]any{"n": 10}, map[string]any{"n": 100}},
		{"a variable last", `query($n: Int) { statements(last: $n) { edges { node { text } } } }`,
			map[string]any{"n": 10}, map[string]any{"n": 100}},
		{"a variable page size in a fragment", `query($n: Int) { ...page }
			fragment page on Query { statements(first: $n) { edges { node { text } } } }`,
			map[string]any{"n": 10}, map[string]any{"n": 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 2 {
				if refused(c.query, c.small) {
					t.Fatal("a cheap request was refused")
				}
				if !refused(c.query, c.big) {
					t.Fatal("a costly request passed after a cheap one with the same document")
				}
			}
		})
	}
	fixed := `{ statements(first: 10) { edges { node { text } } } }`
	for range 3 {
		if refused(fixed, nil) {
			t.Fatal("a fixed-cost document within the limit was refused")
		}
	}
	over := `{ statements(first: 50) { edges { node { text } } } }`
	for range 2 {
		if !refused(over, nil) {
			t.Fatal("a fixed-cost document over the limit passed")
		}
	}
}

func TestIntrospectionSwitch(t *testing.T) {
	on := limited(t, emptyStore(t), Options{})
	off := limited(t, emptyStore(t), Options{DisableIntrospection: true})

	const schemaQuery = `{ __schema { queryType { name } } }`
	if r := post(t, on, schemaQuery, nil, ""); r.status != 200 || string(r.Data) != `{"__schema":{"queryType":{"name":"Query"}}}` {
		t.Errorf("introspection on: HTTP %d %s %+v", r.status, r.Data, r.Errors)
	}
	for _, q := range []string{schemaQuery, `{ __type(name: "Speaker") { name } }`} {
		r := post(t, off, q, nil, "")
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.Errors[0].Message, "introspection is disabled") {
			t.Errorf("introspection off, %s: HTTP %d %+v", q, r.status, r.Errors)
		}
	}
	// __typename is not introspection: clients use it to tell types apart.
	if r := post(t, off, `{ __typename }`, nil, ""); r.status != 200 || len(r.Errors) > 0 {
		t.Errorf("__typename with introspection off: HTTP %d %+v", r.status, r.Errors)
	}

	// Suggestions would reveal field names one typo at a time.
	const typo = `{ statementz { totalCount } }`
	if r := post(t, on, typo, nil, ""); !strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("introspection on: no suggestion in %q", r.Errors[0].Message)
	}
	if r := post(t, off, typo, nil, ""); r.status != http.StatusUnprocessableEntity || strings.Contains(r.Errors[0].Message, "Did you mean") {
		t.Errorf("introspection off: HTTP %d, %q", r.status, r.Errors[0].Message)
	}
}

// slowStore answers statement lists only when the request gives up.
type slowStore struct{ domain.Store }

func (slowStore) ListStatements(ctx context.Context, _ domain.StatementFilter, _ domain.StatementOrder, _ domain.Page) (*domain.Result[*domain.Statement], error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// slowWrites is a store whose CreateTopic takes longer than a short
// deadline: it commits late when commit is set, and otherwise gives up
// when the request's context ends.
type slowWrites struct {
	domain.Store
	commit bool
}

func (s slowWrites) CreateTopic(ctx context.Context, tp *domain.Topic) (*domain.Topic, error) {
	if !s.commit {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	time.Sleep(300 * time.Millisecond)
	return s.Store.CreateTopic(context.WithoutCancel(ctx), tp)
}

// A mutation's answer is never replaced by the deadline's error: a write
// that committed late says so, with its result; one the deadline stopped
// answers 503 with the deadline's error on its field.
func TestDeadlineKeepsAMutationsAnswer(t *testing.T) {
	const deadline = 100 * time.Millisecond
	opts := Options{Limits: Limits{Deadline: deadline}}
	late := limited(t, slowWrites{emptyStore(t), true}, opts)
	r := post(t, late, `mutation { createTopic(input: {key: "late", name: "Late"}) { topic { key } } }`, nil, "")
	if r.status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"key":"late"`) {
		t.Fatalf("a write that committed after the deadline: HTTP %d %s %+v; want its answer", r.status, r.Data, r.Errors)
	}
	stopped := limited(t, slowWrites{emptyStore(t), false}, opts)
	r = post(t, stopped, `mutation { createTopic(input: {key: "never", name: "Never"}) { topic { key } } }`, nil, "")
	if r.status != http.StatusServiceUnavailable || len(r.Errors) != 1 || r.Errors[0].Extensions["limit"] != "deadline" || !strings.Contains(r.Errors[0].Message, "did not finish") {
		t.Fatalf("a write the deadline stopped: HTTP %d %+v; want 503 and the deadline's error", r.status, r.Errors)
	}
}

// A query over a WebSocket has the same deadline as over HTTP, and the
// same error when it runs past it; the socket stays usable.
func TestDeadlineOverWebSocket(t *testing.T) {
	const deadline = 100 * time.Millisecond
	url := limited(t, slowStore{emptyStore(t)}, Options{Limits: Limits{Deadline: deadline}})
	c, _, err := dial(t, "ws"+strings.TrimPrefix(url, "http"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.subscribe("q", `{ statements { edges { node { text } } } }`, nil)
	m := c.nextFor("q")
	if took := time.Since(start); took > deadline+2*time.Second {
		t.Errorf("answered after %v with a %v deadline", took, deadline)
	}
	if !strings.Contains(string(m.Payload), "did not finish within its 100ms deadline") || !strings.Contains(string(m.Payload), `"limit":"deadline"`) {
		t.Fatalf("got %s %s, want the deadline error", m.Type, m.Payload)
	}
	c.subscribe("t", `{ __typename }`, nil)
	if m := c.nextFor("t"); !strings.Contains(string(m.Payload), `"Query"`) {
		t.Fatalf("the next query on the socket: %s %s", m.Type, m.Payload)
	}
}

// A subscription sent over HTTP is refused at once with a clear error,
// instead of waiting for an event until the deadline.
func TestSubscriptionOverHTTPIsRefused(t *testing.T) {
	url := limited(t, emptyStore(t), Options{})
	start := time.Now()
	r := post(t, url, `subscription { statementAdded { id } }`, nil, "")
	if r.status != http.StatusBadRequest || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT" ||
		!strings.Contains(r.Errors[0].Message, "WebSocket") {
		t.Fatalf("HTTP %d %+v; want 400 BAD_USER_INPUT naming the WebSocket", r.status, r.Errors)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("refused after %v", took)
	}
	res, err := http.Get(url + "?query=" + neturl.QueryEscape(`subscription { statementAdded { id } }`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"code":"BAD_USER_INPUT"`) || !strings.Contains(string(body), "WebSocket") {
		t.Fatalf("over GET: HTTP %d %s; want 400 BAD_USER_INPUT naming the WebSocket", res.StatusCode, body)
	}
}

func TestDeadline(t *testing.T) {
	const deadline = 100 * time.Millisecond
	url := limited(t, slowStore{emptyStore(t)}, Options{Limits: Limits{Deadline: deadline}})
	start := time.Now()
	r := post(t, url, `{ statements { edges { node { text } } } }`, nil, "")
	took := time.Since(start)
	if r.status != http.StatusServiceUnavailable || r.Errors[0].Extensions["limit"] != "deadline" ||
		!strings.Contains(r.Errors[0].Message, "did not finish within its 100ms deadline") {
		t.Fatalf("HTTP %d %+v", r.status, r.Errors)
	}
	if r.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", r.header.Get("Content-Type"))
	}
	if took > deadline+2*time.Second {
		t.Errorf("the answer took %v with a deadline of %v", took, deadline)
	}
	// A quick request on the same server is unaffected.
	if r := post(t, url, `{ speakers { totalCount } }`, nil, ""); r.status != 200 || len(r.Errors) > 0 {
		t.Errorf("HTTP %d %+v", r.status, r.Errors)
	}
}

func TestLimitsDefaults(t *testing.T) {
	got := Limits{Depth: 3}.withDefaults()
	want := DefaultLimits()
	want.Depth = 3
	if got != want {
		t.Errorf("withDefaults = %+v, want %+v", got, want)
	}
}

// BenchmarkDocumentLimits measures what the structural limits cost a
// request: lexing and parsing the document once more before gqlgen does
// (new), or looking up a document that passed before (repeated).
func BenchmarkDocumentLimits(b *testing.B) {
	query, err := os.ReadFile("testdata/graphiql-introspection.graphql")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("new", func(b *testing.B) {
		d := documentLimits{Limits: DefaultLimits()}
		for b.Loop() {
			if err := d.check(string(query)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("repeated", func(b *testing.B) {
		d := documentLimits{Limits: DefaultLimits(), passed: lru.New[struct{}](queryCacheSize)}
		params := &graphql.RawParams{Query: string(query)}
		for b.Loop() {
			if err := d.MutateOperationParameters(context.Background(), params); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDocumentLimitsRememberOnlyPasses checks that a document over a limit
// is refused every time it is sent, and one within them is remembered.
func TestDocumentLimitsRememberOnlyPasses(t *testing.T) {
	d := documentLimits{Limits: Limits{Depth: 2, Complexity: 100, Aliases: 30, Directives: 50, Tokens: 2000, Selections: 1000},
		passed: lru.New[struct{}](10)}
	ctx := context.Background()
	deep := &graphql.RawParams{Query: "{ a { b { c } } }"}
	for range 2 {
		if err := d.MutateOperationParameters(ctx, deep); err == nil {
			t.Fatal("a document over the depth limit passed")
		}
	}
	flat := &graphql.RawParams{Query: "{ a { b } }"}
	if err := d.MutateOperationParameters(ctx, flat); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.passed.Get(ctx, flat.Query); !ok {
		t.Error("a document within the limits was not remembered")
	}
	if _, ok := d.passed.Get(ctx, deep.Query); ok {
		t.Error("a refused document was remembered")
	}
}
