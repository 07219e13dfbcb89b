package importer_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"parley/domain"
	"parley/gen"
	"parley/importer"
	"parley/sample"
	"parley/store"
)

// decode parses an export: one strict StatementImport per line.
func decode(t *testing.T, data []byte) []domain.StatementImport {
	t.Helper()
	var recs []domain.StatementImport
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 4<<20)
	for n := 1; sc.Scan(); n++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var rec domain.StatementImport
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("export line %d: %v", n, err)
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// importAll imports recs in batches of size n, atomically, and requires
// every record to have the status want.
func importAll(t *testing.T, s domain.Store, recs []domain.StatementImport, n int, want domain.ImportStatus) {
	t.Helper()
	for lo := 0; lo < len(recs); lo += n {
		hi := min(lo+n, len(recs))
		rep := run(t, s, recs[lo:hi], atomic)
		for _, r := range rep.Results {
			if r.Status != want {
				t.Fatalf("record %d: %s, want %s\n%s", lo+r.Index, r.Status, want, describe(rep))
			}
		}
	}
}

// roundTrip checks the export properties on recs: export A of the imported
// records; A imported into an empty store exports as A again, byte for
// byte; A imported into the store it came from changes nothing.
func roundTrip(t *testing.T, recs []domain.StatementImport, batch int) []byte {
	t.Helper()
	first := newStore(t)
	importAll(t, first, recs, batch, domain.ImportCreated)
	a := export(t, first)
	if n := bytes.Count(a, []byte("\n")); n != len(recs) {
		t.Fatalf("export has %d lines for %d statements", n, len(recs))
	}

	exported := decode(t, a)
	second := newStore(t)
	importAll(t, second, exported, batch, domain.ImportCreated)
	if b := export(t, second); !bytes.Equal(a, b) {
		t.Errorf("export → import into an empty store → export changed the output:\n%s", firstDiff(a, b))
	}

	before := dump(t, first)
	importAll(t, first, exported, batch, domain.ImportUnchanged)
	if dump(t, first) != before {
		t.Error("importing an export into its own store wrote to it")
	}
	return a
}

// firstDiff shows the first line where a and b differ.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("%d lines, then %d", len(la), len(lb))
}

func TestExportRoundTripSample(t *testing.T) {
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	a := roundTrip(t, recs, len(recs))
	// The sample file is written in export form.
	if !bytes.Equal(a, sample.JSONL()) {
		t.Errorf("the export of the sample is not the sample file:\n%s", firstDiff(sample.JSONL(), a))
	}
}

func TestExportRoundTripWorkload(t *testing.T) {
	t.Parallel()
	d := gen.New(gen.Config{N: 2000, Seed: 7})
	var recs []domain.StatementImport
	for rec, ok := d.Next(); ok; rec, ok = d.Next() {
		recs = append(recs, rec)
	}
	roundTrip(t, recs, 1000)
}

// The generated dataset of this test uses every field of the format: roles
// in organizations that never speak, aliases, intervals and unknown dates,
// explicit asOf, several sources and positions, records without
// externalId, speakers named by key alone, text that JSON escapes.
func TestExportRoundTripEveryField(t *testing.T) {
	t.Parallel()
	roundTrip(t, generate(2000, 42), 500)
}

