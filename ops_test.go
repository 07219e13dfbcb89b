package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/auth"
)

// opsServer serves a sample database with the given configuration and
// captures the log in the returned buffer (JSON lines).
func opsServer(t *testing.T, cfg serveConfig) (base string, log *bytes.Buffer) {
	t.Helper()
	st := openStore(t)
	loadSample(t, st)
	log = &bytes.Buffer{}
	logger, err := newLogger("json", slog.LevelInfo, &syncWriter{w: log})
	if err != nil {
		t.Fatal(err)
	}
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })
	srv := httptest.NewServer(newHandler(st, cfg))
	t.Cleanup(srv.Close)
	return srv.URL, log
}

// syncWriter serializes writes: the log is written from request goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

// postGraphQL sends a request with the headers given as name, value pairs.
func postGraphQL(t *testing.T, url string, body any, header ...string) (int, http.Header, map[string]json.RawMessage) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("HTTP %d: %v", res.StatusCode, err)
	}
	return res.StatusCode, res.Header, out
}

func TestHealthAndReadiness(t *testing.T) {
	st := openStore(t)
	srv := httptest.NewServer(newHandler(st, serveConfig{}))
	defer srv.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, h, _ := get(t, srv.URL+path); code != http.StatusOK || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d %v, want 200 and no-store", path, code, h)
		}
	}
	// A closed database is not ready; the process is still alive.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database closed: %d, want 503", code)
	}
	if code, _, _ := get(t, srv.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz with the database closed: %d, want 200", code)
	}
}

// metricValue reads one sample of the Prometheus text format; -1 when
// there is none.
func metricValue(t *testing.T, text, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
	if m == nil {
		return -1
	}
	var v float64
	if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
		t.Fatalf("%s: %v", series, err)
	}
	return v
}

func TestMetrics(t *testing.T) {
	base, _ := opsServer(t, serveConfig{})
	gql := base + endpoint
	for range 3 {
		postGraphQL(t, gql, map[string]any{"query": "query Feed { statements(first: 2) { totalCount } }", "operationName": "Feed"})
	}
	postGraphQL(t, gql, map[string]any{"query": `query Missing { speaker(id: "bad") { name } }`})
	postGraphQL(t, gql, map[string]any{"query": "{ nope }"})
	postGraphQL(t, gql, map[string]any{"query": `mutation Imp($in: [StatementImport!]!) { importStatements(input: $in) { created } }`,
		"variables": map[string]any{"in": []any{map[string]any{"text": "New words.", "kind": "QUOTE", "speaker": map[string]any{"key": "dmitry-peskov"}}}}})
	postGraphQL(t, gql, map[string]any{"query": `mutation { importStatements(input: [{text: "Dry.", kind: "QUOTE", speaker: {key: "dmitry-peskov"}}], options: {dryRun: true}) { created } }`})
	// A call of an import stream sent twice (its answer was lost) counts once.
	for range 2 {
		postGraphQL(t, gql, map[string]any{"query": `mutation { importStatements(input: [{text: "Streamed.", kind: "QUOTE", speaker: {key: "dmitry-peskov"}}], options: {sequence: {stream: "s", seq: 0}}) { created } }`})
	}

	_, _, text := get(t, base+"/metrics")
	tests := []struct {
		series string
		want   float64 // -1: present with any positive value
	}{
		{`parley_graphql_requests_total{operation="Feed",status="ok",type="query"}`, 3},
		{`parley_graphql_requests_total{operation="Missing",status="error",type="query"}`, 1},
		{`parley_graphql_requests_total{operation="anonymous",status="error",type="invalid"}`, 1},
		{`parley_graphql_requests_total{operation="Imp",status="ok",type="mutation"}`, 1},
		{`parley_graphql_request_duration_seconds_count{operation="Feed",type="query"}`, 3},
		{`parley_graphql_errors_total{code="BAD_USER_INPUT"}`, 1},
		{`parley_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}`, 1},
		{`parley_imported_records_total{status="CREATED"}`, 2}, // not the dry run, the streamed call once
		{`parley_import_group_calls_count`, 1},                 // the streamed call, alone
		{`parley_import_group_calls_bucket{le="1"}`, 1},
		{`parley_http_requests_total{code="200",route="/graphql"}`, 8},
		{`parley_subscriptions_open{field="statementAdded"}`, 0},
		{`parley_database_size_bytes`, -1},
		{`parley_store_write_transactions_total`, -1}, // the sample's seeding, the imports
		{`parley_store_writer_busy_seconds_total`, -1},
		{`parley_store_commit_disk_seconds_total`, -1},
		{`parley_store_commit_spill_seconds_total`, -1},
		{`parley_store_commit_pages_total`, -1},
	}
	for _, tt := range tests {
		got := metricValue(t, text, tt.series)
		if (tt.want == -1 && got <= 0) || (tt.want != -1 && got != tt.want) {
			t.Errorf("%s = %v, want %v", tt.series, got, tt.want)
		}
	}
}

