package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"parley/client"
	"parley/gen"
)

// ImportConfig sets up a W1 run.
type ImportConfig struct {
	N    int    // statements to generate and import
	Seed uint64 // the generator's seed
	// Chronological imports the statements in date order (gen.Config).
	Chronological bool
	BatchSize     int // records per importStatements call; 0 means 1,000
	// Pipeline is how many calls the client keeps in flight (client.Config);
	// 0 means the client's default.
	Pipeline int
	// Handler is the server under test; it must serve the GraphQL API at
	// Path (default "/graphql"). Import serves it on a loopback port of
	// its own, so requests cross a real HTTP stack.
	Handler http.Handler
	Path    string
	// Progress, when set, receives the client's progress lines.
	Progress io.Writer
}

// maxWindow bounds the first and last windows whose rates are compared:
// the issue compares the first and the last 100k of a million.
const maxWindow = 100_000

// heapInterval is how often the heap in use is sampled.
const heapInterval = 100 * time.Millisecond

// ImportResult is what a W1 run measured.
type ImportResult struct {
	Records int           `json:"records"`   // records imported
	Batches int           `json:"batches"`   // acknowledged import calls
	Elapsed time.Duration `json:"elapsedNs"` // first request to last answer
	Rate    float64       `json:"rate"`      // records per second over the whole run
	// Window is the number of records in the first and the last window:
	// a tenth of the run, at most 100k, rounded up to whole batches.
	Window    int     `json:"window"`
	FirstRate float64 `json:"firstRate"` // records per second over the first Window records
	LastRate  float64 `json:"lastRate"`  // records per second over the last Window records
	// PeakHeap is the largest Go heap in use seen (bytes of heap objects,
	// sampled every 100 ms). Client, generator and server share the
	// process, so it bounds the server's heap from above.
	PeakHeap uint64 `json:"peakHeapBytes"`
	// MemoryLimit is the Go memory limit the process ran with
	// (runtime/debug.SetMemoryLimit), 0 for none: the peak heap depends
	// on it.
	MemoryLimit int64 `json:"memoryLimitBytes,omitempty"`
	// Commits is how many write transactions committed the import calls
	// (parley_import_group_calls_count of the server's /metrics; group
	// commit makes it fewer than Batches); 0 when the server reports none.
	Commits int `json:"commits,omitempty"`
	// Writer is how long the server's write transactions held its single
	// writer during the run, from its /metrics; nil when it reports none.
	Writer  *WriterTime    `json:"writer,omitempty"`
	Summary client.Summary `json:"summary"`
}

// WriterTime is the time a server's write transactions held its single
// writer, and the parts of committing that grow with the pages written.
// The import's rate cannot pass the writer's: Busy near the run's
// Elapsed means the writer was the limit.
type WriterTime struct {
	Busy  time.Duration `json:"busyNs"`  // from the start of each transaction to the end of its commit
	Spill time.Duration `json:"spillNs"` // of Busy: serializing changed nodes into pages
	Disk  time.Duration `json:"diskNs"`  // of Busy: writing the pages and waiting for the disk to sync them
	Pages int64         `json:"pages"`   // pages written by the commits
}

