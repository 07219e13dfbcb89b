package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/vektah/gqlparser/v2/formatter"

	"parley/domain"
	"parley/graph"
	"parley/store"
)

// This file is what operators see: health and readiness probes, Prometheus
// metrics, request logs, the slow-query log, and the served schema.

// Operations defaults.
const (
	// defaultSlowQuery is the duration above which an operation is logged
	// as slow.
	defaultSlowQuery = 500 * time.Millisecond
	// readyTimeout bounds the database check of /readyz.
	readyTimeout = 2 * time.Second
	// maxOperationNames bounds the distinct operation names that metrics
	// are labelled with: clients choose the names, and each new label value
	// is a new time series kept for the life of the process.
	maxOperationNames = 200
	// maxOperationName bounds the operation names used as labels and
	// logged whole: a name is the client's to choose, and GraphQL sets no
	// length, so a longer one is "other" in the metrics and cut in logs.
	maxOperationName = 64
	// maxLoggedQuery bounds the query text of a slow-query log line.
	maxLoggedQuery = 2000
)

// Metric label values for operations without a usable name.
const (
	anonymousOperation = "anonymous"
	otherOperation     = "other"
)

// newLogger returns the server's logger, writing text or JSON lines to w.
// Every line logged with a request's context carries its request id.
func newLogger(format string, level slog.Level, w io.Writer) (*slog.Logger, error) {
	var h slog.Handler
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text", "":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: use text or json", format)
	}
	return slog.New(requestIDHandler{h}), nil
}

// requestIDHandler adds the request id of the context to each record.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if n := noteFrom(ctx); n != nil {
		r.AddAttrs(slog.String("request_id", n.id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// requestNote is what the GraphQL layer tells the request log about a
// request. A WebSocket connection is one request running many operations
// concurrently, hence the mutex.
type requestNote struct {
	id string

	mu        sync.Mutex
	operation string
	codes     []string
}

type noteKey struct{}

func noteFrom(ctx context.Context) *requestNote {
	n, _ := ctx.Value(noteKey{}).(*requestNote)
	return n
}

// observability holds the server's metrics; it is the graph.Observer that
// feeds them, and the HTTP middleware that counts and logs requests.
type observability struct {
	reg       *prometheus.Registry
	slowQuery time.Duration

	http        *prometheus.CounterVec
	ops         *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	errors      *prometheus.CounterVec
	imported    *prometheus.CounterVec
	groups      prometheus.Histogram
	subsOpen    *prometheus.GaugeVec
	subsDropped *prometheus.CounterVec

	namesMu sync.RWMutex
	names   map[string]bool

	// The series each request updates, by their label values: a metric
	// vector hashes its label values on every call, and the label values
	// are few (routes, codes, and at most maxOperationNames names).
	httpSeries sync.Map // httpKey → prometheus.Counter
	opSeries   sync.Map // opKey → *opMetrics
}

type httpKey struct {
	route string
	code  int
}

type opKey struct{ name, typ, status string }

// opMetrics are the series of one (operation, type, status).
type opMetrics struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// httpCounter returns the request counter of route and code.
func (o *observability) httpCounter(route string, code int) prometheus.Counter {
	k := httpKey{route, code}
	if c, ok := o.httpSeries.Load(k); ok {
		return c.(prometheus.Counter)
	}
	c, _ := o.httpSeries.LoadOrStore(k, o.http.WithLabelValues(route, strconv.Itoa(code)))
	return c.(prometheus.Counter)
}

// opMetricsFor returns the series of an operation's name, type and status.
func (o *observability) opMetricsFor(name, typ, status string) *opMetrics {
	k := opKey{name, typ, status}
	if m, ok := o.opSeries.Load(k); ok {
		return m.(*opMetrics)
	}
	m, _ := o.opSeries.LoadOrStore(k, &opMetrics{o.ops.WithLabelValues(name, typ, status), o.latency.WithLabelValues(name, typ)})
	return m.(*opMetrics)
}

var _ graph.Observer = (*observability)(nil)

// newObservability makes the metrics of a server over the database file
// at dbPath ("" when there is none) in a registry of their own.
func newObservability(dbPath string, slowQuery time.Duration) *observability {
	o := &observability{
		reg:       prometheus.NewRegistry(),
		slowQuery: slowQuery,
		names:     map[string]bool{},
		http: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_http_requests_total",
			Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_graphql_requests_total",
			Help: "GraphQL operations by operation name, type and status (ok, or error when the response has errors).",
		}, []string{"operation", "type", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parley_graphql_request_duration_seconds",
			Help:    "Time from the arrival of a GraphQL request to the end of its response, by operation name and type.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"operation", "type"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_graphql_errors_total",
			Help: "GraphQL errors returned, by extensions.code.",
		}, []string{"code"}),
		imported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_imported_records_total",
			Help: "Records processed by importStatements (dry runs excluded), by result status.",
		}, []string{"status"}),
		groups: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "parley_import_group_calls",
			Help:    "Calls of an import stream committed in one write transaction (group commit); 1 for a call that ran alone.",
			Buckets: []float64{1, 2, 3, 4, 6, 8},
		}),
		subsOpen: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "parley_subscriptions_open",
			Help: "Open GraphQL subscriptions by field.",
		}, []string{"field"}),
		subsDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_subscriptions_dropped_total",
			Help: "Subscriptions ended because they fell too far behind, by field.",
		}, []string{"field"}),
	}
	o.reg.MustRegister(o.http, o.ops, o.latency, o.errors, o.imported, o.groups, o.subsOpen, o.subsDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	bi := readBuildInfo()
	o.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "parley_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": bi.Version, "revision": bi.Revision, "goversion": bi.GoVersion},
	}, func() float64 { return 1 }))
	if dbPath != "" {
		o.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "parley_database_size_bytes",
			Help: "Size of the database file.",
		}, func() float64 {
			fi, err := os.Stat(dbPath)
			if err != nil {
				return 0
			}
			return float64(fi.Size())
		}))
	}
	// The series of the known values exist from the start, so that a
	// dashboard shows zero rather than no data.
	for _, f := range []string{"statementAdded", "positionChanged"} {
		o.subsOpen.WithLabelValues(f)
		o.subsDropped.WithLabelValues(f)
	}
	return o
}

