package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// LoadConfig sets up a load run.
type LoadConfig struct {
	// URL is the GraphQL endpoint under test; it must be on loopback.
	URL string
	// Queries are the names of the queries to run, in order: Q1 … Q5.
	Queries []string
	// Concurrency is the number of workers, each with one request in
	// flight at a time; 0 means 16.
	Concurrency int
	// Duration bounds each query's measured run; 0 means 30s. A warm-up of
	// a tenth of it (at most 2s) comes first and is not counted.
	Duration time.Duration
	// MaxRequests bounds each query's measured requests; 0 means 1,000,000.
	MaxRequests int
	// Floor also measures the floor server, with the same client, in
	// slices interleaved with each query's (floorSlices of each), and
	// gives each query's throughput as a ratio of the floor's measured
	// beside it: on a shared machine whose speed drifts over a run, a
	// ratio of two rates measured a minute apart moves with the drift.
	Floor bool
	// FloorURL is the base URL of a floor serving in its own process
	// (ServeFloor, StartFloor); empty, the floor is served inside this
	// process, which makes it faster than any server process can be
	// (see StartFloor). Used with Floor.
	FloorURL string
	// Seed makes the drawn variables repeatable.
	Seed uint64
}

// LoadResult is one query's measurement.
type LoadResult struct {
	Query    string        `json:"query"` // Q1 … Q5, "floor", or "floor-in-client" for a floor served in the client's process
	Requests int           `json:"requests"`
	Errors   int           `json:"errors"` // transport errors, non-200 answers, GraphQL errors
	Elapsed  time.Duration `json:"elapsedNs"`
	RPS      float64       `json:"rps"`
	P50      time.Duration `json:"p50Ns"`
	P99      time.Duration `json:"p99Ns"`
	// FloorRatio is RPS over FloorRPS; 0 without a floor.
	FloorRatio float64 `json:"floorRatio,omitempty"`
	// FloorRPS is the floor's requests/s in the slices interleaved with
	// this query's; 0 without a floor.
	FloorRPS float64 `json:"floorRps,omitempty"`
	// FirstError describes the first failed request, if any.
	FirstError string `json:"firstError,omitempty"`
	// ServerHeap is the most Go heap in use that the server reported
	// (go_memstats_heap_inuse_bytes on its /metrics, read every second of
	// the measured run); 0 when it reports none, as the floor server.
	ServerHeap int64 `json:"serverHeapBytes,omitempty"`
}

// Load runs the configured queries one after the other against
// cfg.URL and returns one result per query, the floor's first when asked
// for. It first draws the requests' variables from the data behind the
// URL, through the API.
func Load(ctx context.Context, cfg LoadConfig) ([]LoadResult, error) {
	if err := checkLoopback(cfg.URL); err != nil {
		return nil, err
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 16
	}
	if cfg.Duration == 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.MaxRequests == 0 {
		cfg.MaxRequests = 1_000_000
	}
	if cfg.Concurrency < 1 || cfg.Concurrency > 1024 || cfg.Duration < 0 || cfg.MaxRequests < 0 {
		return nil, errors.New("bench: concurrency must be 1..1024, duration and request cap positive")
	}
	qs := make([]Query, len(cfg.Queries))
	for i, name := range cfg.Queries {
		q, ok := QueryNamed(name)
		if !ok {
			return nil, fmt.Errorf("bench: unknown query %q; the queries are Q1, Q2, Q3, Q4 and Q5", name)
		}
		qs[i] = q
	}
	httpc := &http.Client{Transport: newTransport(cfg.Concurrency), Timeout: 30 * time.Second}
	defer httpc.CloseIdleConnections()
	w, err := Sample(ctx, httpc, cfg.URL, cfg.Seed)
	if err != nil {
		return nil, err
	}

	var out []LoadResult
	var f *floorTarget
	if cfg.Floor {
		floorURL, name := cfg.FloorURL, "floor"
		if floorURL == "" {
			u, stop, err := serveLoopback(floorHandler())
			if err != nil {
				return nil, err
			}
			defer stop()
			floorURL, name = u, "floor-in-client"
		} else if err := checkLoopback(floorURL); err != nil {
			return nil, err
		}
		// The floor is sent Q1's requests, so the client does the same
		// work for it as for the real queries.
		f = &floorTarget{url: strings.TrimSuffix(floorURL, "/") + "/", q: Queries[0]}
		f.q.Name = name
		out = append(out, LoadResult{}) // the floor's row, filled in at the end
	}
	for _, q := range qs {
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out = append(out, measure(ctx, httpc, cfg.URL, q, w, cfg, f))
	}
	if f != nil {
		out[0] = summarize(f.q.Name, f.all...)
	}
	return out, nil
}