// Import runs W1: it serves cfg.Handler on 127.0.0.1, generates cfg.N
// records and imports them through the client in batches. Any record the
// server rejects makes it fail: a benchmark of a partial import would
// flatter the server.
func Import(ctx context.Context, cfg ImportConfig) (*ImportResult, error) {
	if cfg.N < 1 || cfg.Handler == nil {
		return nil, errors.New("bench: Import needs N ≥ 1 and a handler")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Path == "" {
		cfg.Path = "/graphql"
	}
	url, stop, err := serveLoopback(cfg.Handler)
	if err != nil {
		return nil, err
	}
	defer stop()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	records := streamRecords(ctx, gen.Config{N: cfg.N, Seed: cfg.Seed, Chronological: cfg.Chronological})
	defer records.Close()

	acks := &ackClock{}
	httpc := &http.Client{Transport: acks.wrap(newTransport(max(cfg.Pipeline, 2))), Timeout: 10 * time.Minute}
	heap := sampleHeap(heapInterval)
	start := time.Now()
	sum, err := client.Import(ctx, client.Config{
		URL:       url + cfg.Path,
		BatchSize: cfg.BatchSize,
		Pipeline:  cfg.Pipeline,
		HTTP:      httpc,
		Progress:  cfg.Progress,
	}, records)
	elapsed := time.Since(start)
	peak := heap.Stop()
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if sum.Failed > 0 || sum.Records != cfg.N {
		return nil, fmt.Errorf("import: %d of %d records failed or were not sent: %s", sum.Failed+cfg.N-sum.Records, cfg.N, sum)
	}
	res := &ImportResult{
		Records:     sum.Records,
		Batches:     len(acks.times),
		Elapsed:     elapsed,
		Rate:        float64(sum.Records) / elapsed.Seconds(),
		PeakHeap:    peak,
		MemoryLimit: memoryLimit(),
		Summary:     *sum,
	}
	res.Window, res.FirstRate, res.LastRate = windowRates(start, acks.times, cfg.N, cfg.BatchSize)
	// Not through httpc, whose clock takes every 200 answer for a batch's.
	m := readMetrics(ctx, &http.Client{Timeout: 10 * time.Second}, url+"/metrics",
		groupCountMetric, busyMetric, spillMetric, diskMetric, pagesMetric)
	res.Commits = int(m[groupCountMetric])
	if busy, ok := m[busyMetric]; ok {
		seconds := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
		res.Writer = &WriterTime{Busy: seconds(busy), Spill: seconds(m[spillMetric]), Disk: seconds(m[diskMetric]), Pages: int64(m[pagesMetric])}
	}
	return res, nil
}

// memoryLimit is the process's Go memory limit, 0 when there is none.
func memoryLimit() int64 {
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 { // -1 reads it
		return l
	}
	return 0
}

// The server's metrics (ops.go) that an import run reports. They count
// from the server's start, which is the run's: Import serves a new
// database.
const (
	groupCountMetric = "parley_import_group_calls_count"
	busyMetric       = "parley_store_writer_busy_seconds_total"
	spillMetric      = "parley_store_commit_spill_seconds_total"
	diskMetric       = "parley_store_commit_disk_seconds_total"
	pagesMetric      = "parley_store_commit_pages_total"
)

// windowRates computes the rates of the first and the last window of a
// run from the times its batches were acknowledged, in order. The
// window is a tenth of n, at most maxWindow, rounded up to whole batches.
func windowRates(start time.Time, acks []time.Time, n, batch int) (window int, first, last float64) {
	if len(acks) == 0 {
		return 0, 0, 0
	}
	done := func(i int) int { return min((i+1)*batch, n) } // records acknowledged by ack i
	want := max(1, min(maxWindow, n/10))
	i := 0
	for done(i) < want {
		i++
	}
	window = done(i)
	first = float64(window) / acks[i].Sub(start).Seconds()
	end := acks[len(acks)-1]
	// The last window starts at the ack after which window records remain.
	from := start
	for j := len(acks) - 1; j >= 0; j-- {
		if n-done(j) >= window {
			from = acks[j]
			break
		}
	}
	last = float64(window) / end.Sub(from).Seconds()
	return window, first, last
}

// ackClock records when each import call was answered with 200 OK: the
// server answers after the batch's transaction has committed. Retried
// calls answer 5xx or fail and are not recorded, so the i-th time is the
// i-th batch's.
type ackClock struct {
	mu    sync.Mutex
	times []time.Time
}

func (a *ackClock) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(r)
		if err == nil && resp.StatusCode == http.StatusOK {
			a.mu.Lock()
			a.times = append(a.times, time.Now())
			a.mu.Unlock()
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// streamRecords writes the generated dataset as import JSONL into a pipe,
// the way `parley gen` writes it to a file, so the client reads a stream
// and the whole dataset is never in memory at once. Closing the reader
// stops the generator.
func streamRecords(ctx context.Context, cfg gen.Config) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		d := gen.New(cfg)
		enc := json.NewEncoder(pw)
		for rec, ok := d.Next(); ok; rec, ok = d.Next() {
			if ctx.Err() != nil {
				pw.CloseWithError(ctx.Err())
				return
			}
			if err := enc.Encode(&rec); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	return pr
}

// serveLoopback serves h on a free port of 127.0.0.1 and returns its base
// URL and a function that stops the server.
func serveLoopback(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	return "http://" + ln.Addr().String(), serve(ln, h).stop, nil
}

// benchServer is a server of the benchmarks: the floor, or the handler
// under test of W1.
type benchServer struct {
	srv  *http.Server
	done chan error // Serve's error, once it returns
}

// serve serves h on ln until stop.
func serve(ln net.Listener, h http.Handler) *benchServer {
	s := &benchServer{srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, done: make(chan error, 1)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s
}

// stop closes the server and waits for Serve to return.
func (s *benchServer) stop() {
	_ = s.srv.Close()
	<-s.done
}

// newTransport is the HTTP transport of every benchmark client: keep-alive
// connections, as many as there are workers, no compression (loopback).
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}
