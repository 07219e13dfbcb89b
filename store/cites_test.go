package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// TestSourceFilterOracle (from a review of the citations index) checks
// the source filter against an oracle: the
// same filter without the source (served by the unchanged indexes),
// restricted to the statements whose records cite the source. Sources
// are cited by hundreds of statements (multi-block, multi-run), and
// statements are updated (sources and dates), deleted, and sources
// deleted with cascade, in batches.
func TestSourceFilterOracle(t *testing.T) {
	ctx := context.Background()
	for _, limit := range []int{1, 40, 0} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(limit)+1, 3))
			path := filepath.Join(t.TempDir(), "c.db")
			s, err := Open(path, Options{IndexLogLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close() }()
			var speakers []*domain.Speaker
			for i, k := range []string{"a-b", "c-d", "e-f"} {
				sp, err := s.CreateSpeaker(ctx, &domain.Speaker{Key: k, Name: k, Kind: domain.SpeakerPerson, Country: []string{"RU", "UA", "FR"}[i]})
				if err != nil {
					t.Fatal(err)
				}
				speakers = append(speakers, sp)
			}
			var sources []*domain.Source
			for i := range 6 {
				src, err := s.CreateSource(ctx, &domain.Source{URL: fmt.Sprintf("https://example.org/%d", i)})
				if err != nil {
					t.Fatal(err)
				}
				sources = append(sources, src)
			}
			words := []string{"peace", "talks", "summit", "grain", "ceasefire"}
			randDate := func() domain.PartialDate {
				d := domain.DayOf(2024, 1, 1) + domain.Day(rng.IntN(700))
				switch r := rng.IntN(10); {
				case r == 0:
					return domain.PartialDate{}
				case r < 6:
					return domain.DayDate(d)
				case r < 8:
					return domain.MustParsePartialDate(d.String()[:7])
				default:
					p, _ := domain.NewInterval(d, d+domain.Day(1+rng.IntN(40)))
					return p
				}
			}
			randSources := func() []domain.ID {
				var ids []domain.ID
				if rng.IntN(3) > 0 {
					ids = append(ids, sources[0].ID) // the hot source
				}
				for range rng.IntN(3) {
					ids = append(ids, sources[1+rng.IntN(len(sources)-1)].ID)
				}
				return ids
			}
			n := 0
			var live []domain.ID
			for batch := range 12 {
				err := s.Update(ctx, func(tx domain.Tx) error {
					for range 20 + rng.IntN(60) {
						n++
						st := &domain.Statement{
							Text:      fmt.Sprintf("%s %s number %d", words[rng.IntN(len(words))], words[rng.IntN(len(words))], n),
							Kind:      domain.StatementQuote,
							SpeakerID: speakers[rng.IntN(len(speakers))].ID,
							SaidOn:    randDate(),
							SourceIDs: randSources(),
						}
						if err := tx.PutStatement(st); err != nil {
							return err
						}
						live = append(live, st.ID)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				// Updates: new sources and/or a new date.
				for range 10 {
					id := live[rng.IntN(len(live))]
					if _, err := s.UpdateStatement(ctx, id, func(st *domain.Statement) error {
						if rng.IntN(2) == 0 {
							st.SourceIDs = randSources()
						}
						if rng.IntN(2) == 0 {
							st.SaidOn = randDate()
						}
						return nil
					}); err != nil {
						t.Fatal(err)
					}
				}
				for range 3 {
					i := rng.IntN(len(live))
					if err := s.DeleteStatement(ctx, live[i], true); err != nil {
						t.Fatal(err)
					}
					live = slices.Delete(live, i, i+1)
				}
				if batch == 6 {
					// Cascade: a source cited by some statements goes.
					last := sources[len(sources)-1]
					if err := s.DeleteSource(ctx, last.ID, false); domain.ErrorCode(err) != domain.CodeConflict {
						t.Fatalf("DeleteSource of a cited source: %v; want CONFLICT", err)
					}
					if err := s.DeleteSource(ctx, last.ID, true); err != nil {
						t.Fatal(err)
					}
					sources = sources[:len(sources)-1]
				}
				if batch%4 == 3 {
					s.Close()
					if s, err = Open(path, Options{IndexLogLimit: limit}); err != nil {
						t.Fatal(err)
					}
				}
				if batch%4 == 3 || batch == 6 {
					checkSourceFilter(t, s, sources, speakers, rng)
				}
			}
			if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
				t.Fatalf("Verify: %+v, %v", rep, err)
			}
		})
	}
}