func TestOperationNamesAreBoundedInMetrics(t *testing.T) {
	o := newObservability("", 0)
	if got := o.label(strings.Repeat("x", maxOperationName+1)); got != otherOperation {
		t.Errorf("a name of %d bytes is labelled %q, want %q", maxOperationName+1, got, otherOperation)
	}
	for i := range maxOperationNames + 10 {
		if got := o.label(strings.Repeat("x", i%(maxOperationName-4)+1) + fmt.Sprint(i)); i < maxOperationNames && got == otherOperation {
			t.Fatalf("name %d labelled %q", i, got)
		}
	}
	if got := o.label("late"); got != otherOperation {
		t.Errorf("a name past the bound is labelled %q, want %q", got, otherOperation)
	}
	if got := o.label("x0"); got != "x0" {
		t.Errorf("a known name is labelled %q", got)
	}
	if got := o.label(""); got != anonymousOperation {
		t.Errorf("no name is labelled %q", got)
	}
}

type logLine struct {
	Level     string  `json:"level"`
	Msg       string  `json:"msg"`
	RequestID string  `json:"request_id"`
	Path      string  `json:"path"`
	Status    int     `json:"status"`
	Duration  float64 `json:"duration"`
	Operation string  `json:"operation"`
	ErrorCode string  `json:"error_code"`
	Query     string  `json:"query"`
}

func logLines(t *testing.T, log *bytes.Buffer) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var ll logLine
		if err := json.Unmarshal([]byte(l), &ll); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, ll)
	}
	return out
}

func TestRequestLog(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	token, err := auth.Create(tokens, "logger", auth.RoleWrite, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg := serveConfig{Security: securityConfig{TokenFile: tokens}}
	if err := cfg.Security.loadKeys(); err != nil {
		t.Fatal(err)
	}
	base, log := opsServer(t, cfg)
	code, h, _ := postGraphQL(t, base+endpoint, map[string]any{"query": `query Who { speaker(id: "bad") { name } }`, "operationName": "Who"},
		"Authorization", "Bearer "+token, "X-Request-Id", "req-42")
	if code != http.StatusOK || h.Get("X-Request-Id") != "req-42" {
		t.Fatalf("HTTP %d, X-Request-Id %q; want 200 and the client's id", code, h.Get("X-Request-Id"))
	}
	// An id that could break a log line is replaced.
	_, h, _ = postGraphQL(t, base+endpoint, map[string]any{"query": "{ topics { totalCount } }"}, "X-Request-Id", "bad id\" forged=1")
	if id := h.Get("X-Request-Id"); !requestIDPattern.MatchString(id) || strings.Contains(id, "forged") {
		t.Errorf("unsafe request id kept: %q", id)
	}
	get(t, base+"/healthz") // logged at debug level: not in this log

	if strings.Contains(log.String(), token) {
		t.Fatalf("the log contains the token:\n%s", log)
	}
	lines := logLines(t, log)
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2 requests:\n%s", len(lines), log)
	}
	want := logLine{Level: "INFO", Msg: "request", RequestID: "req-42", Path: endpoint, Status: 200, Operation: "Who", ErrorCode: "BAD_USER_INPUT"}
	got := lines[0]
	got.Duration = 0
	if got != want {
		t.Errorf("log line %+v\nwant %+v", got, want)
	}
	if lines[0].Duration <= 0 {
		t.Errorf("no duration in %+v", lines[0])
	}
}

func TestSlowQueryLog(t *testing.T) {
	base, log := opsServer(t, serveConfig{SlowQuery: time.Nanosecond})
	postGraphQL(t, base+endpoint, map[string]any{"query": "query Slow { statements(first: 5) { totalCount } }"}, "X-Request-Id", "slow-1")
	var slow []logLine
	for _, l := range logLines(t, log) {
		if l.Msg == "slow operation" {
			slow = append(slow, l)
		}
	}
	if len(slow) != 1 || slow[0].Level != "WARN" || slow[0].RequestID != "slow-1" || slow[0].Operation != "Slow" ||
		!strings.Contains(slow[0].Query, "statements(first: 5)") {
		t.Errorf("slow-query lines %+v, want one warning with the request id, operation and query", slow)
	}

	// Without a threshold nothing is slow.
	base, log = opsServer(t, serveConfig{})
	postGraphQL(t, base+endpoint, map[string]any{"query": "{ topics { totalCount } }"})
	if strings.Contains(log.String(), "slow operation") {
		t.Errorf("logged as slow with no threshold:\n%s", log)
	}
}

