package store

import (
	"bytes"
	"context"
	"fmt"

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
	expected map[string]int   // bucket → number of entries implied
	// runs caches the runs of each statement index prefix (bucket 0x00
	// prefix → packed data): a prefix is looked up once per statement
	// filed under it.
	runs map[string][][]byte
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
		v.expectRun(bucket, prefix, suffix, what)
		return
	}
	v.expect(bucket, cat(prefix, suffix), nil, what)
}

// expectRun checks that a run of prefix in a statement index holds sk.
func (v *verifier) expectRun(bucket, prefix, sk []byte, what string) {
	v.expected[string(bucket)]++
	ck := string(bucket) + "\x00" + string(prefix)
	runs, ok := v.runs[ck]
	if !ok {
		runs = runData(v.t.b(bucket), prefix)
		v.runs[ck] = runs
	}
	for _, r := range runs {
		if _, found := searchRun(r, sk); found {
			return
		}
	}
	v.problem("%s: index %s lacks entry %x under prefix %x", what, bucket, sk, prefix)
}

// runEntriesChecked counts the entries of a statement index and checks
// the shape of its runs: whole sort keys, strictly ascending.
func (v *verifier) runEntriesChecked(bucket []byte) int {
	n := 0
	_ = v.t.b(bucket).ForEach(func(k, d []byte) error {
		switch {
		case len(k) < seqLen:
			v.problem("index %s: key %x is not a run key", bucket, k)
		case len(d) == 0 || len(d)%sortKeyLen != 0:
			v.problem("index %s: run %x holds %d bytes, not a positive multiple of %d", bucket, k, len(d), sortKeyLen)
		default:
			for i := sortKeyLen; i < len(d); i += sortKeyLen {
				if cmpKey(d[i-sortKeyLen:i], d[i:i+sortKeyLen]) >= 0 {
					v.problem("index %s: run %x is not strictly ascending at entry %d", bucket, k, i/sortKeyLen)
					break
				}
			}
		}
		n += len(d) / sortKeyLen
		return nil
	})
	return n
}

func (v *verifier) exists(bucket []byte, id domain.ID) bool {
	return v.t.b(bucket).Get(idKey(id)) != nil
}

// Verify implements domain.Store.
func (s *Store) Verify(ctx context.Context) (*domain.VerifyReport, error) {
	return get(s, ctx, func(t *txn) (*domain.VerifyReport, error) {
		v := &verifier{t: t, expected: map[string]int{}, runs: map[string][][]byte{}}
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
		v.expect(bStmtNat, natKey(s), idKey(s.ID), what)
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
		v.expect(bPosNat, posNatKey(p), idKey(p.ID), what)
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
		}
		got := 0
		if isRunBucket(name) {
			got = v.runEntriesChecked(name)
		} else {
			got = t.b(name).Stats().KeyN
		}
		if want := v.expected[string(name)]; got != want {
			v.problem("index %s has %d entries; the records imply %d", name, got, want)
		}
	}
	return nil
}
