package store

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// iter walks the keys under one prefix of a bucket in one direction and
// yields their suffixes, optionally restricted to the inclusive suffix
// range [lo, hi]. An iter over a run (isRun) walks the entries of one run
// of an index kept as runs (runs.go) instead: prefix is the run's key
// prefix, and it steps through the entries of each block.
type iter struct {
	c        *bolt.Cursor
	prefix   []byte
	lo, hi   []byte // nil: open
	desc     bool
	cur      []byte // current suffix; nil when exhausted
	curValue []byte

	isRun bool
	block []byte // the current block's entries
	bi    int    // index of cur in block

	// mem, when set, makes the iter walk these packed sort keys (an
	// overlay's additions to a prefix) as a run of one block in memory.
	mem []byte
	// skip lists packed, ascending sort keys the iter passes over: the
	// entries of a run that the overlay removed.
	skip []byte
}

func newIter(b *bolt.Bucket, prefix, lo, hi []byte) *iter {
	return &iter{c: b.Cursor(), prefix: prefix, lo: lo, hi: hi}
}

// start positions the iterator at the first suffix after from in its
// direction (at from itself when inclusive); from nil means the beginning.
func (it *iter) start(from []byte, inclusive, desc bool) {
	it.startAny(from, inclusive, desc)
	it.skipRemoved()
}

func (it *iter) startAny(from []byte, inclusive, desc bool) {
	it.desc = desc
	if it.mem != nil {
		it.startMem(from, inclusive)
		return
	}
	if it.isRun {
		it.startRun(from, inclusive)
		return
	}
	if !desc {
		target, incl := it.lo, true
		if from != nil && (it.lo == nil || bytes.Compare(from, it.lo) >= 0) {
			target, incl = from, inclusive
		}
		k, v := it.c.Seek(cat(it.prefix, target))
		if k != nil && !incl && bytes.Equal(k[min(len(k), len(it.prefix)):], target) && bytes.HasPrefix(k, it.prefix) {
			k, v = it.c.Next()
		}
		it.set(k, v)
		return
	}
	target, incl := it.hi, true
	if from != nil && (it.hi == nil || bytes.Compare(from, it.hi) <= 0) {
		target, incl = from, inclusive
	}
	var k, v []byte
	if target == nil {
		if next := successor(it.prefix); next != nil {
			k, _ = it.c.Seek(next)
			if k == nil {
				k, v = it.c.Last()
			} else {
				k, v = it.c.Prev()
			}
		} else {
			k, v = it.c.Last()
		}
	} else {
		full := cat(it.prefix, target)
		k, v = it.c.Seek(full)
		switch {
		case k == nil:
			k, v = it.c.Last()
		case !(incl && bytes.Equal(k, full)):
			k, v = it.c.Prev()
		}
	}
	it.set(k, v)
}

// startMem is start for an iter over entries in memory.
func (it *iter) startMem(from []byte, inclusive bool) {
	target, incl := it.lo, true
	if it.desc {
		target = it.hi
	}
	if from != nil && (target == nil || !it.desc && compareKeys(from, target) >= 0 || it.desc && compareKeys(from, target) <= 0) {
		target, incl = from, inclusive
	}
	if target == nil {
		if it.desc {
			it.setBlock(it.mem, len(it.mem)/sortKeyLen-1)
		} else {
			it.setBlock(it.mem, 0)
		}
		return
	}
	i, found := searchRun(it.mem, target)
	switch {
	case !it.desc && found && !incl:
		i++
	case it.desc && !(found && incl):
		i--
	}
	it.setBlock(it.mem, i)
}

// skipRemoved steps past the entries in skip.
func (it *iter) skipRemoved() {
	for it.cur != nil && len(it.skip) > 0 {
		if _, found := searchRun(it.skip, it.cur); !found {
			return
		}
		it.step()
	}
}

