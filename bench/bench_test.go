package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/domain"
	"parley/gen"
	"parley/graph"
	"parley/importer"
	"parley/store"
)

// newServer serves a new database through the real GraphQL handler at
// /graphql and returns the database and the handler.
func newServer(t *testing.T, opts graph.Options) (*store.Store, http.Handler) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "parley.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mux := http.NewServeMux()
	mux.Handle("/graphql", graph.NewServer(st, opts))
	return st, mux
}

func TestImportMeasuresAWholeRun(t *testing.T) {
	st, h := newServer(t, graph.Options{})
	const n, batch = 1_050, 200
	res, err := Import(t.Context(), ImportConfig{N: n, Seed: 3, BatchSize: batch, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != n || res.Batches != 6 || res.Summary.Created != n {
		t.Errorf("got %d records in %d batches, %d created; want %d in 6, all created", res.Records, res.Batches, res.Summary.Created, n)
	}
	// A tenth of 1,050 is 105 records, rounded up to the first batch.
	if res.Window != batch {
		t.Errorf("window = %d, want %d", res.Window, batch)
	}
	if res.Rate <= 0 || res.FirstRate <= 0 || res.LastRate <= 0 {
		t.Errorf("rates must be positive: %+v", res)
	}
	if res.PeakHeap < 1<<20 || res.PeakHeap > 4<<30 {
		t.Errorf("peak heap %d bytes is implausible", res.PeakHeap)
	}
	// The records really went in.
	got, err := st.CountStatements(t.Context(), domain.StatementFilter{})
	if err != nil || got != n {
		t.Errorf("the database holds %d statements (%v), want %d", got, err, n)
	}
	var out bytes.Buffer
	if err := WriteImport(&out, res); err != nil || !strings.Contains(out.String(), "1050 statements in 6 batches") {
		t.Errorf("WriteImport wrote %q (%v)", out.String(), err)
	}
}

func TestImportFailsWhenTheServerRejectsRecords(t *testing.T) {
	// The server takes at most 100 records per call: every batch of 200
	// is refused.
	_, h := newServer(t, graph.Options{MaxImportRecords: 100})
	_, err := Import(t.Context(), ImportConfig{N: 400, Seed: 1, BatchSize: 200, Handler: h})
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("err = %v, want the failed records reported", err)
	}
}

func TestWindowRates(t *testing.T) {
	start := time.Unix(0, 0)
	at := func(secs ...float64) []time.Time {
		ts := make([]time.Time, len(secs))
		for i, s := range secs {
			ts[i] = start.Add(time.Duration(s * float64(time.Second)))
		}
		return ts
	}
	tests := []struct {
		name        string
		acks        []time.Time
		n, batch    int
		window      int
		first, last float64
	}{
		{"steady", at(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 10_000, 1000, 1000, 1000, 1000},
		{"slowing down", at(1, 2, 3, 4, 5, 6, 7, 8, 9, 11), 10_000, 1000, 1000, 1000, 500},
		// A short last batch: the last window starts where 1,000 records
		// remain, inside the ninth batch, so it spans two acks.
		{"short last batch", at(1, 2, 3, 4, 5, 6, 7, 8, 9, 9.5), 9_500, 1000, 1000, 1000, 1000.0 / 1.5},
		// At a million, the window is capped at 100k.
		{"capped", at(seq(1000, 1)...), 1_000_000, 1000, 100_000, 1000, 1000},
		{"one batch", at(2), 500, 1000, 500, 250, 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, first, last := windowRates(start, tt.acks, tt.n, tt.batch)
			if w != tt.window || !near(first, tt.first) || !near(last, tt.last) {
				t.Errorf("got window %d, first %.1f, last %.1f; want %d, %.1f, %.1f", w, first, last, tt.window, tt.first, tt.last)
			}
		})
	}
}

func seq(n int, step float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i+1) * step
	}
	return s
}

func near(a, b float64) bool { return a > b*0.999 && a < b*1.001 }

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		vals []time.Duration
		p    float64
		want time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{ms(hundred...), 99, 99 * time.Millisecond},
		{ms(hundred...), 100, 100 * time.Millisecond},
		{ms(hundred...), 50, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.vals, tt.p); got != tt.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tt.vals, tt.p, got, tt.want)
		}
	}
}