func checkSourceFilter(t *testing.T, s *Store, sources []*domain.Source, speakers []*domain.Speaker, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	for range 6 {
		src := sources[rng.IntN(len(sources))]
		var f domain.StatementFilter
		if rng.IntN(2) == 0 {
			f.Speakers = []string{speakers[rng.IntN(len(speakers))].Key}
		}
		if rng.IntN(3) == 0 {
			f.Search = []string{"peace", "talks", "grain"}[rng.IntN(3)]
		}
		if rng.IntN(2) == 0 {
			f.SaidFrom = domain.DayDate(domain.DayOf(2024, 1, 1) + domain.Day(rng.IntN(500)))
		}
		if rng.IntN(2) == 0 {
			f.SaidTo = domain.DayDate(domain.DayOf(2024, 6, 1) + domain.Day(rng.IntN(500)))
		}
		if !f.SaidFrom.IsZero() && !f.SaidTo.IsZero() && f.SaidTo.End() < f.SaidFrom.Start() {
			f.SaidFrom, f.SaidTo = f.SaidTo, f.SaidFrom
		}
		for _, o := range []domain.StatementOrder{domain.SaidOnDesc, domain.SaidOnAsc, domain.CreatedAtDesc} {
			all := walk(t, s, f, o, false, 100)
			var want []domain.ID
			for _, st := range all {
				if slices.Contains(st.SourceIDs, src.ID) {
					want = append(want, st.ID)
				}
			}
			g := f
			g.Source = src.URL
			for _, size := range []int{7, 100} {
				if got := ids(walk(t, s, g, o, false, size)); !slices.Equal(got, want) {
					t.Fatalf("%+v %s forward by %d:\n got %v\nwant %v", g, o, size, got, want)
				}
				if got := ids(walk(t, s, g, o, true, size)); !slices.Equal(got, want) {
					t.Fatalf("%+v %s backward by %d:\n got %v\nwant %v", g, o, size, got, want)
				}
			}
			if n, err := s.CountStatements(ctx, g); err != nil || n != len(want) {
				t.Fatalf("count %+v: %d, %v; want %d", g, n, err, len(want))
			}
		}
	}
}

// walk pages through a list forward (First/After) or backward
// (Last/Before) and returns it in list order, checking the page flags.
func walk(t *testing.T, s *Store, f domain.StatementFilter, o domain.StatementOrder, backward bool, size int) []*domain.Statement {
	t.Helper()
	ctx := context.Background()
	var out []*domain.Statement
	p := domain.Page{First: size}
	if backward {
		p = domain.Page{Last: size}
	}
	for range 10000 {
		res, err := s.ListStatements(ctx, f, o, p)
		if err != nil {
			t.Fatalf("ListStatements(%+v, %s, %+v): %v", f, o, p, err)
		}
		if !backward {
			out = append(out, res.Items...)
			if p.After != nil && !res.HasPreviousPage {
				t.Fatalf("%+v %s: a page after a cursor has no previous page", f, o)
			}
			if !res.HasNextPage {
				return out
			}
			p.After = res.Cursors[len(res.Cursors)-1]
		} else {
			out = append(slices.Clone(res.Items), out...)
			if p.Before != nil && !res.HasNextPage {
				t.Fatalf("%+v %s: a page before a cursor has no next page", f, o)
			}
			if !res.HasPreviousPage {
				return out
			}
			p.Before = res.Cursors[0]
		}
	}
	t.Fatal("no end")
	return nil
}