// floorTarget is the floor server of a run, and what was measured of it.
type floorTarget struct {
	url string
	q   Query
	all []sample // every floor slice of the run
}

// floorSlices is how many slices of the floor and of a query alternate
// in a query's measured run.
const floorSlices = 5

// measure runs q with cfg.Concurrency workers: a warm-up, then until
// cfg.Duration has passed or cfg.MaxRequests have been sent. With a floor,
// the duration is cut into floorSlices slices of q, each after a slice of
// the same length of the floor.
func measure(ctx context.Context, httpc *http.Client, url string, q Query, w *Workload, cfg LoadConfig, floor *floorTarget) LoadResult {
	warm := min(cfg.Duration/10, 2*time.Second)
	if warm > 0 {
		hammer(ctx, httpc, url, q, w, cfg.Concurrency, warm, cfg.MaxRequests, cfg.Seed^0x5eed)
		if floor != nil {
			hammer(ctx, httpc, floor.url, floor.q, w, cfg.Concurrency, warm, cfg.MaxRequests, cfg.Seed^0x5eed)
		}
	}
	heapCtx, stopHeap := context.WithCancel(ctx)
	heap := make(chan int64, 1)
	go func() { heap <- watchHeap(heapCtx, httpc, url) }()
	var res LoadResult
	if floor == nil {
		res = summarize(q.Name, hammer(ctx, httpc, url, q, w, cfg.Concurrency, cfg.Duration, cfg.MaxRequests, cfg.Seed))
	} else {
		var qs, fs []sample
		slice, left := cfg.Duration/floorSlices, cfg.MaxRequests
		for i := range floorSlices {
			if ctx.Err() != nil || left <= 0 {
				break
			}
			seed := cfg.Seed + uint64(i)
			fs = append(fs, hammer(ctx, httpc, floor.url, floor.q, w, cfg.Concurrency, slice, left, seed))
			qs = append(qs, hammer(ctx, httpc, url, q, w, cfg.Concurrency, slice, left, seed))
			left -= qs[len(qs)-1].requests()
		}
		floor.all = append(floor.all, fs...)
		res = summarize(q.Name, qs...)
		if f := summarize(floor.q.Name, fs...); f.RPS > 0 {
			res.FloorRPS, res.FloorRatio = f.RPS, res.RPS/f.RPS
		}
	}
	stopHeap()
	res.ServerHeap = <-heap
	return res
}

// promHeapMetric is the Prometheus Go collector's heap-in-use gauge.
const promHeapMetric = "go_memstats_heap_inuse_bytes"

// watchHeap reads the server's heap in use from the /metrics beside url
// every second until ctx ends, and returns the largest value read; 0 when
// the server has no such metric.
func watchHeap(ctx context.Context, httpc *http.Client, endpoint string) int64 {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0
	}
	u.Path, u.RawQuery = "/metrics", ""
	var peak int64
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if v, ok := readHeap(ctx, httpc, u.String()); ok {
			peak = max(peak, v)
		} else if peak == 0 {
			return 0 // no metrics here: stop asking
		}
		select {
		case <-ctx.Done():
			return peak
		case <-tick.C:
		}
	}
}

func readHeap(ctx context.Context, httpc *http.Client, metricsURL string) (int64, bool) {
	v, ok := readMetric(ctx, httpc, metricsURL, promHeapMetric)
	return int64(v), ok
}

// readMetric reads the value of the series name, without labels, from the
// Prometheus text at metricsURL.
func readMetric(ctx context.Context, httpc *http.Client, metricsURL, name string) (float64, bool) {
	v, ok := readMetrics(ctx, httpc, metricsURL, name)[name]
	return v, ok
}

