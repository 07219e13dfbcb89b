package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"parley/domain"
)

// maxProblems bounds a Verify report; past it only the total is counted.
const maxProblems = 100

// verifier checks, record by record, that every index entry the record
// implies exists, then that each index holds no more entries than the
// records imply. Checking presence plus count finds both missing and stray
// entries in constant memory per bucket, which matters at a million
// statements.
type verifier struct {
	t        *txn
	report   domain.VerifyReport
	extra    int
	expected map[string]int // bucket → number of entries implied
	// implied tallies the entries the records imply under each prefix of
	// an index kept as runs (bucket 0x00 prefix): checked against the
	// runs in one walk at the end, not by a lookup per entry.
	implied map[string]*tally
}

func (v *verifier) problem(format string, args ...any) {
	if len(v.report.Problems) < maxProblems {
		v.report.Problems = append(v.report.Problems, fmt.Sprintf(format, args...))
	} else {
		v.extra++
	}
}

// expect checks that key exists in bucket (with value, when not nil).
func (v *verifier) expect(bucket, key, value []byte, what string) {
	v.expected[string(bucket)]++
	got := v.t.b(bucket).Get(key)
	switch {
	case got == nil && !v.has(bucket, key):
		v.problem("%s: index %s lacks entry %x", what, bucket, key)
	case value != nil && !bytes.Equal(got, value):
		v.problem("%s: index %s entry %x holds %x, want %x", what, bucket, key, got, value)
	}
}

// has distinguishes a missing key from one stored with an empty value.
func (v *verifier) has(bucket, key []byte) bool {
	k, _ := v.t.b(bucket).Cursor().Seek(key)
	return bytes.Equal(k, key)
}

func (v *verifier) expectIx(bucket, prefix, suffix []byte, what string) {
	if isRunBucket(bucket) {
		v.expectRun(bucket, prefix, suffix)
		return
	}
	v.expect(bucket, cat(prefix, suffix), nil, what)
}

// tally is a count of entries and the sum of their hashes: two sets of
// sort keys with equal tallies are equal but with negligible probability,
// and a tally costs constant memory per prefix.
type tally struct {
	n   int
	sum uint64
}

func (t *tally) add(sk []byte) {
	t.n++
	t.sum += keyHash(sk)
}

// remove takes an entry out of the tally: the overlay's removals.
func (t *tally) remove(sk []byte) {
	t.n--
	t.sum -= keyHash(sk)
}

func keyHash(sk []byte) uint64 {
	return mix64(binary.BigEndian.Uint64(sk)) ^ mix64(binary.BigEndian.Uint64(sk[8:])+0x9e3779b97f4a7c15)
}

// checkLog checks that the index log rebuilds the overlay the store
// serves from.
func (v *verifier) checkLog() {
	logged, err := loadOverlay(v.t.tx)
	if err != nil {
		v.problem("index log: %v", err)
		return
	}
	served := v.t.overlay()
	for i, name := range deferred {
		for _, pair := range [][2]*overlay{{served, logged}, {logged, served}} {
			_ = pair[0].each(i, func(p string, d *runDelta) error {
				other := pair[1].get(i, []byte(p))
				if other == nil || !bytes.Equal(d.added(), other.added()) || !bytes.Equal(d.del, other.del) {
					v.problem("index %s prefix %x: the index log and the overlay in memory disagree", name, p)
				}
				return nil
			})
		}
	}
}

