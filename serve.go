package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/rs/cors"

	"parley/auth"
	"parley/domain"
	"parley/graph"
	"parley/importer"
	"parley/sample"
	"parley/store"
	"parley/web"
)

// Timeouts of the HTTP server. Reads are bounded so that slow clients
// cannot hold connections open; writes leave room for large pages.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 60 * time.Second
	idleTimeout       = 2 * time.Minute
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// once a signal asks the server to stop. A variable for tests.
var shutdownTimeout = 30 * time.Second

// endpoint is the path of the GraphQL API.
const endpoint = "/graphql"

// serve opens the database, seeds it when asked and new, and serves HTTP
// until ctx is done; then it lets in-flight requests finish and closes the
// database.
func serve(ctx context.Context, cfg serveConfig, stdout io.Writer) error {
	// Access control is settled before the database is touched: a server
	// that must not start leaves no file behind.
	if err := cfg.Security.loadKeys(); err != nil {
		return err
	}
	if err := cfg.Security.checkExposure(cfg.Addr); err != nil {
		return err
	}
	defer setMemoryLimit(cfg.MemoryLimitMiB)()
	if cfg.MemoryLimitMiB > 0 {
		slog.Info("Go memory limit set", "mib", cfg.MemoryLimitMiB)
	}
	st, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return errors.Join(err, st.Close())
	}
	return errors.Join(serveOn(ctx, ln, newHandler(st, cfg), stdout), st.Close())
}

// serveOn serves h on ln until ctx is done, then shuts down gracefully.
func serveOn(ctx context.Context, ln net.Listener, h http.Handler, stdout io.Writer) error {
	// Requests outlive the signal (they may finish), but not the
	// shutdown's timeout: then their context ends, so that a handler
	// waiting on a client that stopped reading (a backup) lets go of the
	// store, which could not close under its read transaction.
	reqCtx, endRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer endRequests()
	srv := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	base := "http://" + displayAddr(ln.Addr())
	fmt.Fprintf(stdout, "Parley is serving the playground at %s/ and the GraphQL API at %s%s\n", base, base, endpoint)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing in-flight requests", "timeout", shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		endRequests()
		return fmt.Errorf("shutdown: requests still running after %s were cut off: %w", shutdownTimeout, errors.Join(err, srv.Close()))
	}
	return nil
}

// displayAddr is addr as a browser can use it: a server listening on every
// interface is reachable on localhost.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))
}

// openDatabase opens the server's database, creating it when missing:
// with the sample data when asked (createWithSample), else empty. An
// existing database is never seeded, with or without the flag, so
// restarts never duplicate it.
func openDatabase(ctx context.Context, cfg serveConfig) (*store.Store, error) {
	opts := store.Options{MaxSize: cfg.Security.MaxDBSize, RecordCacheSize: cfg.recordCacheSize()}
	if cfg.Sample {
		if err := createWithSample(ctx, cfg.DB, opts); err != nil {
			return nil, err
		}
	}
	st, err := store.Open(cfg.DB, opts)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.DB, err)
	}
	if st.Fresh() {
		slog.Info("created an empty database", "db", cfg.DB)
	}
	return st, nil
}

