package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"parley/bench"
	"parley/graph"
	"parley/store"
)

// runBench runs the benchmarks of docs/benchmarks.md: bench import (W1)
// and bench query (Q1–Q5 under load).
func runBench(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	const usage = "Usage: parley bench import|query|stub|floor [flags]\n\n" +
		"  import  W1: import N generated statements through the HTTP mutation\n" +
		"  query   Q1-Q5: load a running server, optionally against the floor server\n" +
		"  stub    serve the real handler over a store-less stub: the GraphQL layer's ceiling\n" +
		"  floor   serve the floor server alone (bench query --floor starts one itself)\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "import":
		return runBenchImport(ctx, args[1:], stdout, stderr)
	case "query":
		return runBenchQuery(ctx, args[1:], getenv, stdout, stderr)
	case "stub":
		return runBenchStub(ctx, args[1:], stdout, stderr)
	case "floor":
		return runBenchFloor(ctx, args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help":
		fmt.Fprint(stderr, usage)
		return nil
	}
	fmt.Fprintf(stderr, "parley bench: unknown benchmark %q\n%s", args[0], usage)
	return errUsage
}

func runBenchImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench import", `Usage: parley bench import [-n N] [-seed S] [-batch B] [--db FILE]

Workload W1: serve a new database on a loopback port in this process,
generate N statements (as parley gen does) and stream them through the
import client in batches. Reports statements/s overall and over the first
and last tenth of the run (at most 100k records each), the peak Go heap
in use (runtime/metrics, not RSS), and how busy the store's writer was.
The process runs with the memory limit parley serve would set (the
default record cache plus 136 MiB; GOMEMLIMIT, if set, instead).
`, stderr)
	n := fs.Int("n", 10000, "number of statements")
	seed := fs.Uint64("seed", 1, "generator seed")
	chrono := fs.Bool("chronological", false, "import the statements in date order, as an archive would be")
	batch := fs.Int("batch", 1000, "records per importStatements call")
	pipeline := fs.Int("pipeline", 3, "batches in flight at once (the import client's --pipeline)")
	db := fs.String("db", "", "keep the database in this new `file` (for bench query); default a temporary file, removed")
	progress := fs.Bool("progress", false, "show the import client's progress on stderr")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run (server and client) to `file`")
	memProfile := fs.String("memprofile", "", "write a heap profile (allocations since start) at the end to `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 || *batch < 1 || *pipeline < 1 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "parley bench import: -n, -batch and -pipeline must be positive; no arguments are taken")
		return errUsage
	}
	path := *db
	if path == "" {
		dir, err := os.MkdirTemp("", "parley-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "parley.db")
	} else if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("bench import: %s exists; W1 measures an import into a new database", path)
	}
	// As serve would: W1 measures the server as it runs by default.
	defer setMemoryLimit(defaultMemoryLimit(store.DefaultRecordCacheSize>>20, os.Getenv))()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	// The server logs every request at INFO: W1 would measure the writes
	// to the terminal along with the import, so only warnings and errors
	// are logged while it runs.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	defer slog.SetDefault(prev)
	cfg := bench.ImportConfig{
		N: *n, Seed: *seed, BatchSize: *batch, Pipeline: *pipeline, Chronological: *chrono,
		Handler: newHandler(st, serveConfig{ImportMaxRecords: max(*batch, graph.DefaultMaxImportRecords)}),
		Path:    endpoint,
	}
	if *progress {
		cfg.Progress = stderr
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	res, err := bench.Import(ctx, cfg)
	if err != nil {
		return err
	}
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	return bench.WriteImport(stdout, res)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func runBenchQuery(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench query", `Usage: parley bench query [--url URL] [-q Q1|...|Q5|all] [-c 16] [-d 30s] [--floor]

Load a running Parley server with the DESIGN.md queries, each request with
variables drawn from the server's data, and report requests/s, p50, p99 and
errors per query. With --floor, also measure a minimal stdlib server that
answers every POST with a fixed 4 KB JSON body, with the same client, in
slices alternating with each query's, and give each query's throughput as
a share of the floor's measured beside it. The floor runs in a process of
its own, as the server under test does (parley bench floor, started and
stopped here); --floor-in-client serves it inside this process instead,
where it shares the client's Go runtime and answers faster than any
server process can. Only loopback URLs are taken.
`, stderr)
	url := fs.String("url", envOr(getenv, "PARLEY_URL", "http://127.0.0.1:8080/graphql"), "GraphQL `endpoint` on loopback (env PARLEY_URL)")
	q := fs.String("q", "all", "`queries`: Q1..Q5, comma-separated, or all")
	c := fs.Int("c", 16, "concurrent workers")
	d := fs.Duration("d", 30*time.Second, "measured `duration` per query (after a warm-up of a tenth, at most 2s)")
	maxReq := fs.Int("max", 1_000_000, "most requests per query")
	floor := fs.Bool("floor", false, "also measure the floor server, interleaved with each query, and report ratios to it")
	inClient := fs.Bool("floor-in-client", false, "with --floor: serve the floor inside this process rather than in its own")
	seed := fs.Uint64("seed", 1, "seed of the drawn variables")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 || *c < 1 || *d <= 0 || *maxReq < 1 {
		fmt.Fprintln(stderr, "parley bench query: -c, -d and -max must be positive; no arguments are taken")
		return errUsage
	}
	names := splitList(*q)
	if strings.EqualFold(*q, "all") {
		names = nil
		for _, q := range bench.Queries {
			names = append(names, q.Name)
		}
	}
	var floorURL string
	if *floor && !*inClient {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("starting the floor server: %w", err)
		}
		cmd := exec.CommandContext(ctx, self, "bench", "floor", "--addr", "127.0.0.1:0", "--until-eof")
		cmd.Stderr = stderr // what the floor says when it cannot serve
		u, stop, err := bench.StartFloor(cmd)
		if err != nil {
			return err
		}
		defer stop()
		floorURL = u
	}
	res, err := bench.Load(ctx, bench.LoadConfig{
		URL: *url, Queries: names, Concurrency: *c, Duration: *d, MaxRequests: *maxReq,
		Floor: *floor, FloorURL: floorURL, Seed: *seed,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return err
		}
	} else if err := bench.WriteLoad(stdout, res); err != nil {
		return err
	}
	for _, r := range res {
		if r.Errors > 0 {
			return errors.New("some requests failed")
		}
	}
	return nil
}

func runBenchFloor(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench floor", `Usage: parley bench floor [--addr 127.0.0.1:8091] [--until-eof]

Serve the floor server of parley bench query --floor alone: every POST is
answered with a fixed 4 KB JSON body, and nothing else is done. Writes its
base URL as the first line of standard output, then serves until
interrupted. Loopback addresses only.
`, stderr)
	addr := fs.String("addr", "127.0.0.1:8091", "listen `address` (loopback; port 0 picks a free one)")
	untilEOF := fs.Bool("until-eof", false, "also stop when standard input closes (how bench query runs it)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ln, err := listenBench("bench floor", *addr, "127.0.0.1:8091", stderr)
	if err != nil {
		return err
	}
	if *untilEOF {
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			cancel()
		}()
	}
	if _, err := fmt.Fprintf(stdout, "http://%s\n", ln.Addr()); err != nil {
		ln.Close()
		return err
	}
	return bench.ServeFloor(ctx, ln)
}

// errNotLoopback is listenLoopback's refusal of another address.
var errNotLoopback = errors.New("not a loopback address")

// listenBench is listenLoopback for the command cmd's --addr flag: another
// address is a usage error that names an example.
func listenBench(cmd, addr, example string, stderr io.Writer) (net.Listener, error) {
	ln, err := listenLoopback(addr)
	if errors.Is(err, errNotLoopback) {
		fmt.Fprintf(stderr, "parley %s: --addr must be a loopback address such as %s\n", cmd, example)
		return nil, errUsage
	}
	return ln, err
}

// listenLoopback listens on addr, which must be a loopback address: the
// benchmark servers are not for other machines to reach.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, errNotLoopback
	}
	return net.Listen("tcp", addr)
}

func runBenchStub(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench stub", `Usage: parley bench stub [--addr 127.0.0.1:8090] [-positions 1500]

Serve the real HTTP handler over a store-less stub whose reads answer at
once with fixed Q1-Q5-shaped results, until interrupted; then load it with
parley bench query. What it reaches is the GraphQL layer's own ceiling: the
most any store could give. Loopback addresses only.
`, stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen `address` (loopback)")
	positions := fs.Int("positions", 1500, "entries of the stance map (about 1,500 at 1M statements)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ln, err := listenBench("bench stub", *addr, "127.0.0.1:8090", stderr)
	if err != nil {
		return err
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	return serveOn(ctx, ln, newHandler(bench.NewStub(*positions), serveConfig{}), stdout)
}