// readMetrics reads the values of the series names, without labels, from
// the Prometheus text at metricsURL; a series it did not find is missing
// from the map.
func readMetrics(ctx context.Context, httpc *http.Client, metricsURL string, names ...string) map[string]float64 {
	vals := map[string]float64{}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return vals
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return vals
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return vals
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return vals
	}
	for line := range strings.Lines(string(body)) {
		for _, name := range names {
			if rest, ok := strings.CutPrefix(line, name+" "); ok {
				var v float64
				if _, err := fmt.Sscan(strings.TrimSpace(rest), &v); err == nil {
					vals[name] = v
				}
			}
		}
	}
	return vals
}

// hammer sends q from c workers for d or until max requests have started.
func hammer(ctx context.Context, httpc *http.Client, url string, q Query, w *Workload, c int, d time.Duration, max int, seed uint64) sample {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		started  atomic.Int64
		errCount atomic.Int64
		firstErr sync.Once
		errText  string
		lat      = make([][]time.Duration, c)
		wg       sync.WaitGroup
	)
	begin := time.Now()
	for i := range c {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(seed, uint64(i)))
			var buf bytes.Buffer
			for ctx.Err() == nil && started.Add(1) <= int64(max) {
				body := q.Body(rng, w)
				t0 := time.Now()
				err := roundTrip(ctx, httpc, url, body, &buf)
				if ctx.Err() != nil {
					// The run ended while the request was in flight: it
					// neither failed nor finished inside the run.
					return
				}
				if err != nil {
					errCount.Add(1)
					firstErr.Do(func() { errText = err.Error() })
					continue
				}
				lat[i] = append(lat[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	return sample{lat: slices.Concat(lat...), errors: int(errCount.Load()), elapsed: time.Since(begin), firstErr: errText}
}

// sample is what one hammer run measured.
type sample struct {
	lat      []time.Duration // of the successful requests, unsorted
	errors   int
	elapsed  time.Duration
	firstErr string
}

func (s sample) requests() int { return len(s.lat) + s.errors }

// summarize makes one result of the samples of one target.
func summarize(name string, ss ...sample) LoadResult {
	var (
		all     []time.Duration
		errs    int
		elapsed time.Duration
		first   string
	)
	for _, s := range ss {
		all = append(all, s.lat...)
		errs += s.errors
		elapsed += s.elapsed
		if first == "" {
			first = s.firstErr
		}
	}
	slices.Sort(all)
	r := LoadResult{Query: name, Requests: len(all) + errs, Errors: errs, Elapsed: elapsed,
		P50: percentile(all, 50), P99: percentile(all, 99), FirstError: first}
	if elapsed > 0 {
		r.RPS = float64(len(all)) / elapsed.Seconds()
	}
	return r
}

// errorsKey can only occur in a GraphQL response as the errors member:
// inside a JSON string the quotes would be escaped.
var errorsKey = []byte(`"errors":`)

// roundTrip posts body and checks the answer: 200, and no GraphQL errors.
// buf is reused across calls to keep the client's own garbage low.
func roundTrip(ctx context.Context, httpc *http.Client, url string, body []byte, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s: %.200s", resp.Status, buf.Bytes())
	}
	if bytes.Contains(buf.Bytes(), errorsKey) {
		return fmt.Errorf("GraphQL errors: %.300s", buf.Bytes())
	}
	return nil
}

// checkLoopback refuses URLs whose host is not a loopback address: load
// runs must never leave the machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("bench: %q is not an http URL such as http://127.0.0.1:8080/graphql", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || strings.EqualFold(host, "localhost") {
		return nil
	}
	return fmt.Errorf("bench: %s is not a loopback address; load runs only target 127.0.0.1, ::1 or localhost", host)
}

// gqlPost sends one GraphQL request and decodes its data into out.
func gqlPost(ctx context.Context, httpc *http.Client, url, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("%s answered %s with a body that is not a GraphQL response: %.200s", url, resp.Status, raw)
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Message
		}
		return fmt.Errorf("%s: %s", url, strings.Join(slices.Compact(msgs), "; "))
	}
	return json.Unmarshal(r.Data, out)
}
