package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/auth"
	"parley/graph"
)

// The bad-input suite: malformed and hostile requests, each with the
// status and error code docs/security.md documents for it. The server must
// answer every one of them as documented, stay healthy, and change
// nothing: the export after the suite equals the export before it.

// gqlBody is the JSON body of a GraphQL request.
func gqlBody(query string, vars map[string]any) string {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// getURL is the GET form of a query, with its parameters encoded.
func getURL(params ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	return endpoint + "?" + v.Encode()
}

// probe is one request of the suite and its documented answer.
type probe struct {
	name   string
	method string            // POST when empty
	path   string            // endpoint when empty
	ctype  string            // application/json when empty and the method is POST; "-" for none
	token  string            // a token name of the suite's token file, or a literal Authorization value after "raw:"
	header map[string]string // more headers
	body   string
	status int
	code   string // extensions.code of the first error; "" for none
	limit  string // extensions.limit, when the answer names a limit
}

// suiteServer serves the sample data with tokens of every role, reads
// public, the way a newsroom would run Parley on the internet.
type suiteServer struct {
	url    string
	tokens map[string]string // name → token
	export func() []byte
}

func newSuiteServer(t *testing.T) *suiteServer {
	t.Helper()
	st := openStore(t)
	loadSample(t, st)
	file := filepath.Join(t.TempDir(), "tokens.json")
	tokens := map[string]string{}
	for _, r := range []auth.Role{auth.RoleRead, auth.RoleWrite, auth.RoleAdmin} {
		tok, err := auth.Create(file, r.String(), r, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		tokens[r.String()] = tok
	}
	cfg := serveConfig{ImportMaxRecords: 5000, MaxBody: defaultMaxBody, MaxImportBody: defaultMaxImportBody,
		Security: securityConfig{TokenFile: file}}
	if err := cfg.Security.loadKeys(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(st, cfg))
	t.Cleanup(srv.Close)
	return &suiteServer{url: srv.URL, tokens: tokens, export: func() []byte { return export(t, st) }}
}

// do sends p and returns the status, the first error's code and limit,
// and the body.
func (s *suiteServer) do(t *testing.T, p probe) (status int, code, limit string, body []byte) {
	t.Helper()
	method, path := p.method, p.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = endpoint
	}
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(p.body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case p.ctype == "-":
	case p.ctype != "":
		req.Header.Set("Content-Type", p.ctype)
	case method == http.MethodPost:
		req.Header.Set("Content-Type", "application/json")
	}
	switch {
	case strings.HasPrefix(p.token, "raw:"):
		req.Header.Set("Authorization", strings.TrimPrefix(p.token, "raw:"))
	case p.token != "":
		req.Header.Set("Authorization", "Bearer "+s.tokens[p.token])
	}
	for k, v := range p.header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Errors []struct {
			Extensions struct {
				Code  string `json:"code"`
				Limit string `json:"limit"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if len(body) > 0 && res.Header.Get("Content-Type") != "application/octet-stream" {
		if err := json.Unmarshal(body, &r); err != nil {
			t.Errorf("HTTP %d: the body is not JSON: %q", res.StatusCode, truncate(body))
		}
	}
	if len(r.Errors) > 0 {
		code, limit = r.Errors[0].Extensions.Code, r.Errors[0].Extensions.Limit
	}
	return res.StatusCode, code, limit, body
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

const (
	okQuery   = `{ speakers(first: 5) { totalCount edges { node { key } } } }`
	addTopic  = `mutation { createTopic(input: {key: "suite", name: "Suite"}) { topic { key } } }`
	importOne = `mutation($in: [StatementImport!]!) { importStatements(input: $in) { created failed } }`
)

// badInputs is the suite. Its statuses and codes are the ones
// docs/security.md lists.
func badInputs() []probe {
	deep := "{ statements(first: 1) { edges { node { speaker { statements(first: 1) { edges { node { speaker { statements(first: 1) { edges { node { speaker { name } } } } } } } } } } } } }"
	var aliases, directives, repeated, fragments strings.Builder
	for i := range graph.DefaultMaxAliases + 1 {
		fmt.Fprintf(&aliases, "a%d: __typename ", i)
	}
	for range graph.DefaultMaxDirectives + 1 {
		directives.WriteString("__typename @include(if: true) ")
	}
	repeated.WriteString(strings.Repeat("__typename ", graph.DefaultMaxSelections+1))
	fragments.WriteString("{ ...F0 } ")
	for i := range 16 {
		fmt.Fprintf(&fragments, "fragment F%d on Query { ...F%d ...F%d } ", i, i+1, i+1)
	}
	fragments.WriteString("fragment F16 on Query { __typename }")
	record := func(i int) map[string]any {
		return map[string]any{"text": fmt.Sprintf("Statement %d.", i), "kind": "QUOTE", "speaker": map[string]any{"key": "suite-speaker"}}
	}
	tooMany := make([]any, 5001)
	for i := range tooMany {
		tooMany[i] = record(i)
	}

	return []probe{
		// Broken and misshapen JSON bodies: 400, never echoed.
		{name: "truncated JSON", body: `{"query": "{ speakers { totalCount } }"`, status: 400, code: "BAD_USER_INPUT"},
		{name: "JSON syntax error", body: `{query: "{ __typename }"}`, status: 400, code: "BAD_USER_INPUT"},
		{name: "empty body", body: ``, status: 400, code: "BAD_USER_INPUT"},
		{name: "batch array", body: `[` + gqlBody(okQuery, nil) + `]`, status: 400, code: "BAD_USER_INPUT"},
		{name: "body is a JSON string", body: `"{ __typename }"`, status: 400, code: "BAD_USER_INPUT"},
		{name: "query is a number", body: `{"query": 5}`, status: 400, code: "BAD_USER_INPUT"},
		{name: "variables is an array", body: `{"query": "{ __typename }", "variables": [1, 2]}`, status: 400, code: "BAD_USER_INPUT"},
		{name: "variables is a string", body: `{"query": "{ __typename }", "variables": "{}"}`, status: 400, code: "BAD_USER_INPUT"},
		{name: "data after the object", body: gqlBody(okQuery, nil) + gqlBody(addTopic, nil), status: 400, code: "BAD_USER_INPUT"},
		{name: "invalid UTF-8", body: "{\"query\": \"{ speakers(filter: {search: \\\"\xff\xfe\\\"}) { totalCount } }\"}", status: 400, code: "BAD_USER_INPUT"},

		// Transports other than JSON POST and GET: 415 and 405.
		{name: "text/plain", ctype: "text/plain", body: gqlBody(addTopic, nil), token: "write", status: 415, code: "BAD_USER_INPUT"},
		{name: "form-urlencoded", ctype: "application/x-www-form-urlencoded", body: "query=" + url.QueryEscape(addTopic), token: "write", status: 415, code: "BAD_USER_INPUT"},
		{name: "multipart", ctype: "multipart/form-data; boundary=x", body: "--x\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + gqlBody(addTopic, nil) + "\r\n--x--\r\n", token: "write", status: 415, code: "BAD_USER_INPUT"},
		{name: "no content type", ctype: "-", body: gqlBody(okQuery, nil), status: 415, code: "BAD_USER_INPUT"},
		{name: "application/graphql", ctype: "application/graphql", body: okQuery, status: 415, code: "BAD_USER_INPUT"},
		{name: "PUT", method: "PUT", body: gqlBody(okQuery, nil), status: 405, code: "BAD_USER_INPUT"},
		{name: "DELETE", method: "DELETE", status: 405, code: "BAD_USER_INPUT"},
		{name: "mutation over GET", method: "GET", path: getURL("query", addTopic), token: "write", status: 405, code: "BAD_USER_INPUT"},
		{name: "GET with a broken query string", method: "GET", path: endpoint + "?query=%zz", status: 400, code: "BAD_USER_INPUT"},
		{name: "GET with variables that are not JSON", method: "GET", path: getURL("query", okQuery, "variables", "{nope"), status: 400, code: "BAD_USER_INPUT"},
		{name: "GET with invalid UTF-8", method: "GET", path: endpoint + "?query=%7B%20%FF%20%7D", status: 400, code: "BAD_USER_INPUT"},

		// Documents gqlparser refuses: 422.
		{name: "GET without a query", method: "GET", path: endpoint, status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "syntax error", body: gqlBody(`{ speakers { totalCount }`, nil), status: 422, code: "GRAPHQL_PARSE_FAILED"},
		{name: "NUL byte in the query", body: gqlBody("{ speakers \x00 { totalCount } }", nil), status: 422, code: "GRAPHQL_PARSE_FAILED"},
		{name: "unknown field", body: gqlBody(`{ passwords }`, nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "unknown argument", body: gqlBody(`{ speakers(sudo: true) { totalCount } }`, nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "fragment cycle", body: gqlBody(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, nil), status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "unknown operation name", body: `{"query": "query A { __typename }", "operationName": "B"}`, status: 422, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "wrong variable type", body: gqlBody(`query($n: Int) { statements(first: $n) { totalCount } }`, map[string]any{"n": "ten"}), status: 422, code: "BAD_USER_INPUT"},
		{name: "wrong literal type", body: gqlBody(`{ statements(first: "ten") { totalCount } }`, nil), status: 422, code: "BAD_USER_INPUT"},
		{name: "unknown enum value", body: gqlBody(`{ statements(filter: {kinds: [RUMOUR]}) { totalCount } }`, nil), status: 422, code: "BAD_USER_INPUT"},

		// Query limits: 422 naming the limit.
		{name: "deep nesting", body: gqlBody(deep, nil), status: 422, code: "BAD_USER_INPUT", limit: "depth"},
		{name: "alias bomb", body: gqlBody("{ "+aliases.String()+"}", nil), status: 422, code: "BAD_USER_INPUT", limit: "aliases"},
		{name: "directive bomb", body: gqlBody("{ "+directives.String()+"}", nil), status: 422, code: "BAD_USER_INPUT", limit: "directives"},
		{name: "token bomb", body: gqlBody("{ "+strings.Repeat("__typename ", graph.DefaultMaxTokens)+"}", nil), status: 422, code: "BAD_USER_INPUT", limit: "tokens"},
		{name: "repeated fields", body: gqlBody("{ "+repeated.String()+"}", nil), status: 422, code: "BAD_USER_INPUT", limit: "selections"},
		{name: "fragment bomb", body: gqlBody(fragments.String(), nil), status: 422, code: "BAD_USER_INPUT", limit: "selections"},
		{name: "complexity bomb", body: gqlBody(`{ speakers(first: 100) { edges { node { statements(first: 100) { edges { node { text speaker { name } } } } } } } }`, nil), status: 422, code: "BAD_USER_INPUT", limit: "complexity"},

		// Values the resolvers refuse: 200 with an error, no data written.
		{name: "page too large", body: gqlBody(`{ statements(first: 1000) { totalCount } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "page of zero", body: gqlBody(`{ statements(first: 0) { totalCount } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "negative page", body: gqlBody(`{ statements(last: -5) { totalCount } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "forged cursor", body: gqlBody(`{ statements(after: "AAAAAAAAAAAAAAAAAAAAAA") { totalCount } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "cursor that is not base64", body: gqlBody(`{ statements(after: "../../etc/passwd") { totalCount } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "garbage id", body: gqlBody(`{ node(id: "' OR 1=1 --") { id } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "invalid partial date", body: gqlBody(`{ statements(filter: {saidFrom: "2025-02-30"}) { totalCount } }`, nil), status: 200, code: "BAD_USER_INPUT"},
		{name: "huge string in variables", body: gqlBody(`mutation($n: String!) { createTopic(input: {key: "huge", name: $n}) { topic { key } } }`, map[string]any{"n": strings.Repeat("x", 900<<10)}), token: "write", status: 200, code: "BAD_USER_INPUT"},
		{name: "too many import records", body: gqlBody(importOne, map[string]any{"in": tooMany}), token: "write", status: 200, code: "BAD_USER_INPUT"},
		{name: "huge body", body: gqlBody(okQuery, map[string]any{"pad": strings.Repeat("x", 2<<20)}), status: 413, code: "BAD_USER_INPUT"},
		// The import body limit is for import mutations from callers who
		// may write: the field's name elsewhere in a query does not lift
		// the ordinary limit, nor does a role that cannot import.
		{name: "big import", body: gqlBody(importOne, map[string]any{"in": []any{record(0)}, "pad": strings.Repeat("x", 2<<20)}), token: "write", status: 200},
		{name: "big import with a read token", body: gqlBody(importOne, map[string]any{"in": []any{record(0)}, "pad": strings.Repeat("x", 2<<20)}), token: "read", status: 413, code: "BAD_USER_INPUT"},
		{name: "huge body naming the import in a comment", body: gqlBody(okQuery+" # importStatements", map[string]any{"pad": strings.Repeat("x", 2<<20)}), token: "write", status: 413, code: "BAD_USER_INPUT"},
		{name: "huge body with an alias named as the import", body: gqlBody(`{ importStatements: __typename }`, map[string]any{"pad": strings.Repeat("x", 2<<20)}), token: "write", status: 413, code: "BAD_USER_INPUT"},
		{name: "huge body naming another operation", body: `{"query":` + strconv.Quote(`query Q { __typename } mutation M($in: [StatementImport!]!) { importStatements(input: $in) { created } }`) + `,"operationName":"Q","variables":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`, token: "write", status: 413, code: "BAD_USER_INPUT"},

		// Access control: 401 without a valid token, 403 with too small a role.
		{name: "mutation without a token", body: gqlBody(addTopic, nil), status: 401, code: "UNAUTHENTICATED"},
		{name: "import without a token", body: gqlBody(importOne, map[string]any{"in": []any{record(0)}}), status: 401, code: "UNAUTHENTICATED"},
		{name: "unknown token", token: "raw:Bearer parley_0000000000000000000000000000000000000000000", body: gqlBody(okQuery, nil), status: 401, code: "UNAUTHENTICATED"},
		{name: "basic auth", token: "raw:Basic YWRtaW46YWRtaW4=", body: gqlBody(addTopic, nil), status: 401, code: "UNAUTHENTICATED"},
		{name: "oversized authorization", token: "raw:Bearer " + strings.Repeat("A", 8<<10), body: gqlBody(okQuery, nil), status: 401, code: "UNAUTHENTICATED"},
		{name: "mutation with a read token", token: "read", body: gqlBody(addTopic, nil), status: 403, code: "FORBIDDEN"},
		{name: "backup without a token", method: "GET", path: backupPath, status: 401, code: "UNAUTHENTICATED"},
		{name: "backup with a write token", method: "GET", path: backupPath, token: "write", status: 403, code: "FORBIDDEN"},
	}
}

func TestBadInputSuite(t *testing.T) {
	s := newSuiteServer(t)
	before := s.export()
	probes := badInputs()
	if len(probes) < 40 {
		t.Fatalf("the suite has %d requests; the acceptance criteria ask for at least 40", len(probes))
	}
	names := map[string]bool{}
	for _, p := range probes {
		if names[p.name] {
			t.Fatalf("two probes are named %q", p.name)
		}
		names[p.name] = true
		t.Run(p.name, func(t *testing.T) {
			status, code, limit, body := s.do(t, p)
			if status != p.status || code != p.code || limit != p.limit {
				t.Errorf("HTTP %d code %q limit %q; want %d %q %q\n%s", status, code, limit, p.status, p.code, p.limit, truncate(body))
			}
			if status >= 500 {
				t.Errorf("a bad request caused a server error")
			}
			// Nothing the client sent comes back: no body echo, no
			// internal detail.
			if len(p.body) > 40 && bytes.Contains(body, []byte(p.body[:40])) {
				t.Errorf("the answer echoes the request body: %s", truncate(body))
			}
			for _, leak := range []string{"goroutine ", ".go:", "runtime error", "bbolt", "json request body could not be decoded"} {
				if bytes.Contains(body, []byte(leak)) {
					t.Errorf("the answer leaks %q: %s", leak, truncate(body))
				}
			}
		})
	}

	// The server is healthy and changed nothing.
	for _, p := range []probe{
		{name: "query after the suite", body: gqlBody(okQuery, nil), status: 200},
		{name: "GET query after the suite", method: "GET", path: getURL("query", okQuery), status: 200},
		{name: "charset parameter", ctype: "application/json; charset=utf-8", body: gqlBody(okQuery, nil), status: 200},
		{name: "unknown members are ignored", body: `{"query": "{ __typename }", "documentId": "x"}`, status: 200},
	} {
		if status, code, _, body := s.do(t, p); status != p.status || code != "" {
			t.Errorf("%s: HTTP %d %q: %s", p.name, status, code, truncate(body))
		}
	}
	if after := s.export(); !bytes.Equal(before, after) {
		t.Errorf("the suite changed the data: export before %d bytes, after %d", len(before), len(after))
	}
}

func TestAccessRolesThatMayWrite(t *testing.T) {
	// The suite's refusals are not a server that refuses everything: the
	// same mutation passes with write and admin tokens, and an admin may
	// take a backup.
	s := newSuiteServer(t)
	for i, role := range []string{"write", "admin"} {
		body := gqlBody(fmt.Sprintf(`mutation { createTopic(input: {key: "t%d", name: "T"}) { topic { key } } }`, i), nil)
		if status, code, _, b := s.do(t, probe{token: role, body: body}); status != 200 || code != "" {
			t.Errorf("%s: HTTP %d %q %s", role, status, code, truncate(b))
		}
	}
	status, _, _, b := s.do(t, probe{method: "GET", path: backupPath, token: "admin"})
	if status != 200 || len(b) < 4096 {
		t.Errorf("backup as admin: HTTP %d, %d bytes", status, len(b))
	}
}

func TestServeRefusesAnonymousWritesOnTheNetwork(t *testing.T) {
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens.json")
	if _, err := auth.Create(tokens, "ci", auth.RoleWrite, time.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string // in the error; "" when the server starts
	}{
		{"all interfaces, no tokens", []string{"--addr", ":0"}, "refusing to serve"},
		{"a public address, no tokens", []string{"--addr", "0.0.0.0:0"}, "refusing to serve"},
		{"private without tokens", []string{"--addr", "127.0.0.1:0", "--private"}, "usage"},
		{"missing token file", []string{"--addr", "127.0.0.1:0", "--token-file", filepath.Join(dir, "nope.json")}, "no such file"},
		{"loopback, no tokens", []string{"--addr", "127.0.0.1:0"}, ""},
		{"all interfaces with tokens", []string{"--addr", ":0", "--token-file", tokens}, ""},
		{"all interfaces, told to", []string{"--addr", ":0", "--insecure-anonymous-writes"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "parley.db")
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var stdout, stderr lockedBuffer
			args := append([]string{"serve", "--db", db}, tt.args...)
			errc := make(chan error, 1)
			go func() {
				errc <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr)
			}()
			if tt.want == "" {
				// It serves until cancelled.
				deadline := time.Now().Add(2 * time.Second)
				for !strings.Contains(stdout.String(), "serving") && time.Now().Before(deadline) {
					time.Sleep(5 * time.Millisecond)
				}
				cancel()
				if err := <-errc; err != nil {
					t.Fatalf("serve: %v (%s)", err, stderr.String())
				}
				return
			}
			err := <-errc
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tt.want) {
				t.Fatalf("serve: %v %q; want an error with %q", err, stderr.String(), tt.want)
			}
			if _, err := os.Stat(db); err == nil {
				t.Error("a server that refused to start created its database")
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer that a goroutine may write while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// With --private, the metrics and the schema are reads like the API's and
// need a token; the probes stay open for orchestrators. Without it, all of
// them are public.
func TestPrivateCoversMetricsAndSchema(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens.json")
	read, err := auth.Create(file, "reader", auth.RoleRead, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, private := range []bool{true, false} {
		cfg := serveConfig{ImportMaxRecords: 5000, MaxBody: defaultMaxBody, MaxImportBody: defaultMaxImportBody,
			Security: securityConfig{TokenFile: file, Private: private}}
		if err := cfg.Security.loadKeys(); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(newHandler(openStore(t), cfg))
		for _, tc := range []struct {
			path  string
			token string
			want  int
		}{
			{"/healthz", "", http.StatusOK},
			{"/readyz", "", http.StatusOK},
			{"/metrics", "", map[bool]int{true: http.StatusUnauthorized, false: http.StatusOK}[private]},
			{schemaPath, "", map[bool]int{true: http.StatusUnauthorized, false: http.StatusOK}[private]},
			{"/metrics", read, http.StatusOK},
			{schemaPath, read, http.StatusOK},
		} {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
			if tc.token != "" {
				req.Header.Set("Authorization", "Bearer "+tc.token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("private=%v GET %s (token %v): %d, want %d", private, tc.path, tc.token != "", res.StatusCode, tc.want)
			}
		}
		srv.Close()
	}
}

// A server with anonymous writes for local use answers only requests that
// name it localhost or a loopback IP: a page elsewhere that reaches it by
// DNS rebinding names its own host. With tokens, any name will do.
func TestAnonymousWritesAnswerLocalNamesOnly(t *testing.T) {
	tests := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:8080", true},
		{"localhost:8080", true},
		{"LOCALHOST", true},
		{"app.localhost:8080", true},
		{"[::1]:8080", true},
		{"127.1.2.3", true},
		{"evil.example:8080", false},
		{"parley.example.org", false},
		{"10.0.0.5:8080", false},
	}
	open := httptest.NewServer(newHandler(openStore(t), serveConfig{}))
	t.Cleanup(open.Close)
	file := filepath.Join(t.TempDir(), "tokens.json")
	if _, err := auth.Create(file, "w", auth.RoleWrite, time.Now()); err != nil {
		t.Fatal(err)
	}
	cfg := serveConfig{Security: securityConfig{TokenFile: file}}
	if err := cfg.Security.loadKeys(); err != nil {
		t.Fatal(err)
	}
	withTokens := httptest.NewServer(newHandler(openStore(t), cfg))
	t.Cleanup(withTokens.Close)

	post := func(url, host string) int {
		req, _ := http.NewRequest(http.MethodPost, url+endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, tt := range tests {
		want := http.StatusOK
		if !tt.ok {
			want = http.StatusForbidden
		}
		if got := post(open.URL, tt.host); got != want {
			t.Errorf("anonymous writes, Host %q: HTTP %d, want %d", tt.host, got, want)
		}
		if got := post(withTokens.URL, tt.host); got != http.StatusOK {
			t.Errorf("with tokens, Host %q: HTTP %d, want 200", tt.host, got)
		}
	}
}

// An ordinary request that offers another upgrade (curl --http2 on an
// http URL sends "Upgrade: h2c") is answered as what it is; only a
// WebSocket handshake goes to the WebSocket transport.
func TestOtherUpgradesAreOrdinaryRequests(t *testing.T) {
	srv := httptest.NewServer(newHandler(openStore(t), serveConfig{}))
	t.Cleanup(srv.Close)
	for _, upgrade := range []string{"h2c", "HTTP/2.0, SHTTP/1.3"} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Connection", "Upgrade, HTTP2-Settings")
		req.Header.Set("Upgrade", upgrade)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"Query"`) {
			t.Errorf("POST with Upgrade: %s: HTTP %d %s", upgrade, res.StatusCode, body)
		}
	}
	for _, upgrade := range []string{"websocket", "WebSocket"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+endpoint, nil)
		req.Header.Set("Connection", "Upgrade")
		req.Header.Set("Upgrade", upgrade)
		req.Header.Set("Sec-WebSocket-Version", "13")
		req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		req.Header.Set("Sec-WebSocket-Protocol", "graphql-transport-ws")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("WebSocket handshake with Upgrade: %s: HTTP %d, want 101", upgrade, res.StatusCode)
		}
	}
}