// createWithSample creates the database at path with the sample data,
// loaded through the same importer the bulk import uses, unless a file is
// there already. It loads into a temporary file beside path and renames
// it into place once loaded: a start interrupted while loading (a kill, a
// crash) leaves no database that looks loaded but is not, and the next
// start loads it again.
func createWithSample(ctx context.Context, path string, opts store.Options) error {
	if _, err := os.Stat(path); err == nil {
		slog.Info("database exists; not loading the sample data into it", "db", path)
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	// A file left by a start that did not finish is loaded on: the import
	// is idempotent, so what it holds already stays as it is. The lock
	// Open takes keeps two starts from loading it at once.
	tmp := path + ".loading"
	st, err := store.Open(tmp, opts)
	if err != nil && !errors.Is(err, store.ErrLocked) {
		// Damaged by the interruption: start it again.
		if rmErr := os.Remove(tmp); rmErr == nil {
			st, err = store.Open(tmp, opts)
		}
	}
	if err != nil {
		return fmt.Errorf("open database %s: %w", tmp, err)
	}
	n, err := importSample(ctx, st)
	if err = errors.Join(err, st.Close()); err != nil {
		return errors.Join(err, os.Remove(tmp))
	}
	if err := os.Rename(tmp, path); err != nil {
		return errors.Join(fmt.Errorf("create database %s: %w", path, err), os.Remove(tmp))
	}
	syncDir(filepath.Dir(path))
	slog.Info("created a database with the sample data", "db", path, "statements", n)
	return nil
}

// importSample imports the sample data into st and returns how many
// statements it created.
func importSample(ctx context.Context, st *store.Store) (int, error) {
	recs, err := sample.Records()
	if err != nil {
		return 0, fmt.Errorf("read sample data: %w", err)
	}
	rep, err := importer.Import(ctx, st, recs, domain.DefaultImportOptions())
	if err != nil {
		return 0, fmt.Errorf("load sample data: %w", err)
	}
	if rep.Failed > 0 {
		return 0, fmt.Errorf("load sample data: %d of %d records failed: %v", rep.Failed, len(recs), firstIssue(rep))
	}
	return rep.Created, nil
}

func firstIssue(rep *domain.ImportReport) string {
	for _, r := range rep.Results {
		for _, is := range r.Errors {
			return fmt.Sprintf("record %d: %v: %s", r.Index, is.Path, is.Message)
		}
	}
	return "no details"
}

// newHandler assembles the HTTP routes: the GraphQL API, and the
// playground with its assets on every other path.
func newHandler(st domain.Store, cfg serveConfig) http.Handler {
	var dbPath string
	if p, ok := st.(interface{ Path() string }); ok {
		dbPath = p.Path()
	}
	obs := newObservability(dbPath, cfg.SlowQuery)
	if w, ok := st.(interface{ WriteStats() store.WriteStats }); ok {
		obs.watchWrites(w.WriteStats)
	}
	sec := cfg.Security
	opts := graph.Options{
		MaxImportRecords:     cfg.ImportMaxRecords,
		Observer:             obs,
		SubscriptionBuffer:   cfg.SubscriptionBuffer,
		AllowedOrigins:       cfg.CORSOrigins,
		Authenticate:         sec.authenticate,
		Limits:               sec.Limits,
		DisableIntrospection: sec.DisableIntrospection,
	}
	api := graph.Protect(graph.NewServer(st, opts), opts)
	// access identifies the caller (security.go); the GraphQL guard and
	// auth.Require decide what the caller may do.
	access := func(h http.Handler) http.Handler { return auth.Middleware(h, sec.keys, sec.anonymousRole()) }
	mux := http.NewServeMux()
	// Probes stay open for orchestrators; the metrics and the schema are
	// reads like any other, public unless --private.
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", readyz(st))
	mux.Handle("GET /metrics", access(auth.Require(auth.RoleRead, obs.metricsHandler())))
	mux.Handle("GET "+schemaPath, access(auth.Require(auth.RoleRead, serveSchema())))
	mux.Handle("GET "+endpoint, access(checkGET(api)))
	mux.Handle("POST "+endpoint, access(limitBody(checkPOST(api), cfg.MaxBody, cfg.MaxImportBody)))
	mux.Handle("GET "+backupPath, access(auth.Require(auth.RoleAdmin, backupHandler(st))))
	mux.HandleFunc(endpoint, func(w http.ResponseWriter, r *http.Request) {
		// Without this route the playground's catch-all would answer 404.
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeJSONError(w, http.StatusMethodNotAllowed, "BAD_USER_INPUT", "the GraphQL endpoint takes GET and POST")
	})
	mux.Handle("/", web.Handler(endpoint))
	var h http.Handler = mux
	if sec.anonymousRole() == auth.RoleWrite && !sec.InsecureAnonymousWrites {
		h = localHostsOnly(h)
	}
	return obs.middleware(withCORS(h, cfg.CORSOrigins))
}

// withCORS lets pages from origins call h. Without origins there is no CORS
// handling at all, so browsers keep other origins out; rs/cors itself would
// allow every origin when given none. Credentials are never allowed: the
// API authenticates with a header, not cookies.
func withCORS(h http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   []string{"Content-Type", "Authorization"},
		AllowCredentials: false,
		MaxAge:           600,
	}).Handler(h)
}

// recordCacheSize is the store option for --record-cache-mb: the store
// reads 0 as its default and a negative size as off.
func (c serveConfig) recordCacheSize() int {
	if c.RecordCacheMiB == 0 {
		return -1
	}
	return c.RecordCacheMiB << 20
}

// The Go memory limit of a server (--memory-limit-mb).
//
// Without a limit the collector lets the heap grow to twice what was live
// after the last collection, and an import's batches and a group commit's
// pages turn over so much memory that the peak is mostly garbage: the
// million-statement W1 import peaked at 193–237 MiB, against 151 MiB with
// the default limit of 200 MiB, at the same rate or better
// (docs/benchmarks.md). A soft limit makes the collector work harder as
// the heap nears it rather than grow it; it never fails an allocation,
// and the collector spends at most about half the CPU on it when the
// live heap itself comes close.
const (
	// autoMemoryLimit is the flag's default: defaultMemoryLimit decides.
	autoMemoryLimit = -1
	// memoryHeadroomMiB is the default limit's room above the record
	// cache, for requests, import batches and a commit's pages.
	memoryHeadroomMiB = 136
	// minMemoryHeadroomMiB is the least room above the record cache a
	// limit may leave: less would keep the collector running.
	minMemoryHeadroomMiB = 64
)

// defaultMemoryLimit is the memory limit in MiB of a server whose
// record cache takes cacheMiB: 0 (the runtime's own) when GOMEMLIMIT is
// set, so that an operator's setting wins.
func defaultMemoryLimit(cacheMiB int, getenv func(string) string) int {
	if getenv("GOMEMLIMIT") != "" {
		return 0
	}
	return cacheMiB + memoryHeadroomMiB
}

// setMemoryLimit applies a memory limit in MiB (0 leaves the runtime's)
// and returns a function that restores the one before, for a process
// that goes on after serving (tests, benchmarks).
func setMemoryLimit(mib int) (restore func()) {
	if mib <= 0 {
		return func() {}
	}
	prev := debug.SetMemoryLimit(int64(mib) << 20)
	return func() { debug.SetMemoryLimit(prev) }
}
