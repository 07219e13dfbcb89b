package store

import (
	"bytes"
	"slices"
	"strings"

	"parley/domain"
)

// stmtQuery is a planned statement query. Every filter that an index
// answers is a dim: the union of some prefixes of one index bucket. Every
// statement index ends in the sort key, so each dim streams in date order,
// narrowed to the date bounds, and the dims are intersected by leapfrogging
// (each dim seeks to the key the others have reached) without reading a
// record. Only what no index holds is checked on the record: stop words
// and quoted phrases.
type stmtQuery struct {
	t      *txn
	dims   []dim // ascending cost; empty means every statement
	lo, hi []byte
	empty  bool // a filter matches nothing (an unknown key, say)

	from    domain.Day // date lower bound when hasFrom
	hasFrom bool
	// words are checked on the record: the stop words among the search
	// words, which have no postings.
	words   []string
	phrases [][]string // each must occur as consecutive tokens
}

// dim is one filter an index answers: the prefixes to union and their
// total entry count, the planner's estimate of its cost; or, for the
// source filter, whose index is not in date order (cites.go), the sort
// keys of its matches, in memory.
type dim struct {
	bucket   []byte
	prefixes [][]byte
	keys     []byte // packed, ascending; when set, bucket and prefixes are nil
	cost     int
}

// planStatements turns a filter into dims and checks.
func (t *txn) planStatements(f domain.StatementFilter) (*stmtQuery, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	q := &stmtQuery{t: t}
	add := func(bucket []byte, prefixes [][]byte) {
		if len(prefixes) == 0 {
			q.empty = true
			return
		}
		cost := 0
		for _, p := range prefixes {
			cost += t.prefixCount(bucket, p)
		}
		q.dims = append(q.dims, dim{bucket: bucket, prefixes: prefixes, cost: cost})
	}

	if len(f.Speakers) > 0 {
		var ps [][]byte
		seen := map[domain.ID]bool{}
		for _, key := range f.Speakers {
			if id := t.lookupID(bSpeakerKey, []byte(key)); id != 0 && !seen[id] {
				seen[id] = true
				ps = append(ps, idKey(id))
			}
		}
		add(bSxSpeaker, ps)
	}
	if len(f.Topics) > 0 {
		var ps [][]byte
		seen := map[domain.ID]bool{}
		for _, key := range f.Topics {
			id := t.lookupID(bTopicKey, []byte(key))
			if id == 0 {
				continue
			}
			for _, sub := range t.subtree(id) {
				if !seen[sub] {
					seen[sub] = true
					ps = append(ps, idKey(sub))
				}
			}
		}
		add(bSxTopic, ps)
	}
	if len(f.Countries) > 0 {
		var ps [][]byte
		seen := map[string]bool{}
		for _, c := range f.Countries {
			// Only a real code: "--" is the index's own key for speakers
			// without a country.
			c = strings.ToUpper(strings.TrimSpace(c))
			if domain.ValidateCountry(c) == nil && !seen[c] {
				seen[c] = true
				ps = append(ps, []byte(c))
			}
		}
		add(bSxCountry, ps)
	}
	if len(f.Kinds) > 0 {
		var ps [][]byte
		seen := map[domain.StatementKind]bool{}
		for _, k := range f.Kinds {
			if !seen[k] {
				seen[k] = true
				ps = append(ps, kindByte(k))
			}
		}
		add(bSxKind, ps)
	}
	if f.Source != "" && !q.empty {
		// Only when another filter has not already emptied the query: the
		// source's matches are read from their records.
		var keys []byte
		if u, err := domain.NormalizeURL(f.Source); err == nil {
			if id := t.lookupID(bSourceURL, []byte(u)); id != 0 {
				var err error
				if keys, err = t.citedKeys(id); err != nil {
					return nil, err
				}
			}
		}
		if len(keys) == 0 {
			q.empty = true
		} else {
			q.dims = append(q.dims, dim{keys: keys, cost: len(keys) / sortKeyLen})
		}
	}
	if strings.TrimSpace(f.Search) != "" {
		words, phrases := domain.ParseSearch(f.Search)
		if len(words) == 0 {
			return nil, domain.FieldErrorf([]string{"search"}, "has no words to search for")
		}
		q.phrases = phrases
		for _, w := range words {
			if indexable(w) {
				add(bSxWord, [][]byte{wordPrefix(w)})
			} else {
				// Stop words and overlong tokens have no postings.
				q.words = append(q.words, w)
			}
		}
	}

	if !f.SaidFrom.IsZero() {
		q.from, q.hasFrom = f.SaidFrom.Start(), true
		q.lo = dayBound(f.SaidFrom.Start() - domain.Day(t.maxWidth()))
	}
	if !f.SaidTo.IsZero() {
		q.hi = dayUpper(f.SaidTo.End())
		if q.lo == nil {
			// Unknown dates (all-zero keys) never match a date bound.
			q.lo = dayBound(domain.Day(-1<<31 + 1))
		}
	}
	// The cheapest dim leads the leapfrog: it proposes the fewest keys.
	slices.SortStableFunc(q.dims, func(a, b dim) int { return a.cost - b.cost })
	return q, nil
}