func generate(n int, seed uint64) []domain.StatementImport {
	r := rand.New(rand.NewPCG(seed, 1))
	pick := func(xs ...string) string { return xs[r.IntN(len(xs))] }
	date := func(unknown bool) string {
		day := domain.DayOf(2000, 1, 1) + domain.Day(r.IntN(9500))
		switch p := r.IntN(100); {
		case p < 5 && unknown:
			return ""
		case p < 70:
			return day.String()
		case p < 82:
			return day.String()[:7]
		case p < 90:
			return day.String()[:4]
		default:
			return day.String() + "/" + (day + domain.Day(r.IntN(30))).String()
		}
	}

	orgs := []domain.RoleRef{
		{Org: "kremlin", OrgName: "the Kremlin", OrgKind: domain.SpeakerOrganization},
		{Org: "ukraine", OrgName: "Ukraine", OrgKind: domain.SpeakerCountry},
		{Org: "european-union", OrgName: "European Union", OrgKind: domain.SpeakerOrganization},
	}
	var speakers []domain.SpeakerRef
	for i := range 40 {
		sp := domain.SpeakerRef{
			Key:     fmt.Sprintf("speaker-%02d", i),
			Name:    fmt.Sprintf("%s Speaker %d", pick("Élodie", "Володимир", "Kaja", "Jürgen", "Ann-Marie"), i),
			Kind:    domain.SpeakerPerson,
			Country: pick("", "RU", "UA", "US", "FR", "EU"),
		}
		if i%4 == 0 {
			sp.Aliases = []string{fmt.Sprintf("S%d", i), fmt.Sprintf("Speaker #%d", i)}
			sp.Description = "Says \"things\" <often> & at length."
			sp.WikidataID = fmt.Sprintf("Q%d", 1000+i)
		}
		if i%3 == 0 {
			role := orgs[(i/3)%len(orgs)]
			role.Title = pick("spokesperson", "envoy", "minister")
			role.From = pick("", "2019", "2020-05", "2021-03-04")
			if role.From != "" && i%2 == 0 {
				role.To = "2024-12-31"
			}
			sp.Roles = []domain.RoleRef{role, {Title: "author"}}
		}
		if i == 39 {
			// Both a speaker and other speakers' organization, with a
			// role in itself, which the store allows.
			sp.Key, sp.Name, sp.Kind = "european-union", "European Union", domain.SpeakerOrganization
			sp.Roles = []domain.RoleRef{{Title: "institution", Org: "european-union", OrgName: "European Union", OrgKind: domain.SpeakerOrganization}}
		}
		speakers = append(speakers, sp)
	}

	// Topics 0-9 are roots; topic i from 10 on is a subtopic of i/3-3,
	// which makes three levels.
	var topics []domain.TopicRef
	parent := make([]int, 60)
	for i := range parent {
		t := domain.TopicRef{Key: fmt.Sprintf("topic-%02d", i), Name: fmt.Sprintf("Topic %d", i)}
		if i%5 == 0 {
			t.Description = "A topic with a description."
		}
		parent[i] = -1
		if i >= 10 {
			parent[i] = i/3 - 3
			t.Parent = fmt.Sprintf("topic-%02d", parent[i])
		}
		topics = append(topics, t)
	}

	defined := map[string]bool{}
	named := map[string]bool{}
	var out []domain.StatementImport
	for i := range n {
		// Most records are by a few speakers; every speaker has some.
		sp := speakers[r.IntN(len(speakers))]
		if r.IntN(10) < 7 {
			sp = speakers[int(float64(len(speakers))*r.Float64()*r.Float64())]
		}
		rec := domain.StatementImport{
			Text:     fmt.Sprintf("Statement %d: %s «peace» & <security>, %s.", i, pick("Мир", "paix", "peace", "Frieden"), pick("indeed", "perhaps", "never")),
			Kind:     domain.StatementKind(pick(string(domain.StatementQuote), string(domain.StatementParaphrase))),
			Speaker:  sp,
			SaidOn:   date(true),
			DateText: pick("", "on Monday", "last week"),
			Location: pick("", "Moscow", "Kyiv"),
			Context:  pick("", "after talks", "in an interview"),
			Language: pick("", "", "fr", "uk", "de"),
		}
		if r.IntN(5) > 0 {
			rec.ExternalID = fmt.Sprintf("ext-%05d", i)
		}
		if named[sp.Key] && r.IntN(3) == 0 {
			rec.Speaker = domain.SpeakerRef{Key: sp.Key}
		}
		named[sp.Key] = true

		onRecord := map[string]bool{}
		var add func(k int)
		add = func(k int) {
			t := topics[k]
			if onRecord[t.Key] {
				return
			}
			if p := parent[k]; p >= 0 && !defined[topics[p].Key] {
				add(p) // the format defines a parent only by listing it
			}
			onRecord[t.Key] = true
			rec.Topics = append(rec.Topics, t)
		}
		for range 1 + r.IntN(3) {
			add(r.IntN(len(topics)))
		}
		for _, t := range rec.Topics {
			defined[t.Key] = true
		}

		for range r.IntN(3) {
			k := r.IntN(100)
			src := domain.SourceRef{URL: fmt.Sprintf("https://news.example.org/%d/story?id=%d", k%7, k), Title: fmt.Sprintf("Story %d", k)}
			if k%2 == 0 {
				src.Publisher = "Example News"
				src.PublishedAt = fmt.Sprintf("2025-%02d-01T12:00:00.%03dZ", 1+k%12, k)
			}
			if !strings.Contains(fmt.Sprint(rec.Sources), src.URL) {
				rec.Sources = append(rec.Sources, src)
			}
		}

		if r.IntN(10) < 3 {
			seen := map[string]bool{}
			for range 1 + r.IntN(2) {
				p := domain.PositionRef{
					Topic:  rec.Topics[r.IntN(len(rec.Topics))].Key,
					Stance: domain.Stance(pick("SUPPORTS", "OPPOSES", "NEUTRAL", "MIXED")),
				}
				if r.IntN(2) == 0 {
					p.Summary = "In favour, with conditions."
				}
				if rec.SaidOn == "" || r.IntN(4) == 0 {
					p.AsOf = date(false)
				}
				if k := p.Topic + p.AsOf; !seen[k] {
					seen[k] = true
					rec.Positions = append(rec.Positions, p)
				}
			}
		}
		out = append(out, rec)
	}
	return out
}