// startRun is start for an iter over a run.
func (it *iter) startRun(from []byte, inclusive bool) {
	rk := it.prefix
	if !it.desc {
		target, incl := it.lo, true
		if from != nil && (it.lo == nil || compareKeys(from, it.lo) >= 0) {
			target, incl = from, inclusive
		}
		if it.inBlock(target) {
			// A leapfrog seeks forward a little at a time: the target is
			// often in the block at hand, where the cursor already is.
			if it.enterBlock(it.block, target, incl) {
				return
			}
		} else if n := len(it.block); n > 0 && target != nil && compareKeys(target, it.block[n-sortKeyLen:]) > 0 {
			// Or in the next block: one step of the cursor, not a seek.
			if k, v := it.c.Next(); inRun(k, rk) && compareKeys(target, v[len(v)-sortKeyLen:]) <= 0 && it.enterBlock(v, target, incl) {
				return
			}
		}
		if target == nil {
			k, v := it.c.Seek(rk)
			if !inRun(k, rk) {
				v = nil
			}
			it.setBlock(v, 0)
			return
		}
		var k []byte
		_, v := blockFor(it.c, rk, target)
		if v != nil {
			if it.enterBlock(v, target, incl) {
				return
			}
			// Past the end of the block that would hold the target: the
			// answer opens the next block, where the cursor goes next.
			k, v = it.c.Next()
		} else {
			// Before the run's first block, or the run is empty.
			k, v = it.c.Seek(rk)
		}
		if !inRun(k, rk) {
			v = nil
		}
		it.setBlock(v, 0)
		return
	}
	target, incl := it.hi, true
	if from != nil && (it.hi == nil || compareKeys(from, it.hi) <= 0) {
		target, incl = from, inclusive
	}
	if it.inBlock(target) {
		i, found := searchRun(it.block, target)
		if !(found && incl) {
			i--
		}
		if i >= 0 {
			it.setBlock(it.block, i)
			return
		}
	} else if len(it.block) > 0 && target != nil && compareKeys(target, it.block[:sortKeyLen]) < 0 {
		if k, v := it.c.Prev(); inRun(k, rk) && compareKeys(target, v[:sortKeyLen]) >= 0 {
			i, found := searchRun(v, target)
			if !(found && incl) {
				i--
			}
			if i >= 0 {
				it.setBlock(v, i)
				return
			}
		}
	}
	var k, v []byte
	if target == nil {
		if next := successor(rk); next != nil {
			if k, _ = it.c.Seek(next); k == nil {
				k, v = it.c.Last()
			} else {
				k, v = it.c.Prev()
			}
		} else {
			k, v = it.c.Last()
		}
		if !inRun(k, rk) {
			v = nil
		}
		it.setBlock(v, len(v)/sortKeyLen-1)
		return
	}
	if _, v = blockFor(it.c, rk, target); v == nil {
		it.setBlock(nil, 0)
		return
	}
	i, found := searchRun(v, target)
	if !(found && incl) {
		i--
	}
	if i < 0 {
		// Only when the block's first entry is the target, excluded.
		if k, v = it.c.Prev(); !inRun(k, rk) {
			v = nil
		}
		i = len(v)/sortKeyLen - 1
	}
	it.setBlock(v, i)
}

// inBlock reports whether target lies within the current block's range
// (the cursor is on that block).
func (it *iter) inBlock(target []byte) bool {
	n := len(it.block)
	return target != nil && n > 0 && compareKeys(target, it.block[:sortKeyLen]) >= 0 && compareKeys(target, it.block[n-sortKeyLen:]) <= 0
}

// enterBlock stands the iterator on the first entry of block at or after
// target (after it when !incl) and reports whether the block has one.
func (it *iter) enterBlock(block, target []byte, incl bool) bool {
	i, found := searchRun(block, target)
	if found && !incl {
		i++
	}
	if i >= len(block)/sortKeyLen {
		return false
	}
	it.setBlock(block, i)
	return true
}

// setBlock makes entry i of block (nil: none) the current one.
func (it *iter) setBlock(block []byte, i int) {
	it.block, it.bi, it.cur = block, i, nil
	if i < 0 || i >= len(block)/sortKeyLen {
		it.block = nil
		return
	}
	s := block[i*sortKeyLen : (i+1)*sortKeyLen]
	if it.lo != nil && compareKeys(s, it.lo) < 0 || it.hi != nil && compareKeys(s, it.hi) > 0 {
		return
	}
	it.cur = s
}

// nextRun steps an iter over a run, crossing into the neighbouring block
// at either end of the current one.
func (it *iter) nextRun() {
	if it.desc {
		if it.bi > 0 {
			it.setBlock(it.block, it.bi-1)
			return
		}
		k, v := it.c.Prev()
		if !inRun(k, it.prefix) {
			v = nil
		}
		it.setBlock(v, len(v)/sortKeyLen-1)
		return
	}
	if it.bi+1 < len(it.block)/sortKeyLen {
		it.setBlock(it.block, it.bi+1)
		return
	}
	k, v := it.c.Next()
	if !inRun(k, it.prefix) {
		v = nil
	}
	it.setBlock(v, 0)
}