// match checks a candidate the dims agreed on: the date bound the index
// range cannot express, on the key; then what no index holds, on the
// record.
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
	if len(q.phrases) == 0 {
		if len(q.words) > 0 && !domain.HasWords(s.Text, q.words) {
			return nil, false, nil
		}
	} else {
		toks := domain.Tokens(s.Text)
		for _, w := range q.words {
			if !slices.Contains(toks, w) {
				return nil, false, nil
			}
		}
		for _, ph := range q.phrases {
			if !domain.HasPhrase(toks, ph) {
				return nil, false, nil
			}
		}
	}
	return s, true, nil
}

// keys returns the query's candidate keys as a source in date order.
func (q *stmtQuery) keys() source {
	if q.empty {
		return &merged{}
	}
	if len(q.dims) == 0 {
		return &merged{its: q.t.runIters(bSxAll, nil, q.lo, q.hi)}
	}
	parts := make([]*merged, len(q.dims))
	for i, d := range q.dims {
		m := &merged{}
		if d.keys != nil {
			m.its = []*iter{{mem: d.keys, lo: q.lo, hi: q.hi}}
		}
		for _, p := range d.prefixes {
			m.its = append(m.its, q.t.runIters(d.bucket, p, q.lo, q.hi)...)
		}
		parts[i] = m
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return &intersect{parts: parts}
}

// dateList is the query's result in date order.
func (q *stmtQuery) dateList(desc bool) *list[*domain.Statement] {
	return &list[*domain.Statement]{src: q.keys(), desc: desc, load: func(k, _ []byte) (*domain.Statement, bool, error) {
		return q.match(k)
	}}
}

// unfiltered reports whether the query selects every statement.
func (q *stmtQuery) unfiltered() bool {
	return !q.empty && len(q.dims) == 0 && q.lo == nil && q.hi == nil && len(q.words) == 0 && len(q.phrases) == 0
}

// counted reports whether one index prefix holds exactly the matches, so
// that the sum of its runs' lengths is the count.
func (q *stmtQuery) counted() (bucket, prefix []byte, ok bool) {
	if q.empty || q.lo != nil || q.hi != nil || len(q.words) > 0 || len(q.phrases) > 0 {
		return nil, nil, false
	}
	switch {
	case len(q.dims) == 0:
		return bSxAll, nil, true
	case len(q.dims) == 1 && q.dims[0].keys != nil:
		return nil, nil, false // walked: a source's few matches
	case len(q.dims) == 1 && len(q.dims[0].prefixes) == 1:
		return q.dims[0].bucket, q.dims[0].prefixes[0], true
	}
	return nil, nil, false
}

// intersect is the leapfrog join of several sources over the same keys:
// it yields the keys all of them hold, in their common order, seeking each
// source to the furthest key any has reached instead of stepping through
// the keys in between.
type intersect struct {
	parts []*merged
	desc  bool
	cur   []byte
}

func (x *intersect) start(from []byte, inclusive, desc bool) {
	x.desc = desc
	for _, p := range x.parts[1:] {
		// A part keeps its position between seeks, but not into a new
		// scan, which may run the other way.
		p.begun = false
	}
	x.parts[0].start(from, inclusive, desc)
	x.align()
}

// beyond reports whether a lies strictly after b in iteration order.
func (x *intersect) beyond(a, b []byte) bool {
	c := compareKeys(a, b)
	if x.desc {
		c = -c
	}
	return c > 0
}

func (x *intersect) align() {
	lead := x.parts[0]
	for {
		k := lead.cur
		if k == nil {
			x.cur = nil
			return
		}
		agreed := true
		for _, p := range x.parts[1:] {
			if p.cur == nil || x.beyond(k, p.cur) || !p.started() {
				p.start(k, true, x.desc)
			}
			if p.cur == nil {
				x.cur = nil
				return
			}
			if !bytes.Equal(p.cur, k) {
				lead.start(p.cur, true, x.desc)
				agreed = false
				break
			}
		}
		if agreed {
			x.cur = k
			return
		}
	}
}

func (x *intersect) next() {
	x.parts[0].next()
	x.align()
}

func (x *intersect) key() []byte   { return x.cur }
func (x *intersect) value() []byte { return nil }
