package store_test

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"parley/domain"
	"parley/gen"
	"parley/importer"
	"parley/store"
)

// The benchmarks run the store side of the DESIGN.md queries Q1–Q5, and
// of one W1 import batch, on a generated dataset, so that regressions show
// with benchstat:
//
//	go test ./store -run '^$' -bench . -count 10 > old.txt
//	... change ...
//	go test ./store -run '^$' -bench . -count 10 > new.txt
//	benchstat old.txt new.txt
//
// The dataset has 10,000 statements unless -statements (after -args) or
// PARLEY_BENCH_STATEMENTS says otherwise; it is built once per test
// binary, and only when a benchmark runs.
var benchStatements = flag.Int("statements", envInt("PARLEY_BENCH_STATEMENTS", 10_000),
	"statements in the benchmarks' generated dataset (env PARLEY_BENCH_STATEMENTS)")

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// benchData is the shared dataset and what the queries draw from.
type benchData struct {
	st       *store.Store
	dir      string
	speakers []string    // speaker keys
	topics   []string    // topic keys
	ids      []domain.ID // statements spread over the id range
	searches []string    // two words of one statement's text
	sources  []string    // URLs of sources the statements cite
	err      error
}

var (
	benchOnce sync.Once
	bench     benchData
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if bench.st != nil {
		bench.st.Close()
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// dataset builds the shared dataset on first use.
func dataset(b *testing.B) *benchData {
	b.Helper()
	benchOnce.Do(func() { bench.err = bench.build(*benchStatements) })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return &bench
}

func (d *benchData) build(n int) error {
	ctx := context.Background()
	start := time.Now()
	var err error
	if d.dir, err = os.MkdirTemp("", "parley-store-bench-"); err != nil {
		return err
	}
	if d.st, err = store.Open(filepath.Join(d.dir, "bench.db"), store.Options{}); err != nil {
		return err
	}
	g := gen.New(gen.Config{N: n, Seed: 1})
	batch := make([]domain.StatementImport, 0, 1000)
	flush := func() error {
		rep, err := importer.Import(ctx, d.st, batch, domain.DefaultImportOptions())
		if err == nil && rep.Failed > 0 {
			err = fmt.Errorf("import: %d records failed", rep.Failed)
		}
		batch = batch[:0]
		return err
	}
	for rec, ok := g.Next(); ok; rec, ok = g.Next() {
		if batch = append(batch, rec); len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	for _, sp := range g.Speakers()[:min(len(g.Speakers()), 1000)] {
		d.speakers = append(d.speakers, sp.Key)
	}
	for _, t := range g.Topics() {
		d.topics = append(d.topics, t.Key)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 1000 {
		page, err := d.st.ScanStatements(ctx, domain.ID(i*n/1000), 1)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			continue
		}
		d.ids = append(d.ids, page[0].ID)
		if len(page[0].SourceIDs) > 0 {
			src, err := d.st.Source(ctx, page[0].SourceIDs[0])
			if err != nil {
				return err
			}
			d.sources = append(d.sources, src.URL)
		}
		toks := slices.Compact(slices.Sorted(slices.Values(domain.Tokens(page[0].Text))))
		if len(toks) >= 2 {
			i := r.IntN(len(toks))
			j := (i + 1 + r.IntN(len(toks)-1)) % len(toks)
			d.searches = append(d.searches, toks[i]+" "+toks[j])
		}
	}
	fmt.Fprintf(os.Stderr, "store benchmarks: dataset of %d statements built in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// page reads what the API reads for a page of statements: the page, then
// its speakers and topics in one call each.
func page(b *testing.B, st *store.Store, f domain.StatementFilter) int {
	ctx := context.Background()
	res, err := st.ListStatements(ctx, f, domain.SaidOnDesc, domain.Page{First: 20})
	if err != nil {
		b.Fatal(err)
	}
	join(b, st, res.Items)
	return len(res.Items)
}

func join(b *testing.B, st *store.Store, ss []*domain.Statement) {
	ctx := context.Background()
	var speakers, topics []domain.ID
	for _, s := range ss {
		speakers = append(speakers, s.SpeakerID)
		topics = append(topics, s.TopicIDs...)
	}
	if _, err := st.SpeakersByID(ctx, speakers); err != nil {
		b.Fatal(err)
	}
	if _, err := st.TopicsByID(ctx, topics); err != nil {
		b.Fatal(err)
	}
}

// reportItems reports the average result size, so that a change in the
// data (not the code) shows up beside the time.
func reportItems(b *testing.B, items, ops int) {
	if ops > 0 {
		b.ReportMetric(float64(items)/float64(ops), "items/op")
	}
}

func BenchmarkQ1SpeakerFeed(b *testing.B) {
	d := dataset(b)
	items, ops := 0, 0
	for b.Loop() {
		items += page(b, d.st, domain.StatementFilter{Speakers: []string{d.speakers[ops%len(d.speakers)]}})
		ops++
	}
	reportItems(b, items, ops)
}

func BenchmarkQ2TopicWindow(b *testing.B) {
	d := dataset(b)
	from, _ := domain.ParsePartialDate("2024-01-01")
	to, _ := domain.ParsePartialDate("2025-06-30")
	items, ops := 0, 0
	for b.Loop() {
		items += page(b, d.st, domain.StatementFilter{Topics: []string{d.topics[ops%len(d.topics)]}, SaidFrom: from, SaidTo: to})
		ops++
	}
	reportItems(b, items, ops)
}

func BenchmarkQ3SearchTwoWords(b *testing.B) {
	d := dataset(b)
	items, ops := 0, 0
	for b.Loop() {
		items += page(b, d.st, domain.StatementFilter{Search: d.searches[ops%len(d.searches)]})
		ops++
	}
	reportItems(b, items, ops)
}

// BenchmarkSourceFilter is a page of the statements citing one source:
// not a DESIGN.md query, but the one filter whose index is not in date
// order (store/cites.go), so its cost grows with the source's citations.
func BenchmarkSourceFilter(b *testing.B) {
	d := dataset(b)
	items, ops := 0, 0
	for b.Loop() {
		items += page(b, d.st, domain.StatementFilter{Source: d.sources[ops%len(d.sources)]})
		ops++
	}
	reportItems(b, items, ops)
}

func BenchmarkQ4StanceMap(b *testing.B) {
	d := dataset(b)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(4, 4))
	items, ops := 0, 0
	for b.Loop() {
		day := domain.DayOf(2000, time.January, 1) + domain.Day(r.IntN(27*365))
		ps, err := d.st.StanceMap(ctx, d.topics[ops%len(d.topics)], day)
		if err != nil {
			b.Fatal(err)
		}
		speakers := make([]domain.ID, len(ps))
		for i, p := range ps {
			speakers[i] = p.SpeakerID
		}
		if _, err := d.st.SpeakersByID(ctx, speakers); err != nil {
			b.Fatal(err)
		}
		items += len(ps)
		ops++
	}
	reportItems(b, items, ops)
}

func BenchmarkQ5StatementByID(b *testing.B) {
	d := dataset(b)
	ctx := context.Background()
	ops := 0
	for b.Loop() {
		s, err := d.st.Statement(ctx, d.ids[ops%len(d.ids)])
		if err != nil {
			b.Fatal(err)
		}
		join(b, d.st, []*domain.Statement{s})
		ops++
	}
}

// BenchmarkImportBatch1000 imports W1 batches of 1,000 new records, one
// per iteration, into a database of its own that grows as it runs, through
// the importer that importStatements calls.
func BenchmarkImportBatch1000(b *testing.B) {
	const batch = 1000
	st, err := store.Open(filepath.Join(b.TempDir(), "import.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// A generator sized for a million statements, so that the records do
	// not depend on b.N; its first b.N×1,000 are imported.
	g := gen.New(gen.Config{N: 1_000_000, Seed: 2})
	batches := make([][]domain.StatementImport, b.N)
	for i := range batches {
		for range batch {
			rec, _ := g.Next()
			batches[i] = append(batches[i], rec)
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		rep, err := importer.Import(ctx, st, batches[i], domain.DefaultImportOptions())
		if err != nil {
			b.Fatal(err)
		}
		if rep.Created != batch {
			b.Fatalf("batch %d: %d created, want %d (%d failed)", i, rep.Created, batch, rep.Failed)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "records/s")
}