// An organization may hold a role in itself: the store allows it, so an
// import must be able to create it.
func TestRoleInItself(t *testing.T) {
	s := newStore(t)
	r := leavitt("a", "text")
	r.Speaker = domain.SpeakerRef{Key: "european-union", Name: "European Union", Kind: domain.SpeakerOrganization,
		Roles: []domain.RoleRef{{Title: "institution", Org: "european-union"}}}
	wantStatuses(t, run(t, s, []domain.StatementImport{r}, atomic), domain.ImportCreated)
	sp, err := s.SpeakerByKey(t.Context(), "european-union")
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Roles) != 1 || sp.Roles[0].OrgID != sp.ID {
		t.Fatalf("roles %+v, want one in the speaker itself (%d)", sp.Roles, sp.ID)
	}
	recs := decode(t, export(t, s))
	if got := recs[0].Speaker.Roles; len(got) != 1 || got[0].Org != "european-union" || got[0].OrgName != "European Union" {
		t.Errorf("exported roles %+v", got)
	}
	roundTrip(t, recs, 1)
}

// A topic whose parent no statement lists cannot be written in the
// format: Export says so rather than write a file that does not import.
func TestExportRefusesAParentTheFormatCannotDefine(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	war, err := s.CreateTopic(ctx, &domain.Topic{Key: "war", Name: "War"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTopic(ctx, &domain.Topic{Key: "peace", Name: "Peace", ParentID: war.ID}); err != nil {
		t.Fatal(err)
	}
	r := leavitt("a", "text")
	r.Topics = []domain.TopicRef{{Key: "peace"}}
	r.Positions = nil
	run(t, s, []domain.StatementImport{r}, atomic)

	err = importer.Export(ctx, s, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `"war"`) {
		t.Fatalf("Export: %v, want an error naming the parent topic", err)
	}

	// Listed on the statement, the parent is defined where it is used.
	r.Topics = append(r.Topics, domain.TopicRef{Key: "war"})
	run(t, s, []domain.StatementImport{r}, atomic)
	if got := decode(t, export(t, s)); len(got[0].Topics) != 2 || got[0].Topics[0].Key != "war" || got[0].Topics[1].Parent != "war" {
		t.Errorf("exported topics %+v, want war, then peace with parent war", got[0].Topics)
	}
}

// A file may list a topic before its parent, and give the parent on a
// later line that lists both; the import fills the parent in. The export
// of such a database does the same: it names the parent on the first line
// where the format can, and round-trips.
func TestExportNamesAParentOnTheFirstLineThatCan(t *testing.T) {
	recs := []domain.StatementImport{
		leavitt("1", "first"), leavitt("2", "second"), leavitt("3", "third"),
	}
	recs[0].Topics = []domain.TopicRef{{Key: "child", Name: "Child"}}
	recs[1].Topics = []domain.TopicRef{{Key: "root", Name: "Root"}}
	recs[2].Topics = []domain.TopicRef{{Key: "child", Parent: "root"}}
	for i := range recs {
		recs[i].Positions = nil
	}
	got := decode(t, roundTrip(t, recs, 1))
	if p := got[0].Topics[0].Parent; p != "" {
		t.Errorf("line 1 names parent %q before any line defines it", p)
	}
	if p := got[2].Topics[0].Parent; p != "root" {
		t.Errorf("line 3 lists child with parent %q, want root", p)
	}
	s := newStore(t)
	importAll(t, s, got, 1, domain.ImportCreated)
	child, err := s.TopicByKey(t.Context(), "child")
	if err != nil || child.ParentID == 0 {
		t.Fatalf("child topic after importing the export: %+v, %v; want a parent", child, err)
	}
}

// A position whose speaker is not the statement's cannot be written in the
// format, and is left out.
func TestExportLeavesOutOtherSpeakersPositions(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	run(t, s, []domain.StatementImport{leavitt("a", "text")}, atomic)
	st := statements(t, s)[0]
	org, err := s.SpeakerByKey(ctx, "white-house")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePosition(ctx, &domain.Position{SpeakerID: org.ID, TopicID: st.TopicIDs[0], Stance: domain.StanceOpposes,
		AsOf: domain.MustParsePartialDate("2025"), EvidenceIDs: []domain.ID{st.ID}}); err != nil {
		t.Fatal(err)
	}
	got := decode(t, export(t, s))
	if len(got[0].Positions) != 1 || got[0].Positions[0].Stance != domain.StanceSupports {
		t.Errorf("exported positions %+v, want the speaker's own only", got[0].Positions)
	}
}

// counting counts the store reads Export makes.
type counting struct {
	domain.Store
	calls map[string]int
}

func (c *counting) ScanStatements(ctx context.Context, after domain.ID, limit int) ([]*domain.Statement, error) {
	c.calls["ScanStatements"]++
	return c.Store.ScanStatements(ctx, after, limit)
}

func (c *counting) SpeakersByID(ctx context.Context, ids []domain.ID) ([]*domain.Speaker, error) {
	c.calls["SpeakersByID"]++
	return c.Store.SpeakersByID(ctx, ids)
}

func (c *counting) TopicsByID(ctx context.Context, ids []domain.ID) ([]*domain.Topic, error) {
	c.calls["TopicsByID"]++
	return c.Store.TopicsByID(ctx, ids)
}

func (c *counting) SourcesByID(ctx context.Context, ids []domain.ID) ([]*domain.Source, error) {
	c.calls["SourcesByID"]++
	return c.Store.SourcesByID(ctx, ids)
}

func (c *counting) PositionsCiting(ctx context.Context, ids []domain.ID) ([][]*domain.Position, error) {
	c.calls["PositionsCiting"]++
	return c.Store.PositionsCiting(ctx, ids)
}

func (c *counting) Speaker(ctx context.Context, id domain.ID) (*domain.Speaker, error) {
	c.calls["Speaker"]++
	return c.Store.Speaker(ctx, id)
}

func (c *counting) Topic(ctx context.Context, id domain.ID) (*domain.Topic, error) {
	c.calls["Topic"]++
	return c.Store.Topic(ctx, id)
}

func (c *counting) Source(ctx context.Context, id domain.ID) (*domain.Source, error) {
	c.calls["Source"]++
	return c.Store.Source(ctx, id)
}

// Export reads a page of statements and what they refer to with a fixed
// number of batched reads, whatever the page holds.
func TestExportReadsInBatches(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	recs := generate(1200, 3)
	importAll(t, s, recs, 1200, domain.ImportCreated)
	c := &counting{Store: s, calls: map[string]int{}}
	if err := importer.Export(t.Context(), c, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	pages := 3 // of 500 statements
	for name, most := range map[string]int{
		"ScanStatements":  pages + 1, // the last, empty, page ends the walk
		"PositionsCiting": pages,
		"SpeakersByID":    2 * pages, // speakers, then their roles' organizations
		"TopicsByID":      2 * pages, // topics, then their parents
		"SourcesByID":     pages,
		"Speaker":         0,
		"Topic":           0,
		"Source":          0,
	} {
		if got := c.calls[name]; got > most {
			t.Errorf("%d calls of %s for %d pages, want at most %d", got, name, pages, most)
		}
	}
}

// BenchmarkImport imports the workload dataset in batches of 1,000, the
// W1 shape, straight into the store: the engine's share of W1.
func BenchmarkImport(b *testing.B) {
	d := gen.New(gen.Config{N: 20000, Seed: 1})
	var recs []domain.StatementImport
	for rec, ok := d.Next(); ok; rec, ok = d.Next() {
		recs = append(recs, rec)
	}
	for b.Loop() {
		b.StopTimer()
		s, err := store.Open(filepath.Join(b.TempDir(), "parley.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for lo := 0; lo < len(recs); lo += 1000 {
			rep, err := importer.Import(b.Context(), s, recs[lo:lo+1000], domain.DefaultImportOptions())
			if err != nil {
				b.Fatal(err)
			}
			if rep.Created != 1000 {
				b.Fatalf("created %d of 1000", rep.Created)
			}
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "statements/s")
}
