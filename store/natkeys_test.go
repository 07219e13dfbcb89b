package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"parley/domain"
)

// speakerStore opens a new store with one speaker, and returns a maker of
// statements by that speaker on one date.
func speakerStore(t *testing.T) (*Store, *domain.Speaker, func(text string) *domain.Statement) {
	s, err := Open(filepath.Join(t.TempDir(), "p.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sp, err := s.CreateSpeaker(context.Background(), &domain.Speaker{Name: "Antonio Guterres", Kind: domain.SpeakerPerson})
	if err != nil {
		t.Fatal(err)
	}
	return s, sp, func(text string) *domain.Statement {
		return &domain.Statement{Text: text, Kind: domain.StatementQuote, SpeakerID: sp.ID, SaidOn: domain.MustParsePartialDate("2025-12-01")}
	}
}

// TestNaturalKeysWithinATransaction checks the natural-key index's
// lookups against the transaction's own staged changes, which a batch
// import depends on: a statement written earlier in the transaction is
// found, one whose text an update changed is not, and a candidate that
// only shares the 64-bit hash is told apart by its record.
func TestNaturalKeysWithinATransaction(t *testing.T) {
	ctx := context.Background()
	s, sp, stmt := speakerStore(t)
	conflict := func(err error) bool { return domain.ErrorCode(err) == domain.CodeConflict }

	var a *domain.Statement
	err := s.update(ctx, func(t2 *txn) error {
		a = stmt("A ceasefire must hold")
		if err := t2.PutStatement(a); err != nil {
			return err
		}
		if err := t2.PutStatement(stmt("a CEASEFIRE must  hold")); !conflict(err) {
			t.Errorf("a second statement with the same natural key in the same transaction: err = %v, want CONFLICT", err)
		}
		// Changing a's text frees its old natural key at once.
		a.Text = "The ceasefire must hold"
		if err := t2.PutStatement(a); err != nil {
			return err
		}
		if err := t2.PutStatement(stmt("A ceasefire must hold")); err != nil {
			t.Errorf("the old text of an updated statement: %v", err)
		}
		if err := t2.PutStatement(stmt("The ceasefire must hold")); !conflict(err) {
			t.Errorf("the new text of an updated statement: err = %v, want CONFLICT", err)
		}

		// Positions: the same, on speaker, topic and asOf.
		tp := &domain.Topic{Name: "Ceasefire"}
		if err := t2.PutTopic(tp); err != nil {
			return err
		}
		pos := func(asOf string) *domain.Position {
			return &domain.Position{SpeakerID: sp.ID, TopicID: tp.ID, Stance: domain.StanceSupports, AsOf: domain.MustParsePartialDate(asOf)}
		}
		p := pos("2025-12")
		if err := t2.PutPosition(p); err != nil {
			return err
		}
		if err := t2.PutPosition(pos("2025-12")); !conflict(err) {
			t.Errorf("a second position with the same natural key in the same transaction: err = %v, want CONFLICT", err)
		}
		p.AsOf = domain.MustParsePartialDate("2025-11")
		if err := t2.PutPosition(p); err != nil {
			return err
		}
		if err := t2.PutPosition(pos("2025-12")); err != nil {
			t.Errorf("the old asOf of an updated position: %v", err)
		}
		if got, err := t2.PositionAt(sp.ID, tp.ID, p.AsOf); err != nil || got.ID != p.ID {
			t.Errorf("PositionAt(2025-11) = %v, %v; want position %d", got, err, p.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify: %v %v", err, rep)
	}

	// A stray entry with a's hash and another statement's id, as a hash
	// collision would make: a candidate, but not a match.
	other, err := s.CreateStatement(ctx, stmt("Talks will resume"))
	if err != nil {
		t.Fatal(err)
	}
	errRollback := errors.New("roll back")
	err = s.update(ctx, func(t2 *txn) error {
		nk := natKey(a)
		t2.stage(bSxNat, nil, natEntry(nk, other.ID), 1)
		if got := t2.natCandidates(bSxNat, binary.BigEndian.Uint64(nk)); len(got) != 2 {
			t.Errorf("candidates for a's hash: %v, want a's and the stray entry's", got)
		}
		if err := t2.flush(); err != nil { // and the same from the runs on disk
			return err
		}
		for _, staged := range []bool{false, true} {
			if staged {
				t2.stage(bSxNat, nil, natEntry(nk, a.ID), -1)
			}
			got, err := t2.StatementByNaturalKey(stmt("The ceasefire must hold"))
			switch {
			case staged && domain.ErrorCode(err) != domain.CodeNotFound:
				t.Errorf("after a's entry was removed: %v, %v; want NOT_FOUND", got, err)
			case !staged && (err != nil || got.ID != a.ID):
				t.Errorf("StatementByNaturalKey = %v, %v; want statement %d", got, err, a.ID)
			}
		}
		// Entries of one hash over several blocks (blockMax each), on disk
		// and staged.
		const h = 0x0123456789abcdef
		var want []domain.ID
		for id := domain.ID(1000); id < 1000+2*blockMax+50; id++ {
			t2.stage(bSxNat, nil, keyOp{hi: h, lo: uint64(id)}.appendKey(nil), 1)
			want = append(want, id)
		}
		if err := t2.flush(); err != nil {
			return err
		}
		t2.stage(bSxNat, nil, keyOp{hi: h, lo: 1000}.appendKey(nil), -1)
		t2.stage(bSxNat, nil, keyOp{hi: h, lo: 5000}.appendKey(nil), 1)
		want = append(want[1:], 5000)
		if got := t2.natCandidates(bSxNat, h); !slices.Equal(got, want) {
			t.Errorf("candidates over several blocks: %d of them, want %d", len(got), len(want))
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
}

// TestVerifyFindsSharedNaturalKeys checks that Verify reports two
// statements with one natural key, which the natural-key index, holding
// hash · id, records as two consistent entries.
func TestVerifyFindsSharedNaturalKeys(t *testing.T) {
	ctx := context.Background()
	s, _, stmt := speakerStore(t)
	a, err := s.CreateStatement(ctx, stmt("Security guarantees come first"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateStatement(ctx, stmt("First come security guarantees"))
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(ctx); err != nil || !rep.OK() {
		t.Fatalf("Verify: %v %v", err, rep)
	}
	// Give b a's natural key behind PutStatement's back, keeping every
	// index consistent with the records (same words, same date).
	err = s.update(ctx, func(t2 *txn) error {
		old := natKey(b)
		b.Text = "security GUARANTEES, come first!"
		v, err := encodeStatement(b)
		if err != nil {
			return err
		}
		if err := t2.b(bStatements).Put(idKey(b.ID), v); err != nil {
			return err
		}
		t2.stage(bSxNat, nil, natEntry(old, b.ID), -1)
		t2.stage(bSxNat, nil, natEntry(natKey(b), b.ID), 1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("statements %d and %d have the same speaker, text and date", a.ID, b.ID)
	if len(rep.Problems) != 1 || rep.Problems[0] != want {
		t.Errorf("Verify found %q, want only %q", rep.Problems, want)
	}
}