func TestFloorAnswersAFixedJSONBody(t *testing.T) {
	if len(floorBody) != FloorBodySize || !json.Valid(floorBody) {
		t.Fatalf("floor body: %d bytes, valid JSON %v", len(floorBody), json.Valid(floorBody))
	}
	srv := httptest.NewServer(floorHandler())
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"query":"{x}"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(b.Bytes(), floorBody) {
		t.Errorf("floor answered %s with %d bytes", resp.Status, b.Len())
	}
}

// TestStartFloor checks the floor process's handshake: the URL on its
// first line, and a stop that ends it by closing its input; a process
// that says nothing else is refused, and stopped.
func TestStartFloor(t *testing.T) {
	// cat stands for a floor: it ends when its input closes.
	url, stop, err := StartFloor(exec.Command("sh", "-c", "echo http://127.0.0.1:9; exec cat >/dev/null"))
	if err != nil || url != "http://127.0.0.1:9" {
		t.Fatalf("StartFloor = %q, %v; want the URL the process printed", url, err)
	}
	start := time.Now()
	stop()
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("stop took %v: the process did not end when its input closed", d)
	}
	if _, _, err := StartFloor(exec.Command("sh", "-c", "echo listening; exec cat >/dev/null")); err == nil || !strings.Contains(err.Error(), "did not say where") {
		t.Errorf("StartFloor of a process without a URL: %v, want a refusal", err)
	}
	if _, _, err := StartFloor(exec.Command("/nonexistent/floor")); err == nil {
		t.Error("StartFloor of a missing program: no error")
	}
}

