package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"parley/domain"
)

// The natural-key indexes of statements (sr_nat) and positions (pr_nat)
// answer "is there another statement by this speaker with this text on
// this date?" and "does this speaker already hold a stance on this topic
// as of this date?", which every write asks and the importer's upserts
// use. Their keys are hashes, or as good as random, so entries land at
// random places in the index.
//
// Schema 3 kept them as one bbolt key per record (sha256 → id). At a
// million statements nearly every new key landed on a leaf page of its
// own, and bbolt rewrites each page a transaction touches: a batch of
// 1,000 new statements dirtied about 1,300 pages of those indexes alone,
// 6 MB of the 30 it wrote.
//
// Since schema 4 they are kept as runs (runs.go) of 16-byte entries: the
// first 8 bytes of a sha256, then the id. A batch's entries become one
// sorted run, written together; a lookup seeks each run (a handful) to
// the hash, and a candidate is confirmed by its record, so two natural
// keys that share 64 bits of hash are still told apart. Verify compares
// the records of entries that share a hash, which the runs' tallies
// alone would accept.

// natKey is the sha256 of a statement's natural key: speaker, normalized
// text and date.
func natKey(s *domain.Statement) []byte {
	h := sha256.Sum256([]byte(s.NaturalKey()))
	return h[:]
}

// natEntry is the natural-key index entry of record id, whose natural
// key hashes to nk.
func natEntry(nk []byte, id domain.ID) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, sortKeyLen), nk[:8]...), uint64(id))
}

// natCandidates returns the ids of the entries of the runs bucket whose
// first 8 bytes are h: those of the runs on disk, with this transaction's
// staged changes to the bucket applied. The staged changes are read in
// place, not flushed: an import looks up every record it writes, and a
// flush per lookup would rewrite the runs of every index once per record.
//
// It seeks each run with one cursor, without merged's iterators: an
// import asks twice per record (planning, then the write's own check).
func (t *txn) natCandidates(bucket []byte, h uint64) []domain.ID {
	if f := t.natf.of(bucket); f != nil && !f.mayHave(h) {
		return nil // in no run and not staged (natfilter.go)
	}
	var ids []domain.ID
	target := keyOp{hi: h}.appendKey(make([]byte, 0, sortKeyLen))
	c := t.b(bucket).Cursor()
	for _, r := range t.natRuns(bucket) {
		rk := runKey(nil, r.seq)
		_, v := blockFor(c, rk, target)
		if v == nil { // the run starts after the target
			var k []byte
			if k, v = c.Seek(rk); !inRun(k, rk) {
				continue
			}
		}
		i, _ := searchRun(v, target)
	entries:
		for {
			for ; i < len(v)/sortKeyLen; i++ {
				e := v[i*sortKeyLen:]
				if binary.BigEndian.Uint64(e) != h {
					break entries
				}
				ids = append(ids, getID(e[8:sortKeyLen]))
			}
			// The hash's entries may go on in the run's next block.
			k, next := c.Next()
			if !inRun(k, rk) {
				break
			}
			v, i = next, 0
		}
	}
	ops := t.pending[string(bucket)][""]
	if ops == nil {
		return ids
	}
	var net map[domain.ID]int // made only when a staged change has the hash
	for _, o := range *ops {
		if o.hi == h {
			if net == nil {
				net = map[domain.ID]int{}
			}
			net[domain.ID(o.lo)] += int(o.d)
		}
	}
	for id, d := range net {
		switch {
		case d < 0:
			for i, c := range ids {
				if c == id {
					ids = append(ids[:i], ids[i+1:]...)
					break
				}
			}
		case d > 0:
			ids = append(ids, id)
		}
	}
	return ids
}

// natRuns is the directory of a natural-key index, read once per
// transaction until its staged changes are applied.
func (t *txn) natRuns(bucket []byte) []runInfo {
	if runs, ok := t.natDirs[string(bucket)]; ok {
		return runs
	}
	runs := readDir(t.b(bucket), nil)
	if t.natDirs == nil {
		t.natDirs = map[string][]runInfo{}
	}
	t.natDirs[string(bucket)] = runs
	return runs
}

// statementWithNatKey returns the id of a statement other than self whose
// natural key is nk, or 0.
func (t *txn) statementWithNatKey(nk []byte, self domain.ID) (domain.ID, error) {
	for _, id := range t.natCandidates(bSxNat, binary.BigEndian.Uint64(nk)) {
		if id == self {
			continue
		}
		s, err := t.Statement(id)
		if domain.ErrorCode(err) == domain.CodeNotFound {
			return 0, fmt.Errorf("the natural-key index names missing statement %d", id)
		}
		if err != nil {
			return 0, err
		}
		if bytes.Equal(natKey(s), nk) {
			return id, nil
		}
	}
	return 0, nil
}

// posNatKey is the sha256 of a position's natural key: speaker, topic and
// asOf.
func posNatKey(p *domain.Position) []byte {
	h := sha256.Sum256(cat(idKey(p.SpeakerID), idKey(p.TopicID), []byte(p.AsOf.String())))
	return h[:]
}

// positionWithNatKey returns the id of a position other than p.ID with
// p's speaker, topic and asOf, or 0.
func (t *txn) positionWithNatKey(p *domain.Position) (domain.ID, error) {
	asOf := p.AsOf.String()
	for _, id := range t.natCandidates(bPxNat, binary.BigEndian.Uint64(posNatKey(p))) {
		if id == p.ID {
			continue
		}
		v := t.b(bPositions).Get(idKey(id))
		if v == nil {
			return 0, fmt.Errorf("the natural-key index names missing position %d", id)
		}
		c, err := decodePosition(id, v)
		if err != nil {
			return 0, err
		}
		if c.SpeakerID == p.SpeakerID && c.TopicID == p.TopicID && c.AsOf.String() == asOf {
			return id, nil
		}
	}
	return 0, nil
}
