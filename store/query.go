package store

import (
	"bytes"
	"slices"
	"strings"

	"parley/domain"
)

// stmtQuery is a planned statement query: the index that drives it (the
// union of some prefixes of one bucket, restricted to a range of sort keys
// by the date bounds) and the checks for the filters that index does not
// answer, made on each candidate.
type stmtQuery struct {
	t      *txn
	bucket []byte
	prefix [][]byte
	lo, hi []byte
	empty  bool // a filter matches nothing (an unknown key)

	from     domain.Day // date lower bound when hasFrom
	hasFrom  bool
	hasTo    bool
	speakers map[domain.ID]bool
	topics   map[domain.ID]bool
	kinds    map[domain.StatementKind]bool
	sourceID domain.ID
	words    []string   // every token must occur
	phrases  [][]string // each phrase must occur as consecutive tokens
	// countries is checked through the speaker, cached per query.
	countries    map[string]bool
	countryCache map[domain.ID]string
	needRecord   bool
}

// dim is one filter that an index can answer: the prefixes to union and
// their total entry count, the planner's estimate of its cost.
type dim struct {
	bucket   []byte
	prefixes [][]byte
	cost     int
	name     string
}

// planStatements chooses the cheapest index for f: the filter whose
// prefixes hold the fewest entries drives the scan; the date bounds narrow
// every index (its keys end in the sort key); the rest are checked.
func (t *txn) planStatements(f domain.StatementFilter) (*stmtQuery, error) {
	q := &stmtQuery{t: t}
	var dims []dim
	add := func(name string, bucket []byte, prefixes [][]byte) {
		cost := 0
		for _, p := range prefixes {
			cost += t.prefixCount(bucket, p)
		}
		dims = append(dims, dim{bucket, prefixes, cost, name})
	}

	if len(f.Speakers) > 0 {
		q.speakers = map[domain.ID]bool{}
		var ps [][]byte
		for _, key := range f.Speakers {
			if id := t.lookupID(bSpeakerKey, []byte(key)); id != 0 && !q.speakers[id] {
				q.speakers[id] = true
				ps = append(ps, idKey(id))
			}
		}
		add("speakers", bSxSpeaker, ps)
	}
	if len(f.Topics) > 0 {
		q.topics = map[domain.ID]bool{}
		var ps [][]byte
		for _, key := range f.Topics {
			id := t.lookupID(bTopicKey, []byte(key))
			if id == 0 {
				continue
			}
			for _, sub := range t.subtree(id) {
				if !q.topics[sub] {
					q.topics[sub] = true
					ps = append(ps, idKey(sub))
				}
			}
		}
		add("topics", bSxTopic, ps)
	}
	if len(f.Countries) > 0 {
		q.countries = map[string]bool{}
		q.countryCache = map[domain.ID]string{}
		var ps [][]byte
		for _, c := range f.Countries {
			c = strings.ToUpper(strings.TrimSpace(c))
			if len(c) == 2 && !q.countries[c] {
				q.countries[c] = true
				ps = append(ps, []byte(c))
			}
		}
		add("countries", bSxCountry, ps)
	}
	if len(f.Kinds) > 0 {
		q.kinds = map[domain.StatementKind]bool{}
		var ps [][]byte
		for _, k := range f.Kinds {
			if !k.Valid() {
				return nil, domain.FieldErrorf([]string{"kinds"}, "%q is not one of QUOTE, PARAPHRASE", k)
			}
			if !q.kinds[k] {
				q.kinds[k] = true
				ps = append(ps, kindByte(k))
			}
		}
		add("kinds", bSxKind, ps)
	}
	if f.Source != "" {
		var ps [][]byte
		if u, err := domain.NormalizeURL(f.Source); err == nil {
			if id := t.lookupID(bSourceURL, []byte(u)); id != 0 {
				q.sourceID = id
				ps = append(ps, idKey(id))
			}
		}
		add("source", bSxSource, ps)
	}
	if strings.TrimSpace(f.Search) != "" {
		words, phrases := parseSearch(f.Search)
		if len(words) == 0 {
			return nil, domain.FieldErrorf([]string{"search"}, "has no words to search for")
		}
		q.words, q.phrases = words, phrases
		for _, w := range words {
			// Stop words and overlong tokens are not indexed; they
			// are checked on the candidates of the other filters.
			if indexable(w) {
				add("word "+w, bSxWord, [][]byte{wordPrefix(w)})
			}
		}
	}
	for _, d := range dims {
		if len(d.prefixes) == 0 {
			q.empty = true
		}
	}

	if !f.SaidFrom.IsZero() {
		q.from, q.hasFrom = f.SaidFrom.Start(), true
		q.lo = dayBound(f.SaidFrom.Start() - domain.Day(t.maxWidth()))
	}
	if !f.SaidTo.IsZero() {
		q.hasTo = true
		q.hi = dayUpper(f.SaidTo.End())
		if q.lo == nil {
			// Unknown dates (all-zero keys) never match a date bound.
			q.lo = dayBound(domain.Day(-1<<31 + 1))
		}
	}
	if q.hasFrom && q.hasTo && f.SaidTo.End() < f.SaidFrom.Start() {
		q.empty = true
	}

	q.bucket, q.prefix = bSxAll, [][]byte{nil}
	if len(dims) > 0 {
		best := slices.MinFunc(dims, func(a, b dim) int { return a.cost - b.cost })
		q.bucket, q.prefix = best.bucket, best.prefixes
		// The driving filter needs no check; drop it.
		switch {
		case best.name == "speakers":
			q.speakers = nil
		case best.name == "topics":
			q.topics = nil
		case best.name == "countries":
			q.countries = nil
		case best.name == "kinds":
			q.kinds = nil
		case best.name == "source":
			q.sourceID = 0
		case strings.HasPrefix(best.name, "word "):
			// A single-word search is answered by its index alone.
			if len(q.words) == 1 && len(q.phrases) == 0 {
				q.words = nil
			}
		}
	}
	q.needRecord = q.speakers != nil || q.topics != nil || q.countries != nil || q.kinds != nil ||
		q.sourceID != 0 || len(q.words) > 0 || len(q.phrases) > 0
	return q, nil
}