// TestGraphQLOverHTTP checks the status codes and bodies of the
// GraphQL-over-HTTP specification that gqlgen alone does not give.
func TestGraphQLOverHTTP(t *testing.T) {
	base, _ := opsServer(t, serveConfig{})
	gql := base + endpoint

	res, err := http.Get(gql + "?query=" + url.QueryEscape(`mutation { deleteTopic(id: "x") { deletedId } }`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
		t.Errorf("mutation over GET: %d, Allow %q; want 405 and POST", res.StatusCode, res.Header.Get("Allow"))
	}

	tests := []struct {
		name   string
		query  string
		accept string
		status int
		data   bool // whether the body has a data entry
	}{
		{"executed", "{ topics { totalCount } }", "application/graphql-response+json", 200, true},
		{"syntax error", "{", "application/graphql-response+json", 400, false},
		{"validation error", "{ nope }", "application/graphql-response+json", 400, false},
		{"field error", `{ speaker(id: "bad") { name } }`, "application/graphql-response+json", 200, true},
		{"syntax error, json", "{", "application/json", 422, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := postGraphQL(t, gql, map[string]any{"query": tt.query}, "Accept", tt.accept)
			_, hasData := body["data"]
			if code != tt.status || hasData != tt.data || !strings.HasPrefix(h.Get("Content-Type"), tt.accept) {
				t.Errorf("HTTP %d %s, data entry %v; want %d %s, %v", code, h.Get("Content-Type"), hasData, tt.status, tt.accept, tt.data)
			}
		})
	}
}

func TestAutomaticPersistedQueries(t *testing.T) {
	base, _ := opsServer(t, serveConfig{})
	gql := base + endpoint
	const q = "{ speakers(first: 1) { totalCount } }"
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}

	_, _, body := postGraphQL(t, gql, map[string]any{"extensions": ext})
	if !strings.Contains(string(body["errors"]), "PERSISTED_QUERY_NOT_FOUND") {
		t.Fatalf("unknown hash: %s, want PERSISTED_QUERY_NOT_FOUND", body["errors"])
	}
	_, _, body = postGraphQL(t, gql, map[string]any{"query": q, "extensions": ext})
	want := `{"speakers":{"totalCount":15}}`
	if string(body["data"]) != want {
		t.Fatalf("registering: %s %s", body["data"], body["errors"])
	}
	// The hash alone now works, over GET too.
	extJSON, _ := json.Marshal(ext)
	_, _, text := get(t, gql+"?extensions="+url.QueryEscape(string(extJSON)))
	if !strings.Contains(text, want) {
		t.Errorf("GET by hash: %s, want %s", text, want)
	}
	// A query whose hash does not match is refused.
	bad := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}
	if _, _, body = postGraphQL(t, gql, map[string]any{"query": q, "extensions": bad}); body["errors"] == nil {
		t.Errorf("a mismatched hash was accepted: %s", body["data"])
	}
}

// TestServedSchemaMatchesSnapshot fails when the schema served at
// /schema.graphql differs from api/schema.graphql, so that every API change
// is reviewed as a diff of that file. -update rewrites it.
func TestServedSchemaMatchesSnapshot(t *testing.T) {
	base, _ := opsServer(t, serveConfig{})
	code, h, served := get(t, base+schemaPath)
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "application/graphql") {
		t.Fatalf("GET %s: %d %s", schemaPath, code, h.Get("Content-Type"))
	}
	path := filepath.Join("api", "schema.graphql")
	if *update {
		if err := os.WriteFile(path, []byte(served), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test . -run TestServedSchemaMatchesSnapshot -update)", err)
	}
	if served != string(want) {
		t.Errorf("the served schema differs from %s; review the change and run\n\tgo test . -run TestServedSchemaMatchesSnapshot -update\nfirst difference: %s", path, sdlDiff(string(want), served))
	}
	for _, s := range []string{"type Subscription {", "statementAdded(filter: StatementFilter): Statement!", `"""`} {
		if !strings.Contains(served, s) {
			t.Errorf("the served schema lacks %q", s)
		}
	}
}

func sdlDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d: snapshot %q, served %q", i+1, x, y)
		}
	}
	return "none"
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^parley \S+ .*go1\.\d+.* \w+/\w+\n$`).MatchString(out.String()) {
		t.Errorf("version: %q", out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"version", "--json"}, func(string) string { return "" }, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var bi buildInfo
	if err := json.Unmarshal(out.Bytes(), &bi); err != nil || bi.Version == "" || bi.GoVersion == "" {
		t.Errorf("version --json: %s (%v)", out.String(), err)
	}
	if err := run(context.Background(), []string{"version", "extra"}, func(string) string { return "" }, nil, &out, io.Discard); err != errUsage {
		t.Errorf("version with an argument: %v, want a usage error", err)
	}
}
