package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// TestRunsModel applies random adds and removes, in transactions of
// random sizes, to a few prefixes of a run bucket and checks after each
// transaction that the runs hold exactly what a map model holds, sorted,
// and that a prefix keeps few runs.
func TestRunsModel(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bucket := []byte("sr_test")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucket); return err }); err != nil {
		t.Fatal(err)
	}
	prefixes := [][]byte{nil, {'a', 0}, {'a', 'b', 0}, {'b', 0}}
	model := map[string]map[string]bool{}
	r := rand.New(rand.NewPCG(7, 7))
	sk := func() []byte {
		b := make([]byte, sortKeyLen)
		binary.BigEndian.PutUint64(b, r.Uint64N(1<<20))
		binary.BigEndian.PutUint64(b[8:], r.Uint64N(1<<40))
		return b
	}
	for round := range 150 {
		err := db.Update(func(tx *bolt.Tx) error {
			tr := &txn{tx: tx}
			n := 1 + r.IntN(400)
			if round%50 == 0 {
				n = 5000
			}
			for range n {
				p := prefixes[r.IntN(len(prefixes))]
				m := model[string(p)]
				if m == nil {
					m = map[string]bool{}
					model[string(p)] = m
				}
				if len(m) > 0 && r.IntN(4) == 0 {
					// Remove a stored key, sometimes re-adding it in the
					// same transaction (an update that keeps the entry).
					var k string
					for k = range m {
						break
					}
					tr.stage(bucket, p, []byte(k), -1)
					delete(m, k)
					if r.IntN(2) == 0 {
						tr.stage(bucket, p, []byte(k), 1)
						m[k] = true
					}
					continue
				}
				k := sk()
				if m[string(k)] {
					continue
				}
				tr.stage(bucket, p, k, 1)
				m[string(k)] = true
			}
			return tr.applyPending()
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucket)
			for _, p := range prefixes {
				want := make([][]byte, 0, len(model[string(p)]))
				for k := range model[string(p)] {
					want = append(want, []byte(k))
				}
				slices.SortFunc(want, bytes.Compare)
				got := runSuffixes(b, p)
				if !slices.EqualFunc(got, want, bytes.Equal) {
					t.Fatalf("round %d prefix %q: runs hold %d keys, the model %d", round, p, len(got), len(want))
				}
				if n := runEntries(b, p); n != len(want) {
					t.Fatalf("round %d prefix %q: runEntries %d, want %d", round, p, n, len(want))
				}
				runs := readDir(b, p)
				if len(runs) > 24 {
					t.Fatalf("round %d prefix %q: %d runs", round, p, len(runs))
				}
				for _, ri := range runs {
					d := readRun(b, p, ri)
					if ri.n == 0 || len(d) != ri.n*sortKeyLen {
						t.Fatalf("round %d prefix %q: run %d holds %d bytes, its directory entry says %d entries", round, p, ri.seq, len(d), ri.n)
					}
					for i := sortKeyLen; i < len(d); i += sortKeyLen {
						if cmpKey(d[i-sortKeyLen:i], d[i:i+sortKeyLen]) >= 0 {
							t.Fatalf("round %d prefix %q: a run out of order", round, p)
						}
					}
				}
				// Scans agree with the model from any start, in both
				// directions, within bounds and across blocks.
				if len(want) > 0 {
					lo, hi := want[r.IntN(len(want))], want[r.IntN(len(want))]
					if bytes.Compare(lo, hi) > 0 {
						lo, hi = hi, lo
					}
					probe := want[r.IntN(len(want))]
					if r.IntN(2) == 0 {
						probe = sk() // most likely between two keys
					}
					for _, desc := range []bool{false, true} {
						for _, incl := range []bool{false, true} {
							m := &merged{its: runIters(b, p, lo, hi)}
							m.start(probe, incl, desc)
							var got [][]byte
							for k := m.key(); k != nil; k = m.key() {
								got = append(got, copyBytes(k))
								m.next()
							}
							var exp [][]byte
							for _, k := range want {
								c := bytes.Compare(k, probe)
								if bytes.Compare(k, lo) < 0 || bytes.Compare(k, hi) > 0 || c == 0 && !incl || (c < 0) != desc && c != 0 {
									continue
								}
								exp = append(exp, k)
							}
							if desc {
								slices.Reverse(exp)
							}
							if !slices.EqualFunc(got, exp, bytes.Equal) {
								t.Fatalf("round %d prefix %q: scan from %x (incl %v, desc %v) in [%x, %x] gives %d keys, want %d", round, p, probe, incl, desc, lo, hi, len(got), len(exp))
							}
							// Leapfrog-style seeks forward from where the scan
							// stands land where a fresh seek would.
							m.start(probe, incl, desc)
							for j := 0; j < 20 && len(exp) > 0 && m.key() != nil; j++ {
								target := exp[r.IntN(len(exp))]
								if c := bytes.Compare(target, m.key()); c < 0 != desc && c != 0 {
									continue // behind: not a forward seek
								}
								fi := r.IntN(2) == 0
								m.start(target, fi, desc)
								fresh := &merged{its: runIters(b, p, lo, hi)}
								fresh.start(target, fi, desc)
								if !bytes.Equal(m.key(), fresh.key()) {
									t.Fatalf("round %d prefix %q: forward seek to %x (incl %v, desc %v) gives %x, a fresh seek %x", round, p, target, fi, desc, m.key(), fresh.key())
								}
								for range r.IntN(3) {
									m.next()
								}
							}
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifyFindsRunDrift removes an entry from a statement index's runs,
// then adds one no record implies, and checks that Verify reports each.
func TestVerifyFindsRunDrift(t *testing.T) {
	ctx := context.Background()
	// Every commit writes its entries into the runs, where this test
	// changes them.
	s, sp := storeWithSpeaker(t, Options{IndexLogLimit: 1})
	var st *domain.Statement
	var err error
	for i := range 5 {
		if st, err = s.CreateStatement(ctx, &domain.Statement{Text: fmt.Sprintf("decisive week %d", i), Kind: domain.StatementQuote,
			SpeakerID: sp.ID, SaidOn: domain.MustParsePartialDate("2025-12-01")}); err != nil {
			t.Fatal(err)
		}
	}
	verify := func() []string {
		rep, err := s.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Problems
	}
	if p := verify(); len(p) > 0 {
		t.Fatalf("a sound store: %v", p)
	}
	change := func(prefix []byte, ins, del []byte) {
		err := s.db.Update(func(tx *bolt.Tx) error { return updateRuns(tx.Bucket(bSxWord), prefix, ins, del) })
		if err != nil {
			t.Fatal(err)
		}
	}
	sk := sortKey(st)
	change(wordPrefix("decisive"), nil, sk)
	if p := verify(); len(p) == 0 {
		t.Error("Verify missed an entry missing from sr_word")
	}
	change(wordPrefix("decisive"), sk, nil)
	if p := verify(); len(p) > 0 {
		t.Fatalf("restored: %v", p)
	}
	stray := sortKey(&domain.Statement{ID: 999, SaidOn: st.SaidOn})
	change(wordPrefix("decisive"), stray, nil)
	if p := verify(); len(p) == 0 {
		t.Error("Verify missed a stray entry in sr_word")
	}
	change(wordPrefix("decisive"), nil, stray)
	change(wordPrefix("nowhere"), stray, nil)
	if p := verify(); len(p) == 0 {
		t.Error("Verify missed a stray prefix in sr_word")
	}
}

// runSuffixes returns copies of the sort keys under prefix, ascending,
// read from the runs alone.
func runSuffixes(b *bolt.Bucket, prefix []byte) [][]byte {
	var all []byte
	for _, r := range readDir(b, prefix) {
		all = mergeSorted(all, readRun(b, prefix, r))
	}
	out := make([][]byte, 0, len(all)/sortKeyLen)
	for ; len(all) > 0; all = all[sortKeyLen:] {
		out = append(out, all[:sortKeyLen:sortKeyLen])
	}
	return out
}