// parseSearch splits a search into the tokens that must all occur and the
// quoted phrases whose tokens must occur in sequence.
func parseSearch(s string) (words []string, phrases [][]string) {
	parts := strings.Split(s, `"`)
	for i, part := range parts {
		toks := domain.Tokens(part)
		if i%2 == 1 && len(toks) > 1 {
			phrases = append(phrases, toks)
		}
		for _, tok := range toks {
			if !slices.Contains(words, tok) {
				words = append(words, tok)
			}
		}
	}
	return words, phrases
}

func containsSeq(toks, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(toks); i++ {
		if slices.Equal(toks[i:i+len(phrase)], phrase) {
			return true
		}
	}
	return false
}

// match checks a candidate: its sort key against the date bound the index
// range cannot express, then the record against the other filters.
func (q *stmtQuery) match(sk []byte) (*domain.Statement, bool, error) {
	if q.hasFrom {
		end, ok := endDay(sk)
		if !ok || end < q.from {
			return nil, false, nil
		}
	}
	s, err := q.t.Statement(getID(sk[dateKeyLen:]))
	if err != nil {
		return nil, false, err
	}
	if !q.needRecord {
		return s, true, nil
	}
	if q.speakers != nil && !q.speakers[s.SpeakerID] {
		return nil, false, nil
	}
	if q.kinds != nil && !q.kinds[s.Kind] {
		return nil, false, nil
	}
	if q.sourceID != 0 && !slices.Contains(s.SourceIDs, q.sourceID) {
		return nil, false, nil
	}
	if q.topics != nil && !slices.ContainsFunc(s.TopicIDs, func(id domain.ID) bool { return q.topics[id] }) {
		return nil, false, nil
	}
	if q.countries != nil {
		c, ok := q.countryCache[s.SpeakerID]
		if !ok {
			sp, err := q.t.Speaker(s.SpeakerID)
			if err != nil {
				return nil, false, err
			}
			c = sp.Country
			q.countryCache[s.SpeakerID] = c
		}
		if !q.countries[c] {
			return nil, false, nil
		}
	}
	if len(q.words) > 0 || len(q.phrases) > 0 {
		toks := domain.Tokens(s.Text)
		for _, w := range q.words {
			if !slices.Contains(toks, w) {
				return nil, false, nil
			}
		}
		for _, ph := range q.phrases {
			if !containsSeq(toks, ph) {
				return nil, false, nil
			}
		}
	}
	return s, true, nil
}

// dateList is the query's result in date order.
func (q *stmtQuery) dateList(desc bool) *list[*domain.Statement] {
	m := &merged{}
	if !q.empty {
		for _, p := range q.prefix {
			m.its = append(m.its, newIter(q.t.b(q.bucket), p, q.lo, q.hi))
		}
	}
	return &list[*domain.Statement]{src: m, desc: desc, load: func(k, _ []byte) (*domain.Statement, bool, error) {
		return q.match(k)
	}}
}

// unfiltered reports whether the query selects every statement.
func (q *stmtQuery) unfiltered() bool {
	return !q.empty && q.lo == nil && q.hi == nil && bytes.Equal(q.bucket, bSxAll) && !q.needRecord
}
