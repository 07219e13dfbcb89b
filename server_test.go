package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"parley/domain"
	"parley/graph"
	"parley/store"
)

func TestParseServeFlags(t *testing.T) {
	limits := func(c serveConfig) serveConfig {
		c.ImportMaxRecords, c.MaxBody, c.MaxImportBody = 5000, 1<<20, 64<<20
		c.LogFormat, c.SlowQuery, c.SubscriptionBuffer = "text", defaultSlowQuery, graph.DefaultSubscriptionBuffer
		c.RecordCacheMiB, c.MemoryLimitMiB = 64, 200
		return c
	}
	defaults := limits(serveConfig{Addr: "127.0.0.1:8080", DB: "./parley.db"})
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    serveConfig
		wantErr error
	}{
		{name: "defaults", want: defaults},
		{
			name: "environment",
			env: map[string]string{"PARLEY_ADDR": ":9000", "PARLEY_DB": "/data/p.db", "PARLEY_SAMPLE": "true",
				"PARLEY_CORS_ORIGINS": "https://a.example, https://b.example,"},
			want: limits(serveConfig{Addr: ":9000", DB: "/data/p.db", Sample: true, CORSOrigins: []string{"https://a.example", "https://b.example"}}),
		},
		{
			name: "flags over environment",
			args: []string{"--addr", "127.0.0.1:0", "--db=x.db", "--sample=false", "--cors-origins", "*"},
			env:  map[string]string{"PARLEY_ADDR": ":9000", "PARLEY_DB": "/data/p.db", "PARLEY_SAMPLE": "1", "PARLEY_CORS_ORIGINS": "https://a.example"},
			want: limits(serveConfig{Addr: "127.0.0.1:0", DB: "x.db", CORSOrigins: []string{"*"}}),
		},
		{name: "sample flag", args: []string{"-sample"}, want: limits(serveConfig{Addr: defaults.Addr, DB: defaults.DB, Sample: true})},
		{name: "log level flag", args: []string{"--log-level", "warn"}, want: func() serveConfig { c := defaults; c.LogLevel = slog.LevelWarn; return c }()},
		{name: "log level from environment", env: map[string]string{"PARLEY_LOG_LEVEL": "ERROR"}, want: func() serveConfig { c := defaults; c.LogLevel = slog.LevelError; return c }()},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: errUsage},
		// A value the flag refuses is refused from the environment too,
		// rather than ignored.
		{name: "database size below a new database's", args: []string{"--max-db-size", "20000"}, wantErr: errUsage},
		{name: "bad log level in the environment", env: map[string]string{"PARLEY_LOG_LEVEL": "verbose"}, wantErr: errUsage},
		{name: "database size with a unit in the environment", env: map[string]string{"PARLEY_MAX_DB_SIZE": "1GB"}, wantErr: errUsage},
		{name: "negative timeout in the environment", env: map[string]string{"PARLEY_REQUEST_TIMEOUT": "-1s"}, wantErr: errUsage},
		{name: "timeout without a unit in the environment", env: map[string]string{"PARLEY_REQUEST_TIMEOUT": "30"}, wantErr: errUsage},
		{name: "negative limit in the environment", env: map[string]string{"PARLEY_MAX_DEPTH": "-3"}, wantErr: errUsage},
		// 0 is the default for the limits, as it always was.
		{name: "zero limits in the environment", env: map[string]string{"PARLEY_MAX_DEPTH": "0", "PARLEY_REQUEST_TIMEOUT": "0"}, want: defaults},
		{name: "body size with a unit in the environment", env: map[string]string{"PARLEY_MAX_BODY": "2MB"}, wantErr: errUsage},
		{name: "memory limit with a unit in the environment", env: map[string]string{"PARLEY_MEMORY_LIMIT_MB": "1g"}, wantErr: errUsage},
		{
			name: "limits",
			args: []string{"--import-max-records", "100", "--max-body", "2048"},
			env:  map[string]string{"PARLEY_MAX_IMPORT_BODY": "4096"},
			want: serveConfig{Addr: defaults.Addr, DB: defaults.DB, ImportMaxRecords: 100, MaxBody: 2048, MaxImportBody: 4096,
				LogFormat: "text", SlowQuery: defaultSlowQuery, SubscriptionBuffer: graph.DefaultSubscriptionBuffer, RecordCacheMiB: 64, MemoryLimitMiB: 200},
		},
		{
			name: "operations",
			args: []string{"--log-format", "json", "--slow-query", "2s", "--subscription-buffer", "50"},
			env:  map[string]string{"PARLEY_SLOW_QUERY": "1ms", "PARLEY_LOG_FORMAT": "text"},
			want: func() serveConfig {
				c := defaults
				c.LogFormat, c.SlowQuery, c.SubscriptionBuffer = "json", 2*time.Second, 50
				return c
			}(),
		},
		{name: "operations from environment", env: map[string]string{"PARLEY_SLOW_QUERY": "0", "PARLEY_SUBSCRIPTION_BUFFER": "7"},
			want: func() serveConfig { c := defaults; c.SlowQuery, c.SubscriptionBuffer = 0, 7; return c }()},
		{name: "record cache off", args: []string{"--record-cache-mb", "0"}, want: func() serveConfig { c := defaults; c.RecordCacheMiB, c.MemoryLimitMiB = 0, 136; return c }()},
		{name: "record cache from environment", env: map[string]string{"PARLEY_RECORD_CACHE_MB": "256"}, want: func() serveConfig { c := defaults; c.RecordCacheMiB, c.MemoryLimitMiB = 256, 392; return c }()},
		{name: "memory limit flag", args: []string{"--memory-limit-mb", "512"}, want: func() serveConfig { c := defaults; c.MemoryLimitMiB = 512; return c }()},
		{name: "memory limit from environment", env: map[string]string{"PARLEY_MEMORY_LIMIT_MB": "300"}, want: func() serveConfig { c := defaults; c.MemoryLimitMiB = 300; return c }()},
		{name: "no memory limit", args: []string{"--memory-limit-mb", "0"}, want: func() serveConfig { c := defaults; c.MemoryLimitMiB = 0; return c }()},
		{name: "GOMEMLIMIT wins over the default", env: map[string]string{"GOMEMLIMIT": "1GiB"}, want: func() serveConfig { c := defaults; c.MemoryLimitMiB = 0; return c }()},
		{name: "flag wins over GOMEMLIMIT", args: []string{"--memory-limit-mb", "256"}, env: map[string]string{"GOMEMLIMIT": "1GiB"}, want: func() serveConfig { c := defaults; c.MemoryLimitMiB = 256; return c }()},
		{name: "memory limit below the record cache's room", args: []string{"--memory-limit-mb", "100"}, wantErr: errUsage},
		{name: "negative memory limit", args: []string{"--memory-limit-mb", "-5"}, wantErr: errUsage},
		{name: "record cache too large", args: []string{"--record-cache-mb", "4096"}, wantErr: errUsage},
		{name: "negative record cache", args: []string{"--record-cache-mb", "-1"}, wantErr: errUsage},
		{name: "unknown log format", args: []string{"--log-format", "xml"}, wantErr: errUsage},
		{name: "negative slow-query threshold", args: []string{"--slow-query", "-1s"}, wantErr: errUsage},
		{name: "import body below body limit", args: []string{"--max-body", "4096", "--max-import-body", "2048"}, wantErr: errUsage},
		{name: "zero records per import", args: []string{"--import-max-records", "0"}, wantErr: errUsage},
		{name: "bad boolean in environment", env: map[string]string{"PARLEY_SAMPLE": "yes please"}, wantErr: errUsage},
		{name: "unknown flag", args: []string{"--port", "80"}, wantErr: errUsage},
		{name: "stray argument", args: []string{"now"}, wantErr: errUsage},
		{name: "help", args: []string{"-h"}, wantErr: flag.ErrHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			got, err := parseServeFlags(tt.args, getenv, io.Discard)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRunUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, strings.NewReader(""), io.Discard, &stderr)
	if !errors.Is(err, errUsage) || !strings.Contains(stderr.String(), `unknown command "frobnicate"`) {
		t.Errorf("err %v, stderr %q", err, stderr.String())
	}
}

