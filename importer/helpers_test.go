package importer_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/domain"
	"parley/importer"
	"parley/store"
)

// newStore opens an empty bbolt store whose clock advances a second at
// every write transaction, so that any write shows in an UpdatedAt, and
// checks its indexes when the test ends.
func newStore(t *testing.T) domain.Store {
	t.Helper()
	var mu sync.Mutex
	now := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
	s, err := store.Open(filepath.Join(t.TempDir(), "parley.db"), store.Options{Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		rep, err := s.Verify(context.Background())
		if err != nil {
			t.Errorf("Verify: %v", err)
		} else if !rep.OK() {
			t.Errorf("Verify found drift:\n%s", strings.Join(rep.Problems, "\n"))
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// dump describes every record in the store, timestamps included: two
// dumps are equal only when nothing was written in between.
func dump(t *testing.T, s domain.Store) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	for _, sp := range walk(t, func(p domain.Page) (*domain.Result[*domain.Speaker], error) {
		return s.ListSpeakers(ctx, domain.SpeakerFilter{}, p)
	}) {
		fmt.Fprintf(&b, "speaker %+v\n", *sp)
	}
	for _, tp := range walk(t, func(p domain.Page) (*domain.Result[*domain.Topic], error) {
		return s.ListTopics(ctx, domain.TopicFilter{}, p)
	}) {
		fmt.Fprintf(&b, "topic %+v\n", *tp)
	}
	for _, src := range walk(t, func(p domain.Page) (*domain.Result[*domain.Source], error) {
		return s.ListSources(ctx, p)
	}) {
		fmt.Fprintf(&b, "source %+v\n", *src)
	}
	for _, st := range statements(t, s) {
		fmt.Fprintf(&b, "statement %+v\n", *st)
	}
	for _, ps := range walk(t, func(p domain.Page) (*domain.Result[*domain.Position], error) {
		return s.ListPositions(ctx, domain.PositionFilter{}, p)
	}) {
		fmt.Fprintf(&b, "position %+v\n", *ps)
	}
	return b.String()
}

// walk reads a whole list, page by page.
func walk[T any](t *testing.T, list func(domain.Page) (*domain.Result[T], error)) []T {
	t.Helper()
	var all []T
	p := domain.Page{First: domain.MaxPageSize}
	for {
		res, err := list(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, res.Items...)
		if !res.HasNextPage {
			return all
		}
		p.After = res.Cursors[len(res.Cursors)-1]
	}
}

// statements returns every statement in id order.
func statements(t *testing.T, s domain.Store) []*domain.Statement {
	t.Helper()
	all, err := s.ScanStatements(t.Context(), 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func export(t *testing.T, s domain.Store) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := importer.Export(t.Context(), s, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func run(t *testing.T, s domain.Store, recs []domain.StatementImport, opts domain.ImportOptions) *domain.ImportReport {
	t.Helper()
	rep, err := importer.Import(t.Context(), s, recs, opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if len(rep.Results) != len(recs) {
		t.Fatalf("%d results for %d records", len(rep.Results), len(recs))
	}
	for i, r := range rep.Results {
		if r.Index != i {
			t.Errorf("result %d has index %d", i, r.Index)
		}
	}
	return rep
}

// atomic and lenient are the two ways an import commits.
var (
	atomic  = domain.ImportOptions{Atomic: true}
	lenient = domain.ImportOptions{}
)

// statuses lists the outcome of each record.
func statuses(rep *domain.ImportReport) []domain.ImportStatus {
	out := make([]domain.ImportStatus, len(rep.Results))
	for i, r := range rep.Results {
		out[i] = r.Status
	}
	return out
}

func wantStatuses(t *testing.T, rep *domain.ImportReport, want ...domain.ImportStatus) {
	t.Helper()
	if got := statuses(rep); !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v\n%s", got, want, describe(rep))
	}
	n := map[domain.ImportStatus]int{}
	for _, st := range want {
		n[st]++
	}
	got := [5]int{rep.Created, rep.Updated, rep.Unchanged, rep.Skipped, rep.Failed}
	wantN := [5]int{n[domain.ImportCreated], n[domain.ImportUpdated], n[domain.ImportUnchanged], n[domain.ImportSkipped], n[domain.ImportFailed]}
	if got != wantN {
		t.Errorf("counts created/updated/unchanged/skipped/failed = %v, want %v", got, wantN)
	}
}

func all(n int, st domain.ImportStatus) []domain.ImportStatus {
	out := make([]domain.ImportStatus, n)
	for i := range out {
		out[i] = st
	}
	return out
}

// describe prints a report's errors and warnings for failure messages.
func describe(rep *domain.ImportReport) string {
	var b strings.Builder
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "  %d %s id=%d\n", r.Index, r.Status, r.ID)
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "    error %v %s: %s\n", e.Path, e.Code, e.Message)
		}
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "    warning %v %s: %s\n", w.Path, w.Code, w.Message)
		}
	}
	return b.String()
}

// wantIssue fails unless issues holds exactly one issue, at path with code.
func wantIssue(t *testing.T, what string, issues []domain.Issue, code domain.Code, path ...string) {
	t.Helper()
	if len(issues) != 1 {
		t.Fatalf("%s: %d issues %+v, want one at %v", what, len(issues), issues, path)
	}
	is := issues[0]
	if !slices.Equal(is.Path, path) || is.Code != code {
		t.Errorf("%s: issue at %v with code %s (%q), want %v with %s", what, is.Path, is.Code, is.Message, path, code)
	}
	if is.Message == "" {
		t.Errorf("%s: issue without a message", what)
	}
}

// leavitt is a valid record by a speaker the store may not know yet: every
// test changes a copy.
func leavitt(ext, text string) domain.StatementImport {
	return domain.StatementImport{
		ExternalID: ext,
		Text:       text,
		Kind:       domain.StatementQuote,
		Speaker: domain.SpeakerRef{Key: "karoline-leavitt", Name: "Karoline Leavitt", Kind: domain.SpeakerPerson, Country: "US",
			Roles: []domain.RoleRef{{Title: "White House Press Secretary", Org: "white-house", OrgName: "White House", From: "2025-01"}}},
		SaidOn:   "2025-12-01",
		DateText: "on Monday",
		Context:  "on the draft peace agreement",
		Topics: []domain.TopicRef{
			{Key: "us-peace-plan", Name: "U.S.-backed peace proposal", Parent: "ukraine-peace-process"},
			{Key: "ukraine-peace-process", Name: "Peace process for Ukraine"},
		},
		Sources: []domain.SourceRef{{URL: "https://example.org/news/1", Title: "Talks in Moscow", Publisher: "Example News", PublishedAt: "2025-12-01T18:00:00Z"}},
		Positions: []domain.PositionRef{{Topic: "us-peace-plan", Stance: domain.StanceSupports,
			Summary: "The draft has been significantly improved."}},
	}
}

// batch is three records by the same speaker, sharing topics and sources.
func batch() []domain.StatementImport {
	a := leavitt("seed-1", "significantly improved")
	b := leavitt("seed-2", "very optimistic")
	b.Positions = nil
	c := leavitt("", "We are not going to negotiate in public.")
	c.SaidOn, c.DateText = "2025-11", "in November"
	c.Kind = domain.StatementParaphrase
	c.Topics = c.Topics[1:] // the parent only
	c.Positions = []domain.PositionRef{{Topic: "us-peace-plan", Stance: domain.StanceMixed, AsOf: "2025-11-30"}}
	return []domain.StatementImport{a, b, c}
}