func (it *iter) next() {
	it.step()
	it.skipRemoved()
}

func (it *iter) step() {
	if it.cur == nil {
		return
	}
	if it.mem != nil {
		if it.desc {
			it.setBlock(it.mem, it.bi-1)
		} else {
			it.setBlock(it.mem, it.bi+1)
		}
		return
	}
	if it.isRun {
		it.nextRun()
		return
	}
	if it.desc {
		it.set(it.c.Prev())
	} else {
		it.set(it.c.Next())
	}
}

func (it *iter) set(k, v []byte) {
	it.cur, it.curValue = nil, nil
	if k == nil || !bytes.HasPrefix(k, it.prefix) {
		return
	}
	s := k[len(it.prefix):]
	if it.lo != nil && compareKeys(s, it.lo) < 0 || it.hi != nil && compareKeys(s, it.hi) > 0 {
		return
	}
	it.cur, it.curValue = s, v
}

// merged is the ordered union of several iterators over suffixes of the
// same shape, without duplicates: a statement filed under a topic and its
// subtopic comes once.
type merged struct {
	its   []*iter
	desc  bool
	cur   []byte
	begun bool   // start has run since the last change of direction
	arena []byte // the current chunk of copyKey
}

// started reports whether the source has been positioned.
func (m *merged) started() bool { return m.begun }

func (m *merged) start(from []byte, inclusive, desc bool) {
	if m.forward(from, desc) {
		// A seek forward from where the merge stands (the leapfrog's
		// only kind): every source already at or past the target is where
		// a seek would put it, since all it skipped lies before the
		// current key. Only the ones behind move.
		for _, it := range m.its {
			if it.cur == nil {
				continue // exhausted: stays so going forward
			}
			c := compareKeys(it.cur, from)
			if desc {
				c = -c
			}
			if c > 0 || c == 0 && inclusive {
				continue
			}
			it.start(from, inclusive, desc)
		}
		m.pick()
		return
	}
	m.begun = true
	m.desc = desc
	for _, it := range m.its {
		it.start(from, inclusive, desc)
	}
	m.pick()
}

// forward reports whether a start at from in direction desc continues the
// merge's current scan: same direction, at or past its current key.
func (m *merged) forward(from []byte, desc bool) bool {
	if !m.begun || desc != m.desc || from == nil || m.cur == nil {
		return false
	}
	c := compareKeys(from, m.cur)
	if desc {
		c = -c
	}
	return c >= 0
}

func (m *merged) pick() {
	m.cur = nil
	for _, it := range m.its {
		if it.cur == nil {
			continue
		}
		if m.cur == nil || (compareKeys(it.cur, m.cur) < 0) != m.desc {
			m.cur = it.cur
		}
	}
	if m.cur != nil {
		m.cur = m.copyKey(m.cur)
	}
}

// copyKey copies k out of the transaction's pages, into chunks shared by
// the keys of one merge: one allocation per chunk rather than per step. A
// copy stays valid after later ones, as a chunk is never written twice.
func (m *merged) copyKey(k []byte) []byte {
	if len(m.arena)+len(k) > cap(m.arena) {
		m.arena = make([]byte, 0, max(keyChunk, len(k)))
	}
	n := len(m.arena)
	m.arena = append(m.arena, k...)
	return m.arena[n:len(m.arena):len(m.arena)]
}

// keyChunk is the size of the chunks merged copies its keys into.
const keyChunk = 1 << 10

func (m *merged) next() {
	for _, it := range m.its {
		if it.cur != nil && bytes.Equal(it.cur, m.cur) {
			it.next()
		}
	}
	m.pick()
}

// source is an ordered sequence of keys (with values) that can start
// anywhere and run either way.
type source interface {
	start(from []byte, inclusive, desc bool)
	next()
	key() []byte // nil when exhausted
	value() []byte
}

func (m *merged) key() []byte { return m.cur }

func (m *merged) value() []byte {
	for _, it := range m.its {
		if it.cur != nil && bytes.Equal(it.cur, m.cur) {
			return it.curValue
		}
	}
	return nil
}

// memSource is a source over keys sorted in memory, for orders no index
// holds (a filtered list in creation order).
type memSource struct {
	keys [][]byte // ascending
	i    int
	desc bool
}