func TestRoutes(t *testing.T) {
	srv := httptest.NewServer(newHandler(openStore(t), serveConfig{}))
	defer srv.Close()

	query := url.QueryEscape(`{ speakers { totalCount } }`)
	tests := []struct {
		method, path, body string
		status             int
		contains           string
	}{
		{"GET", "/", "", http.StatusOK, "<html"},
		{"POST", "/graphql", `{"query":"{ speakers { totalCount } }"}`, http.StatusOK, `"totalCount":0`},
		{"GET", "/graphql?query=" + query, "", http.StatusOK, `"totalCount":0`},
		{"PUT", "/graphql", `{}`, http.StatusMethodNotAllowed, ""},
		{"GET", "/nothing-here", "", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.status || !strings.Contains(string(body), tt.contains) {
				t.Errorf("HTTP %d %q; want %d containing %q", res.StatusCode, body, tt.status, tt.contains)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	tests := []struct {
		name    string
		origins []string
		origin  string
		allowed string // Access-Control-Allow-Origin expected
	}{
		{"none configured", nil, "https://evil.example", ""},
		{"allowed origin", []string{"https://app.example"}, "https://app.example", "https://app.example"},
		{"other origin", []string{"https://app.example"}, "https://evil.example", ""},
		{"any origin", []string{"*"}, "https://app.example", "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(newHandler(openStore(t), serveConfig{CORSOrigins: tt.origins}))
			defer srv.Close()

			preflight, _ := http.NewRequest(http.MethodOptions, srv.URL+endpoint, nil)
			preflight.Header.Set("Origin", tt.origin)
			preflight.Header.Set("Access-Control-Request-Method", "POST")
			preflight.Header.Set("Access-Control-Request-Headers", "content-type")
			post, _ := http.NewRequest(http.MethodPost, srv.URL+endpoint, strings.NewReader(`{"query":"{ __typename }"}`))
			post.Header.Set("Origin", tt.origin)
			post.Header.Set("Content-Type", "application/json")

			for _, req := range []*http.Request{preflight, post} {
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if got := res.Header.Get("Access-Control-Allow-Origin"); got != tt.allowed {
					t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", req.Method, got, tt.allowed)
				}
				if got := res.Header.Get("Access-Control-Allow-Credentials"); got != "" {
					t.Errorf("%s: Access-Control-Allow-Credentials %q", req.Method, got)
				}
			}
		})
	}
}

// TestSeed checks that the sample data goes into a new database when asked
// for, and never into an existing one.
func TestSeed(t *testing.T) {
	count := func(t *testing.T, path string) int {
		st, err := store.Open(path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		n, err := st.CountStatements(context.Background(), domain.StatementFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	open := func(t *testing.T, cfg serveConfig) {
		st, err := openDatabase(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("new database with sample", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.db")
		open(t, serveConfig{DB: path, Sample: true})
		n := count(t, path)
		if n == 0 {
			t.Fatal("sample not loaded")
		}
		open(t, serveConfig{DB: path, Sample: true})
		if again := count(t, path); again != n {
			t.Errorf("restarting with --sample changed %d statements to %d", n, again)
		}
	})
	t.Run("new database without sample", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.db")
		open(t, serveConfig{DB: path})
		open(t, serveConfig{DB: path, Sample: true})
		if n := count(t, path); n != 0 {
			t.Errorf("an existing empty database got %d statements", n)
		}
	})
	t.Run("a start that was killed while loading", func(t *testing.T) {
		// What a kill during the first start with --sample leaves: a
		// half-loaded file beside the path, and no database at it.
		path := filepath.Join(t.TempDir(), "p.db")
		st, err := store.Open(path+".loading", store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		st.Close()
		open(t, serveConfig{DB: path, Sample: true})
		if n := count(t, path); n == 0 {
			t.Error("the next start did not load the sample")
		}
		if _, err := os.Stat(path + ".loading"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the half-loaded file is still there: %v", err)
		}
	})
	t.Run("a start that left a damaged file while loading", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "p.db")
		if err := os.WriteFile(path+".loading", []byte("not a database"), 0o600); err != nil {
			t.Fatal(err)
		}
		open(t, serveConfig{DB: path, Sample: true})
		if n := count(t, path); n == 0 {
			t.Error("the next start did not load the sample")
		}
	})
}

// TestGracefulShutdown checks that a request in flight when the server is
// told to stop still gets its response.
func TestGracefulShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveOn(ctx, ln, h, io.Discard) }()

	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/")
		if err != nil {
			got <- err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		got <- string(b)
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		t.Fatalf("server stopped with a request in flight: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if body := <-got; body != "done" {
		t.Errorf("in-flight request got %q", body)
	}
	if err := <-served; err != nil {
		t.Errorf("serveOn: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

func TestSetMemoryLimitAppliesAndRestores(t *testing.T) {
	before := debug.SetMemoryLimit(-1) // -1 reads the limit
	restore := setMemoryLimit(300)
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("limit %d while serving, want %d", got, 300<<20)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit %d after restoring, want %d", got, before)
	}
	setMemoryLimit(0)() // leaves the runtime's
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit %d after a 0 limit, want %d", got, before)
	}
}

// A request that does not finish within the shutdown's timeout (a backup
// to a client that stopped reading) has its context ended and its
// connection closed, so that serveOn returns with it finished and the
// store can close.
func TestShutdownCutsOffWhatOutlivesItsTimeout(t *testing.T) {
	defer func(d time.Duration) { shutdownTimeout = d }(shutdownTimeout)
	shutdownTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, finished := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(finished)
		close(started)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serveOn(ctx, ln, h, io.Discard) }()
	go func() {
		if res, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			res.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		if err == nil || !strings.Contains(err.Error(), "cut off") {
			t.Errorf("serveOn = %v, want an error that says requests were cut off", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serveOn did not return after its shutdown timeout")
	}
	select {
	case <-finished:
	case <-time.After(time.Second):
		t.Fatal("the request still runs after serveOn returned")
	}
}