func TestCheckLoopback(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080/graphql", true},
		{"http://127.1.2.3/graphql", true},
		{"http://[::1]:8080/graphql", true},
		{"http://localhost:8080/graphql", true},
		{"https://LOCALHOST/graphql", true},
		{"http://10.0.0.1:8080/graphql", false},
		{"http://example.org/graphql", false},
		{"http://0.0.0.0:8080/graphql", false},
		{"ftp://127.0.0.1/", false},
		{"127.0.0.1:8080", false},
		{"", false},
	}
	for _, tt := range tests {
		if err := checkLoopback(tt.url); (err == nil) != tt.ok {
			t.Errorf("checkLoopback(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

// loaded serves a small generated dataset through the real handler.
func loaded(t *testing.T) *httptest.Server {
	t.Helper()
	st, h := newServer(t, graph.Options{})
	d := gen.New(gen.Config{N: 400, Seed: 7})
	var recs []domain.StatementImport
	for r, ok := d.Next(); ok; r, ok = d.Next() {
		recs = append(recs, r)
	}
	if rep, err := importer.Import(t.Context(), st, recs, domain.DefaultImportOptions()); err != nil || rep.Failed > 0 {
		t.Fatalf("import: %v %+v", err, rep)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// TestLoadRunsEveryQueryAgainstTheFloor runs every query against a floor
// served apart from the client (here by an httptest server standing for
// the floor's process; TestStartFloor checks the process itself).
func TestLoadRunsEveryQueryAgainstTheFloor(t *testing.T) {
	srv := loaded(t)
	floor := httptest.NewServer(floorHandler())
	defer floor.Close()
	var names []string
	for _, q := range Queries {
		names = append(names, q.Name)
	}
	res, err := Load(t.Context(), LoadConfig{
		URL: srv.URL + "/graphql", Queries: names, Concurrency: 2, Duration: 200 * time.Millisecond,
		Floor: true, FloorURL: floor.URL, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := append([]string{"floor"}, names...)
	if len(res) != len(want) {
		t.Fatalf("got %d results, want %d", len(res), len(want))
	}
	for i, r := range res {
		if r.Query != want[i] {
			t.Errorf("result %d is %s, want %s", i, r.Query, want[i])
		}
		if r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.P50 <= 0 || r.P50 > r.P99 {
			t.Errorf("%s: %+v", r.Query, r)
		}
		if (i > 0) != (r.FloorRatio > 0) || (i > 0) != (r.FloorRPS > 0) || i > 0 && math.Abs(r.FloorRatio-r.RPS/r.FloorRPS) > 1e-9 {
			t.Errorf("%s: floor ratio %v of %v req/s", r.Query, r.FloorRatio, r.FloorRPS)
		}
	}
	var out bytes.Buffer
	if err := WriteLoad(&out, res); err != nil || !strings.Contains(out.String(), "of floor") {
		t.Errorf("WriteLoad wrote %q (%v)", out.String(), err)
	}
}

func TestLoadStopsAtTheRequestCap(t *testing.T) {
	srv := loaded(t)
	start := time.Now()
	res, err := Load(t.Context(), LoadConfig{
		URL: srv.URL + "/graphql", Queries: []string{"q5"}, Concurrency: 4, Duration: time.Minute, MaxRequests: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Requests > 10 || res[0].Requests == 0 || time.Since(start) > 20*time.Second {
		t.Errorf("%d requests in %s; want at most 10, quickly", res[0].Requests, time.Since(start))
	}
}

// TestLoadWithFloorStopsAtTheRequestCap checks the cap across a query's
// slices interleaved with the floor's.
func TestLoadWithFloorStopsAtTheRequestCap(t *testing.T) {
	srv := loaded(t)
	res, err := Load(t.Context(), LoadConfig{
		URL: srv.URL + "/graphql", Queries: []string{"Q5"}, Concurrency: 4, Duration: time.Minute, MaxRequests: 10, Floor: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Query != "floor-in-client" || res[1].Requests > 10 || res[1].Requests == 0 || res[0].Requests == 0 {
		t.Errorf("results %+v; want the floor served in the client, and Q5 with at most 10 requests", res)
	}
}

// TestLoadCountsErrors checks that failed requests are counted and not
// timed: GraphQL errors in a 200 answer and non-200 answers alike.
func TestLoadCountsErrors(t *testing.T) {
	srv := loaded(t)
	var failing atomic.Bool
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		if !bytes.Contains(b.Bytes(), []byte("query Q")) {
			// Sampling requests reach the real server.
			resp, err := http.Post(srv.URL+"/graphql", "application/json", &b)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			b.Reset()
			b.ReadFrom(resp.Body)
			w.Write(b.Bytes())
			return
		}
		if failing.Load() {
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"errors":[{"message":"boom"}],"data":null}`))
	}))
	defer proxy.Close()
	for _, fail := range []bool{false, true} {
		failing.Store(fail)
		res, err := Load(t.Context(), LoadConfig{URL: proxy.URL, Queries: []string{"Q1"}, Concurrency: 1, Duration: time.Minute, MaxRequests: 5})
		if err != nil {
			t.Fatal(err)
		}
		r := res[0]
		if r.Requests != 5 || r.Errors != 5 || r.P50 != 0 || r.FirstError == "" {
			t.Errorf("failing=%v: %+v", fail, r)
		}
	}
}

func TestLoadRefusesBadConfigs(t *testing.T) {
	tests := []LoadConfig{
		{URL: "http://192.0.2.1/graphql", Queries: []string{"Q1"}},
		{URL: "http://127.0.0.1:1/graphql", Queries: []string{"Q9"}},
		{URL: "http://127.0.0.1:1/graphql", Queries: []string{"Q1"}, Concurrency: 5000},
	}
	for _, cfg := range tests {
		if _, err := Load(t.Context(), cfg); err == nil {
			t.Errorf("Load(%+v) succeeded", cfg)
		}
	}
}

func TestWatchHeapReadsTheServersMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, "# HELP go_memstats_heap_inuse_bytes x\n# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes 1.2582912e+07\ngo_goroutines 7\n")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if got := watchHeap(ctx, srv.Client(), srv.URL+"/graphql"); got != 12582912 {
		t.Errorf("watchHeap = %d, want 12582912", got)
	}
	none := httptest.NewServer(http.NotFoundHandler())
	defer none.Close()
	if got := watchHeap(context.Background(), none.Client(), none.URL+"/graphql"); got != 0 {
		t.Errorf("watchHeap without metrics = %d, want 0 at once", got)
	}
}