func (m *memSource) start(from []byte, inclusive, desc bool) {
	m.desc = desc
	n := len(m.keys)
	if !desc {
		m.i = 0
		if from != nil {
			m.i, _ = slices.BinarySearchFunc(m.keys, from, bytes.Compare)
			if m.i < n && !inclusive && bytes.Equal(m.keys[m.i], from) {
				m.i++
			}
		}
		return
	}
	m.i = n - 1
	if from != nil {
		j, found := slices.BinarySearchFunc(m.keys, from, bytes.Compare)
		m.i = j - 1
		if found && inclusive {
			m.i = j
		}
	}
}

func (m *memSource) next() {
	if m.desc {
		m.i--
	} else {
		m.i++
	}
}

func (m *memSource) key() []byte {
	if m.i < 0 || m.i >= len(m.keys) {
		return nil
	}
	return m.keys[m.i]
}

func (m *memSource) value() []byte { return nil }

// list is an ordered, filtered list of records that can be paged through
// in both directions. Keys are the iterators' suffixes; list order is
// ascending key order, or descending when desc is set.
type list[T any] struct {
	src  source
	desc bool
	// load turns a key into an item; ok false filters the key out.
	load func(key, value []byte) (item T, ok bool, err error)
}

// scan yields the list's items after from (at from when inclusive), in
// list order or, when reverse, in reverse list order, until fn returns
// false.
func (l *list[T]) scan(from []byte, inclusive, reverse bool, fn func(key []byte, item T) bool) error {
	l.src.start(from, inclusive, l.desc != reverse)
	for k := l.src.key(); k != nil; k = l.src.key() {
		item, ok, err := l.load(k, l.src.value())
		if err != nil {
			return err
		}
		if ok && !fn(k, item) {
			return nil
		}
		l.src.next()
	}
	return nil
}

// exists reports whether the list has an item from from on (inclusive) in
// the given direction.
func (l *list[T]) exists(from []byte, reverse bool) (bool, error) {
	found := false
	err := l.scan(from, true, reverse, func([]byte, T) bool { found = true; return false })
	return found, err
}

// page cuts a Relay page out of the list. Cursors are tag followed by the
// item's key; a cursor with another tag is rejected.
func (l *list[T]) page(p domain.Page, tag byte) (*domain.Result[T], error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	after, err := decodeCursor(p.After, tag, "after")
	if err != nil {
		return nil, err
	}
	before, err := decodeCursor(p.Before, tag, "before")
	if err != nil {
		return nil, err
	}
	n := p.Size()
	res := &domain.Result[T]{}
	var keys [][]byte
	// beyond reports whether key lies at or past the other bound of the
	// window, in list order.
	beyond := func(key, bound []byte, reverse bool) bool {
		if bound == nil {
			return false
		}
		c := bytes.Compare(key, bound)
		if l.desc != reverse {
			c = -c
		}
		return c >= 0
	}
	collect := func(from, bound []byte, reverse bool) (more bool, err error) {
		err = l.scan(from, false, reverse, func(key []byte, item T) bool {
			if beyond(key, bound, reverse) {
				return false
			}
			if len(res.Items) == n {
				more = true
				return false
			}
			res.Items = append(res.Items, item)
			keys = append(keys, key)
			return true
		})
		return more, err
	}
	if !p.Backward() {
		if res.HasNextPage, err = collect(after, before, false); err != nil {
			return nil, err
		}
		if after != nil {
			if res.HasPreviousPage, err = l.exists(after, true); err != nil {
				return nil, err
			}
		}
	} else {
		if res.HasPreviousPage, err = collect(before, after, true); err != nil {
			return nil, err
		}
		reverseInPlace(res.Items)
		reverseInPlace(keys)
		if before != nil {
			if res.HasNextPage, err = l.exists(before, false); err != nil {
				return nil, err
			}
		}
	}
	for _, k := range keys {
		res.Cursors = append(res.Cursors, append([]byte{tag}, k...))
	}
	return res, nil
}

func reverseInPlace[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// Cursor tags: a cursor from one list is refused by another.
const (
	tagStatementDate    = 'd'
	tagStatementCreated = 'c'
	tagSpeaker          = 's'
	tagTopic            = 't'
	tagSource           = 'u'
	tagPosition         = 'p'
)

func decodeCursor(c []byte, tag byte, arg string) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	if len(c) < 2 || c[0] != tag {
		return nil, domain.FieldErrorf([]string{arg}, "is not a cursor of this list; pass a cursor from this connection's edges or pageInfo")
	}
	return c[1:], nil
}

// count counts the list's items.
func (l *list[T]) count() (int, error) {
	n := 0
	err := l.scan(nil, false, false, func([]byte, T) bool { n++; return true })
	return n, err
}
