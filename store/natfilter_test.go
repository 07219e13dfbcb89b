package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"parley/domain"
)

// TestNatFilterNeverMissesAnAddedHash: a filter answers "absent" only for
// hashes never added, and rarely "maybe" for those, up to the number of
// hashes it was sized for.
func TestNatFilterNeverMissesAnAddedHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := newNatFilter(0)
	added := make([]uint64, f.cap)
	for i := range added {
		added[i] = rng.Uint64()
		f.add(added[i])
	}
	for _, h := range added {
		if !f.mayHave(h) {
			t.Fatalf("hash %x was added but the filter says absent", h)
		}
	}
	fp := 0
	const tries = 100000
	for range tries {
		if f.mayHave(rng.Uint64()) {
			fp++
		}
	}
	if rate := float64(fp) / tries; rate > 0.01 {
		t.Errorf("false positives at capacity: %.4f, want under 1%%", rate)
	}
}

// TestNaturalKeysSurviveFilterRebuilds writes statements and positions
// through filters sized for a handful of hashes, so they are rebuilt many
// times, reopens the store, and checks that each natural key is still
// refused a second time.
func TestNaturalKeysSurviveFilterRebuilds(t *testing.T) {
	defer func(n int) { natMinHashes = n }(natMinHashes)
	natMinHashes = 2
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := s.CreateSpeaker(ctx, &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson})
	if err != nil {
		t.Fatal(err)
	}
	tp, err := s.CreateTopic(ctx, &domain.Topic{Name: "Security guarantees"})
	if err != nil {
		t.Fatal(err)
	}
	stmt := func(i int) *domain.Statement {
		return &domain.Statement{Text: fmt.Sprintf("statement number %d", i), Kind: domain.StatementQuote,
			SpeakerID: sp.ID, SaidOn: domain.MustParsePartialDate("2025-12-01")}
	}
	pos := func(i int) *domain.Position {
		return &domain.Position{SpeakerID: sp.ID, TopicID: tp.ID, Stance: domain.StanceSupports,
			AsOf: domain.MustParsePartialDate(fmt.Sprintf("2025-01-%02d", 1+i))}
	}
	for i := range 28 {
		if _, err := s.CreateStatement(ctx, stmt(i)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreatePosition(ctx, pos(i)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(when string) {
		for i := range 28 {
			if _, err := s.CreateStatement(ctx, stmt(i)); domain.ErrorCode(err) != domain.CodeConflict {
				t.Fatalf("%s: statement %d a second time: %v, want CONFLICT", when, i, err)
			}
			if _, err := s.CreatePosition(ctx, pos(i)); domain.ErrorCode(err) != domain.CodeConflict {
				t.Fatalf("%s: position %d a second time: %v, want CONFLICT", when, i, err)
			}
		}
	}
	check("after the writes")
	s.Close()
	if s, err = Open(path, Options{}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check("after a reopen")
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
}