// watchWrites publishes what the store's write transactions cost. The
// database has one writer: the rate of parley_store_writer_busy_seconds_total
// near 1 means writes queue, and the disk and spill parts say whether the
// disk or the CPU is what holds the writer.
func (o *observability) watchWrites(stats func() store.WriteStats) {
	o.reg.MustRegister(writesCollector(stats))
}

// writesCollector reports one store.WriteStats snapshot per scrape, so
// the series of a scrape agree with each other.
type writesCollector func() store.WriteStats

// writeSeries are the series of a writesCollector, each with its value
// in a snapshot.
var writeSeries = []struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(store.WriteStats) float64
}{
	{prometheus.NewDesc("parley_store_write_transactions_total", "Write transactions run, committed or rolled back.", nil, nil),
		prometheus.CounterValue, func(s store.WriteStats) float64 { return float64(s.Transactions) }},
	{prometheus.NewDesc("parley_store_writer_busy_seconds_total", "Time write transactions held the database's single writer, from their start to the end of their commit.", nil, nil),
		prometheus.CounterValue, func(s store.WriteStats) float64 { return s.Held.Seconds() }},
	{prometheus.NewDesc("parley_store_commit_spill_seconds_total", "Time commits spent serializing changed nodes into pages.", nil, nil),
		prometheus.CounterValue, func(s store.WriteStats) float64 { return s.Spill.Seconds() }},
	{prometheus.NewDesc("parley_store_commit_disk_seconds_total", "Time commits spent writing pages to the database file and waiting for the disk to sync them.", nil, nil),
		prometheus.CounterValue, func(s store.WriteStats) float64 { return s.Disk.Seconds() }},
	{prometheus.NewDesc("parley_store_commit_pages_total", "Pages written by commits.", nil, nil),
		prometheus.CounterValue, func(s store.WriteStats) float64 { return float64(s.PagesWritten) }},
	{prometheus.NewDesc("parley_store_free_pages", "Pages of the database file free for reuse after the last commit.", nil, nil),
		prometheus.GaugeValue, func(s store.WriteStats) float64 { return float64(s.FreePages) }},
}

