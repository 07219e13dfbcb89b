package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// TestOverlayMatchesAModel adds and removes entries of a deferred index at
// random, many transactions of a few changes each, and after every commit
// compares each prefix's entries and count with a model; the store is
// reopened now and then, so the overlay is rebuilt from the log, and the
// limit makes some commits write the overlay into the runs.
func TestOverlayMatchesAModel(t *testing.T) {
	ctx := context.Background()
	for _, limit := range []int{1, 7, 60, DefaultIndexLogLimit} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(limit), 9))
			path := filepath.Join(t.TempDir(), "p.db")
			open := func() *Store {
				s, err := Open(path, Options{IndexLogLimit: limit})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			s := open()
			defer func() { s.Close() }()
			prefixes := [][]byte{wordPrefix("a"), wordPrefix("b"), wordPrefix("c")}
			model := map[string]map[string]bool{}
			for _, p := range prefixes {
				model[string(p)] = map[string]bool{}
			}
			key := func(n int) []byte {
				return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(n%5)), uint64(n))
			}
			for round := range 150 {
				err := s.update(ctx, func(tx *txn) error {
					for range 1 + rng.IntN(6) {
						p := prefixes[rng.IntN(len(prefixes))]
						k := key(rng.IntN(40))
						if m := model[string(p)]; m[string(k)] {
							delete(m, string(k))
							if err := tx.ixDel(bSxWord, p, k); err != nil {
								return err
							}
						} else {
							m[string(k)] = true
							if err := tx.ixPut(bSxWord, p, k); err != nil {
								return err
							}
						}
						if rng.IntN(4) == 0 {
							// A read inside the transaction sees its changes.
							if got, want := tx.prefixCount(bSxWord, p), len(model[string(p)]); got != want {
								t.Errorf("round %d: in the transaction, %q has %d entries, want %d", round, p, got, want)
							}
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if rng.IntN(20) == 0 {
					s.Close()
					s = open()
				}
				err = s.view(ctx, func(tx *txn) error {
					for _, p := range prefixes {
						var want [][]byte
						for k := range model[string(p)] {
							want = append(want, []byte(k))
						}
						slices.SortFunc(want, bytes.Compare)
						got := tx.suffixes(bSxWord, p)
						if !slices.EqualFunc(got, want, bytes.Equal) {
							t.Fatalf("round %d: %q holds %x, want %x", round, p, got, want)
						}
						if n := tx.prefixCount(bSxWord, p); n != len(want) {
							t.Fatalf("round %d: %q counts %d, want %d", round, p, n, len(want))
						}
						// Newest first, as the statement lists read.
						m := &merged{its: tx.runIters(bSxWord, p, nil, nil)}
						var desc [][]byte
						for m.start(nil, true, true); m.key() != nil; m.next() {
							desc = append(desc, m.key())
						}
						slices.Reverse(desc)
						if !slices.EqualFunc(desc, want, bytes.Equal) {
							t.Fatalf("round %d: %q newest first holds %x, want %x reversed", round, p, desc, want)
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestOverlayReadersKeepTheirSnapshot holds a read transaction open while
// writes commit and the overlay is written into the runs: it keeps seeing
// the state it began with.
func TestOverlayReadersKeepTheirSnapshot(t *testing.T) {
	ctx := context.Background()
	s, sp := storeWithSpeaker(t, Options{IndexLogLimit: 30})
	made := 0
	add := func(n int) {
		for range n {
			made++
			if _, err := s.CreateStatement(ctx, &domain.Statement{Text: fmt.Sprintf("steady ceasefire %d", made), Kind: domain.StatementQuote, SpeakerID: sp.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	add(5)
	count := func(tx *txn) int {
		q, err := tx.planStatements(domain.StatementFilter{Search: "ceasefire"})
		if err != nil {
			t.Fatal(err)
		}
		n, err := q.dateList(false).count()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := s.view(ctx, func(tx *txn) error {
		if n := count(tx); n != 5 {
			t.Fatalf("before: %d statements, want 5", n)
		}
		add(20) // past the limit: written into the runs at least once
		if n := count(tx); n != 5 {
			t.Errorf("the same read transaction after the writes: %d statements, want 5", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountStatements(ctx, domain.StatementFilter{Search: "ceasefire"}); err != nil || n != 25 {
		t.Errorf("a new read: %d statements, %v; want 25", n, err)
	}
}

// TestVerifyFindsALogThatDisagrees changes a record of the index log
// behind the store's back: Verify reports that the log no longer rebuilds
// the overlay the store serves from.
func TestVerifyFindsALogThatDisagrees(t *testing.T) {
	ctx := context.Background()
	s, sp := storeWithSpeaker(t, Options{})
	if _, err := s.CreateStatement(ctx, &domain.Statement{Text: "a decisive week", Kind: domain.StatementQuote, SpeakerID: sp.ID}); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("a sound store: %+v, %v", rep, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bIxLog)
		k, _ := b.Cursor().Last()
		return b.Put(copyBytes(k), appendSegment(nil, deferredIndex(bSxWord), wordPrefix("forged"), sortKey(&domain.Statement{ID: 99}), nil))
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Problems, func(p string) bool {
		return bytes.Contains([]byte(p), []byte("the index log and the overlay in memory disagree"))
	}) {
		t.Errorf("Verify missed a forged log record: %v", rep.Problems)
	}
}

// TestMalformedLogIsRefused: a log record that does not parse stops Open
// with an error naming it, rather than serving indexes that lack entries.
func TestMalformedLogIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bIxLog).Put([]byte{0, 0, 0, 0, 0, 0, 0, 1}, []byte{4, 200})
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("malformed index log record")) {
		t.Errorf("open with a malformed log record: %v", err)
	}
}

// TestLogStaysBoundedWhenChangesCancel edits one statement's text back and
// forth: the overlay stays tiny, and the log must not keep every edit (it
// is written out once it holds twice the limit).
func TestLogStaysBoundedWhenChangesCancel(t *testing.T) {
	ctx := context.Background()
	const limit = 100
	s, sp := storeWithSpeaker(t, Options{IndexLogLimit: limit})
	st, err := s.CreateStatement(ctx, &domain.Statement{Text: "alpha", Kind: domain.StatementQuote, SpeakerID: sp.ID})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		text := "alpha"
		if i%2 == 0 {
			text = "bravo"
		}
		if _, err := s.UpdateStatement(ctx, st.ID, func(x *domain.Statement) error { x.Text = text; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	keys := 0
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bIxLog).ForEach(func(_, v []byte) error {
			w := newOverlayWriter(nil)
			if err := w.foldRecord(v); err != nil {
				return err
			}
			for _, n := range w.o.logged {
				keys += n
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if keys > 2*limit {
		t.Errorf("after 2,000 edits that cancel out the log holds %d keys, want at most %d", keys, 2*limit)
	}
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
}

// TestDeletesFreeAFullStore fills a store to its maximum size with the
// overlay at its limit: deletes must still succeed (a write-out that does
// not fit fails no caller's write).
func TestDeletesFreeAFullStore(t *testing.T) {
	ctx := context.Background()
	s, sp := storeWithSpeaker(t, Options{IndexLogLimit: 3000, MaxSize: 6 << 20})
	var ids []domain.ID
	for i := 0; ; i++ {
		var batch []domain.ID
		err := s.Update(ctx, func(tx domain.Tx) error {
			for j := range 50 {
				n := i*50 + j
				st := &domain.Statement{Text: fmt.Sprintf("w%d x%d y%d z%d ceasefire", n, n%97, n%31, n%1013), Kind: domain.StatementQuote, SpeakerID: sp.ID}
				if err := tx.PutStatement(st); err != nil {
					return err
				}
				batch = append(batch, st.ID)
			}
			return nil
		})
		if errors.Is(err, domain.ErrStorageFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, batch...)
	}
	for n, id := range ids[:200] {
		if err := s.DeleteStatement(ctx, id, true); err != nil {
			t.Fatalf("delete %d of 200 on a full store: %v", n+1, err)
		}
	}
	if rep, err := s.Verify(ctx); err != nil || len(rep.Problems) > 0 {
		t.Fatalf("Verify: %+v, %v", rep, err)
	}
}

// storeWithSpeaker opens a new store with opts, closed when the test
// ends, and creates one speaker in it.
func storeWithSpeaker(t *testing.T, opts Options) (*Store, *domain.Speaker) {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "p.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	sp, err := s.CreateSpeaker(context.Background(), &domain.Speaker{Name: "Kaja Kallas", Kind: domain.SpeakerPerson, Country: "EE"})
	if err != nil {
		t.Fatal(err)
	}
	return s, sp
}