// TestCitingSeesStagedChanges checks that inside one write transaction
// the citations staged so far count: for citing, the source filter and
// deleteSource.
func TestCitingSeesStagedChanges(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "w.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Key: "a-b", Name: "A", Kind: domain.SpeakerPerson})
	src, _ := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/1"})
	old, _ := s.CreateStatement(ctx, &domain.Statement{Text: "old", Kind: domain.StatementQuote, SpeakerID: sp.ID, SourceIDs: []domain.ID{src.ID}})
	err = s.update(ctx, func(tx *txn) error {
		st := &domain.Statement{Text: "new", Kind: domain.StatementQuote, SpeakerID: sp.ID, SourceIDs: []domain.ID{src.ID}}
		if err := tx.PutStatement(st); err != nil {
			return err
		}
		if got := tx.citing(src.ID); len(got) != 2 {
			t.Errorf("citing after a staged put: %v; want 2", got)
		}
		o, _ := tx.Statement(old.ID)
		o.SourceIDs = nil
		if err := tx.PutStatement(o); err != nil {
			return err
		}
		if got := tx.citing(src.ID); !slices.Equal(got, []domain.ID{st.ID}) {
			t.Errorf("citing after a staged removal: %v; want [%d]", got, st.ID)
		}
		l, _, err := tx.statementList(domain.StatementFilter{Source: src.URL}, domain.SaidOnDesc)
		if err != nil {
			return err
		}
		res, err := l.page(domain.Page{First: 10}, tagStatementDate)
		if err != nil {
			return err
		}
		if len(res.Items) != 1 || res.Items[0].ID != st.ID {
			t.Errorf("source filter in the transaction: %v", res.Items)
		}
		if err := tx.deleteSource(src.ID, false); domain.ErrorCode(err) != domain.CodeConflict {
			t.Errorf("deleteSource: %v; want CONFLICT", err)
		}
		return tx.deleteSource(src.ID, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("Verify: %v %v", rep, err)
	}
}

// TestVerifyFindsCiteDrift checks that Verify reports a citations index
// that disagrees with the records: an entry missing, one too many, one
// naming no statement, one under the wrong source.
func TestVerifyFindsCiteDrift(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		ins, del func(a, b, c domain.ID, s1, s2 domain.ID) []byte
	}{
		{"missing", nil, func(a, b, c, s1, s2 domain.ID) []byte { return citeEntry(s1, b) }},
		{"extra", func(a, b, c, s1, s2 domain.ID) []byte { return citeEntry(s2, a) }, nil},
		{"extra_for_missing_statement", func(a, b, c, s1, s2 domain.ID) []byte { return citeEntry(s1, 999) }, nil},
		{"swapped", func(a, b, c, s1, s2 domain.ID) []byte { return citeEntry(s2, b) }, func(a, b, c, s1, s2 domain.ID) []byte { return citeEntry(s1, b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "v.db"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			sp, _ := s.CreateSpeaker(ctx, &domain.Speaker{Key: "a-b", Name: "A", Kind: domain.SpeakerPerson})
			s1, _ := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/1"})
			s2, _ := s.CreateSource(ctx, &domain.Source{URL: "https://example.org/2"})
			var ids []domain.ID
			for _, txt := range []string{"one", "two", "three"} {
				st, err := s.CreateStatement(ctx, &domain.Statement{Text: txt, Kind: domain.StatementQuote, SpeakerID: sp.ID, SourceIDs: []domain.ID{s1.ID}})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, st.ID)
			}
			err = s.db.Update(func(tx *bolt.Tx) error {
				var ins, del []byte
				if tc.ins != nil {
					ins = tc.ins(ids[0], ids[1], ids[2], s1.ID, s2.ID)
				}
				if tc.del != nil {
					del = tc.del(ids[0], ids[1], ids[2], s1.ID, s2.ID)
				}
				return updateRuns(tx.Bucket(bSxCites), nil, ins, del)
			})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := s.Verify(ctx)
			if err != nil || !strings.Contains(strings.Join(rep.Problems, ";"), "sr_cites") {
				t.Errorf("Verify: %v, %v; want a problem with sr_cites", rep, err)
			}
		})
	}
}