// Describe implements prometheus.Collector.
func (c writesCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range writeSeries {
		ch <- m.desc
	}
}

// Collect implements prometheus.Collector.
func (c writesCollector) Collect(ch chan<- prometheus.Metric) {
	st := c()
	for _, m := range writeSeries {
		ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.value(st))
	}
}

// Operation implements graph.Observer.
func (o *observability) Operation(ctx context.Context, op graph.OperationInfo) {
	name := o.label(op.Name)
	typ := op.Type
	if typ == "" {
		typ = "invalid"
	}
	status := "ok"
	if len(op.Codes) > 0 {
		status = "error"
	}
	m := o.opMetricsFor(name, typ, status)
	m.count.Inc()
	m.latency.Observe(op.Duration.Seconds())
	for _, c := range op.Codes {
		o.errors.WithLabelValues(c).Inc()
	}
	if n := noteFrom(ctx); n != nil {
		n.mu.Lock()
		n.operation = logName(op.Name)
		n.codes = op.Codes
		n.mu.Unlock()
	}
	if o.slowQuery > 0 && op.Duration >= o.slowQuery {
		q := op.Query
		if len(q) > maxLoggedQuery {
			q = q[:maxLoggedQuery] + "…"
		}
		slog.WarnContext(ctx, "slow operation", "operation", logName(op.Name), "type", op.Type,
			"duration", op.Duration, "threshold", o.slowQuery, "query", q)
	}
}

// logName is an operation name as logs show it: cut to maxOperationName
// bytes (names are ASCII).
func logName(name string) string {
	if len(name) > maxOperationName {
		return name[:maxOperationName] + "…"
	}
	return name
}

// label is the metric label of an operation name: the name itself for the
// first maxOperationNames names seen, "other" after that and for names
// longer than maxOperationName.
func (o *observability) label(name string) string {
	if name == "" {
		return anonymousOperation
	}
	if len(name) > maxOperationName {
		return otherOperation
	}
	o.namesMu.RLock()
	known := o.names[name]
	o.namesMu.RUnlock()
	if known {
		return name
	}
	o.namesMu.Lock()
	defer o.namesMu.Unlock()
	if o.names[name] {
		return name
	}
	if len(o.names) >= maxOperationNames {
		return otherOperation
	}
	o.names[name] = true
	return name
}

// Imported implements graph.Observer.
func (o *observability) Imported(status domain.ImportStatus, n int) {
	o.imported.WithLabelValues(string(status)).Add(float64(n))
}

// ImportGroup implements graph.Observer.
func (o *observability) ImportGroup(calls int) { o.groups.Observe(float64(calls)) }

// Subscription implements graph.Observer.
func (o *observability) Subscription(field string, ev graph.SubscriptionEvent) {
	switch ev {
	case graph.SubscriptionStarted:
		o.subsOpen.WithLabelValues(field).Inc()
	case graph.SubscriptionEnded:
		o.subsOpen.WithLabelValues(field).Dec()
	case graph.SubscriptionDropped:
		o.subsDropped.WithLabelValues(field).Inc()
	}
}

// metricsHandler serves the metrics in the Prometheus text format.
func (o *observability) metricsHandler() http.Handler {
	return promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{Registry: o.reg})
}