// mix64 is SplitMix64's finalizer.
func mix64(x uint64) uint64 {
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// expectRun tallies an entry the records imply in an index kept as runs.
func (v *verifier) expectRun(bucket, prefix, sk []byte) {
	v.expected[string(bucket)]++
	k := string(bucket) + "\x00" + string(prefix)
	t := v.implied[k]
	if t == nil {
		t = &tally{}
		v.implied[k] = t
	}
	t.add(sk)
}

// checkRuns compares an index kept as runs with what the records imply:
// per prefix the entries (by tally), the directory's counts and the shape
// of every run (whole blocks, strictly ascending, keyed by their first
// entry); then that the bucket holds no keys beyond those prefixes'.
func (v *verifier) checkRuns(bucket []byte) {
	b := v.t.b(bucket)
	var prefixes []string
	for k := range v.implied {
		if len(k) > len(bucket) && k[:len(bucket)] == string(bucket) && k[len(bucket)] == 0 {
			prefixes = append(prefixes, k[len(bucket)+1:])
		}
	}
	ix := deferredIndex(bucket)
	if ix >= 0 {
		// A prefix no record implies any more may still have runs whose
		// entries the overlay removed.
		_ = v.t.overlay().each(ix, func(p string, _ *runDelta) error {
			if v.implied[string(bucket)+"\x00"+p] == nil {
				prefixes = append(prefixes, p)
			}
			return nil
		})
	}
	slices.Sort(prefixes)
	keys, entries := 0, 0
	for _, p := range prefixes {
		prefix := []byte(p)
		want := v.implied[string(bucket)+"\x00"+p]
		if want == nil {
			want = &tally{}
		}
		var got tally
		if b.Get(dirKey(prefix)) != nil {
			keys++
		}
		var last uint64
		for _, r := range readDir(b, prefix) {
			if r.seq <= last || r.n <= 0 {
				v.problem("index %s prefix %x: directory lists run %d with %d entries out of order", bucket, prefix, r.seq, r.n)
			}
			last = r.seq
			rk := runKey(prefix, r.seq)
			var prev []byte
			n := 0
			c := b.Cursor()
			for k, d := c.Seek(rk); k != nil && bytes.HasPrefix(k, rk); k, d = c.Next() {
				if !inRun(k, rk) {
					continue
				}
				keys++
				if len(d) == 0 || len(d)%sortKeyLen != 0 || len(d) > blockMax*sortKeyLen || !bytes.Equal(k[len(rk):], d[:min(len(d), sortKeyLen)]) {
					v.problem("index %s prefix %x run %d: block %x is malformed (%d bytes)", bucket, prefix, r.seq, k, len(d))
					continue
				}
				for ; len(d) > 0; d = d[sortKeyLen:] {
					if prev != nil && cmpKey(prev, d) >= 0 {
						v.problem("index %s prefix %x run %d: entries out of order at %x", bucket, prefix, r.seq, d[:sortKeyLen])
					}
					prev = d[:sortKeyLen]
					got.add(prev)
					n++
				}
			}
			if n != r.n {
				v.problem("index %s prefix %x run %d: the directory says %d entries, the blocks hold %d", bucket, prefix, r.seq, r.n, n)
			}
		}
		if ix >= 0 {
			if d := v.t.overlay().get(ix, prefix); d != nil {
				for k := d.added(); len(k) > 0; k = k[sortKeyLen:] {
					got.add(k)
				}
				for k := d.del; len(k) > 0; k = k[sortKeyLen:] {
					got.remove(k)
				}
			}
		}
		entries += got.n
		if got != *want {
			v.problem("index %s prefix %x: %d entries disagree with the %d the records imply", bucket, prefix, got.n, want.n)
		}
	}
	if n := b.Stats().KeyN; n != keys {
		v.problem("index %s has %d keys beyond those of the prefixes the records imply", bucket, n-keys)
	}
	if want := v.expected[string(bucket)]; entries != want {
		v.problem("index %s has %d entries; the records imply %d", bucket, entries, want)
	}
}

func (v *verifier) exists(bucket []byte, id domain.ID) bool {
	return v.t.b(bucket).Get(idKey(id)) != nil
}

// Verify implements domain.Store.
func (s *Store) Verify(ctx context.Context) (*domain.VerifyReport, error) {
	return get(s, ctx, func(t *txn) (*domain.VerifyReport, error) {
		v := &verifier{t: t, expected: map[string]int{}, implied: map[string]*tally{}}
		if err := v.run(); err != nil {
			return nil, err
		}
		if v.extra > 0 {
			v.report.Problems = append(v.report.Problems, fmt.Sprintf("... and %d more problems", v.extra))
		}
		return &v.report, nil
	})
}

func (v *verifier) run() error {
	t := v.t
	countries := map[domain.ID]string{}
	err := t.b(bSpeakers).ForEach(func(k, raw []byte) error {
		v.report.Records++
		s, err := decodeSpeaker(getID(k), raw)
		if err != nil {
			return err
		}
		countries[s.ID] = s.Country
		what := fmt.Sprintf("speaker %d", s.ID)
		for _, e := range t.speakerIndexEntries(s) {
			v.expect(e[0], e[1], e[2], what)
		}
		for _, org := range roleOrgs(s) {
			if !v.exists(bSpeakers, org) {
				v.problem("%s: role organization %d does not exist", what, org)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = t.b(bTopics).ForEach(func(k, raw []byte) error {
		v.report.Records++
		tp, err := decodeTopic(getID(k), raw)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("topic %d", tp.ID)
		v.expect(bTopicKey, []byte(tp.Key), idKey(tp.ID), what)
		if tp.ParentID != 0 {
			v.expect(bTopicChild, cat(idKey(tp.ParentID), idKey(tp.ID)), nil, what)
			if !v.exists(bTopics, tp.ParentID) {
				v.problem("%s: parent %d does not exist", what, tp.ParentID)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = t.b(bSources).ForEach(func(k, raw []byte) error {
		v.report.Records++
		src, err := decodeSource(getID(k), raw)
		if err != nil {
			return err
		}
		v.expect(bSourceURL, []byte(src.URL), idKey(src.ID), fmt.Sprintf("source %d", src.ID))
		return nil
	})
	if err != nil {
		return err
	}
	var widest int32
	err = t.b(bStatements).ForEach(func(k, raw []byte) error {
		v.report.Records++
		s, err := decodeStatement(getID(k), raw)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("statement %d", s.ID)
		country, ok := countries[s.SpeakerID]
		if !ok {
			v.problem("%s: speaker %d does not exist", what, s.SpeakerID)
		}
		for _, id := range s.TopicIDs {
			if !v.exists(bTopics, id) {
				v.problem("%s: topic %d does not exist", what, id)
			}
		}
		for _, id := range s.SourceIDs {
			if !v.exists(bSources, id) {
				v.problem("%s: source %d does not exist", what, id)
			}
		}
		sk := sortKey(s)
		for _, e := range statementIndex(s, country) {
			v.expectIx(e[0], e[1], sk, what)
		}
		if s.ExternalID != "" {
			v.expect(bStmtExt, []byte(s.ExternalID), idKey(s.ID), what)
		}
		for _, src := range s.SourceIDs {
			v.expectIx(bSxCites, nil, citeEntry(src, s.ID), what)
		}
		v.expectIx(bSxNat, nil, natEntry(natKey(s), s.ID), what)
		if !s.SaidOn.IsZero() {
			widest = max(widest, s.SaidOn.Width())
		}
		return nil
	})
	if err != nil {
		return err
	}
	if widest > t.maxWidth() {
		v.problem("meta: max date width %d is below the widest stored date (%d days)", t.maxWidth(), widest)
	}
	err = t.b(bPositions).ForEach(func(k, raw []byte) error {
		v.report.Records++
		p, err := decodePosition(getID(k), raw)
		if err != nil {
			return err
		}
		what := fmt.Sprintf("position %d", p.ID)
		if !v.exists(bSpeakers, p.SpeakerID) {
			v.problem("%s: speaker %d does not exist", what, p.SpeakerID)
		}
		if !v.exists(bTopics, p.TopicID) {
			v.problem("%s: topic %d does not exist", what, p.TopicID)
		}
		for _, id := range p.EvidenceIDs {
			if !v.exists(bStatements, id) {
				v.problem("%s: evidence statement %d does not exist", what, id)
			}
		}
		for _, e := range positionIndex(p) {
			v.expectIx(e[0], e[1], e[2], what)
		}
		v.expectIx(bPxNat, nil, natEntry(posNatKey(p), p.ID), what)
		return nil
	})
	if err != nil {
		return err
	}
	// Stray entries: an index with more entries than its records imply.
	for _, name := range allBuckets {
		switch string(name) {
		case string(bMeta), string(bSpeakers), string(bTopics), string(bSources), string(bStatements), string(bPositions):
			continue
		case string(bIxLog):
			v.checkLog()
			continue
		}
		if isRunBucket(name) {
			v.checkRuns(name)
			continue
		}
		if got, want := t.b(name).Stats().KeyN, v.expected[string(name)]; got != want {
			v.problem("index %s has %d entries; the records imply %d", name, got, want)
		}
	}
	v.checkNaturalKeysUnique()
	return nil
}

// checkNaturalKeysUnique reports records that share a natural key. The
// natural-key indexes hold hash · id, so two statements with one natural
// key are two entries, which the tallies accept: entries of one hash are
// compared by their records, in one merged walk of each index.
func (v *verifier) checkNaturalKeysUnique() {
	t := v.t
	sameStatement := func(a, b domain.ID) (bool, error) {
		x, err := t.Statement(a)
		if err != nil {
			return false, err
		}
		y, err := t.Statement(b)
		if err != nil {
			return false, err
		}
		return bytes.Equal(natKey(x), natKey(y)), nil
	}
	samePosition := func(a, b domain.ID) (bool, error) {
		var ps [2]*domain.Position
		for i, id := range []domain.ID{a, b} {
			p, err := decodePosition(id, t.b(bPositions).Get(idKey(id)))
			if err != nil {
				return false, err
			}
			ps[i] = p
		}
		return ps[0].SpeakerID == ps[1].SpeakerID && ps[0].TopicID == ps[1].TopicID && ps[0].AsOf.String() == ps[1].AsOf.String(), nil
	}
	for _, ix := range []struct {
		bucket []byte
		what   string
		same   func(a, b domain.ID) (bool, error)
	}{{bSxNat, "statements %d and %d have the same speaker, text and date", sameStatement},
		{bPxNat, "positions %d and %d hold the same speaker's stance on the same topic as of the same date", samePosition}} {
		var h uint64
		var group []domain.ID // the ids of the entries of hash h so far
		m := &merged{its: t.runIters(ix.bucket, nil, nil, nil)}
		for m.start(nil, true, false); m.key() != nil; m.next() {
			k := m.key()
			id := getID(k[8:])
			if kh := binary.BigEndian.Uint64(k); len(group) == 0 || kh != h {
				h, group = kh, append(group[:0], id)
				continue
			}
			for _, other := range group {
				same, err := ix.same(other, id)
				if err != nil {
					// A missing record: the tallies have reported it.
					continue
				}
				if same {
					v.problem(ix.what, other, id)
				}
			}
			group = append(group, id)
		}
	}
}