// requestIDPattern is what an incoming X-Request-Id must look like to be
// kept; anything else is replaced, so that logs stay parseable.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// quietRoutes are probed every few seconds: their requests are counted
// but logged only at debug level.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// middleware is the outermost layer of every request. It gives the
// request an id (the client's X-Request-Id when it sends a sane one),
// turns a panic into 500 INTERNAL (serveRecovering), counts the request,
// and logs it when it ends with its status, duration, GraphQL operation
// and error codes. Headers are never logged: they carry tokens; nor is
// the query string: it can carry variables.
//
// The id, the note and the recovery share one context and one response
// writer: every r.WithContext copies the whole request.
func (o *observability) middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(requestIDHeader)
		if !requestIDPattern.MatchString(id) {
			id = graph.NewRequestID()
		}
		w.Header().Set(requestIDHeader, id)
		note := &requestNote{id: id}
		r = r.WithContext(graph.WithRequestID(context.WithValue(r.Context(), noteKey{}, note), id))
		sw := &statusWriter{ResponseWriter: w}
		serveRecovering(h, sw, r, id)
		o.logRequest(r, sw, note, start)
	})
}

// logRequest counts the request and writes its access log line.
func (o *observability) logRequest(r *http.Request, sw *statusWriter, note *requestNote, start time.Time) {
	route := routeOf(r.URL.Path)
	status := sw.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends 200
	}
	o.httpCounter(route, status).Inc()

	level := slog.LevelInfo
	if quietRoutes[route] {
		level = slog.LevelDebug
	}
	ctx := r.Context()
	h := slog.Default().Handler()
	if !h.Enabled(ctx, level) {
		return
	}
	// The record is made here, not by slog.LogAttrs: a Logger looks up
	// its caller (runtime.Callers) for every record, for a source
	// location that these lines never show, and on a small read that
	// was a fifth of the line's cost.
	end := time.Now()
	rec := slog.NewRecord(end, level, "request", 0)
	rec.AddAttrs(
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", end.Sub(start)),
		slog.Int64("bytes", sw.bytes),
	)
	note.mu.Lock()
	if note.operation != "" {
		rec.AddAttrs(slog.String("operation", note.operation))
	}
	if len(note.codes) > 0 {
		rec.AddAttrs(slog.String("error_code", strings.Join(note.codes, ",")))
	}
	note.mu.Unlock()
	_ = h.Handle(ctx, rec)
}

// routeOf maps a path to a metric label; every path outside the known
// routes is "other", so that scanners cannot mint label values.
func routeOf(path string) string {
	switch {
	case path == endpoint, path == "/healthz", path == "/readyz", path == "/metrics", path == schemaPath, path == "/":
		return path
	case strings.HasPrefix(path, "/assets/"):
		return "/assets/"
	}
	return "other"
}

// statusWriter records the status and size of a response. Unwrap lets
// http.ResponseController and the WebSocket upgrade reach the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// started reports whether the response has begun.
func (w *statusWriter) started() bool { return w.status != 0 }

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// healthz answers while the process runs: a liveness probe.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintln(w, "ok")
}

// readyz answers 200 when the database is open and answers a read within
// readyTimeout, 503 otherwise: a readiness probe.
func readyz(st domain.Store) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if _, err := st.CountTopics(ctx, domain.TopicFilter{}); err != nil {
			slog.WarnContext(ctx, "not ready: the database does not answer", "error", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "not ready: the database does not answer")
			return
		}
		fmt.Fprintln(w, "ready")
	}
}

// schemaPath serves the schema in SDL.
const schemaPath = "/schema.graphql"

// schemaSDL is the schema the server runs, in SDL with its descriptions:
// what GET /schema.graphql returns and api/schema.graphql records.
func schemaSDL() string {
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(graph.NewExecutableSchema(graph.Config{}).Schema())
	return b.String()
}

func serveSchema() http.HandlerFunc {
	sdl := []byte(schemaSDL())
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/graphql; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(sdl)
	}
}
