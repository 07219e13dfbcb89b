package store

import (
	"fmt"
	"sync"
	"unsafe"

	"parley/domain"
)

// A page of statements reads its records by id, and at a million
// statements each of those bbolt Gets descends the B+tree from the root
// through pages scattered over a gigabyte-sized map: cache and TLB misses
// make the Gets about half of a page's store time. recCache keeps the raw
// bytes of the statement records that reads have fetched, so that a read
// of a record read before costs a map lookup and a copy.
//
// It holds bytes, not decoded records, and nothing in it holds a pointer
// (an arena of byte segments and a map[uint64]uint64), so the garbage
// collector never scans it: a cache of decoded records, full of strings
// and slices, made pages slower by the marking it added.
//
// Consistency rides on the write generation of the reference caches
// (refcache.go), with one difference: the cache is not emptied by every
// write but corrected, per statement, by the write that changed it.
//   - A read transaction may use the cache only when the generation was
//     even and unchanged from before to after its bbolt transaction began
//     (txn.recs is set then), so its snapshot is that generation's state.
//   - Every lookup and every insertion checks, under the cache's lock,
//     that the generation is still the transaction's: once a write has
//     begun, older transactions fall back to their own snapshot, and no
//     transaction inserts bytes that a later state may have replaced.
//   - A write transaction lists the statements whose records it put or
//     deleted (txn.dirty); the store drops them from the cache after the
//     transaction ends, committed or not, while the generation is still
//     odd, and only then makes it even again.
//
// So every entry present while the generation is even equals the
// committed record: an insertion either precedes the write's drop (under
// the same lock) and is dropped, or follows it and is refused because the
// generation moved on.
type recCache struct {
	mu      sync.RWMutex
	segSize int
	segs    []recSegment
	cur     int               // the segment being filled
	index   map[uint64]uint64 // id → location (see loc)
}

// recSegment is one slice of the arena and the ids written to it, so that
// reusing it drops exactly the entries it held.
type recSegment struct {
	buf []byte // allocated when first filled; len is the bytes used
	ids []uint64
}

// recSegments is how many segments the budget is split into: the cache
// forgets its oldest segment (a 1/64th of it) at a time, first in, first
// out.
const recSegments = 64

// DefaultRecordCacheSize is the default Options.RecordCacheSize: 64 MiB,
// a few hundred thousand statement records.
const DefaultRecordCacheSize = 64 << 20

// A location packs an entry's offset in the arena (segment × segSize +
// offset in it) above 24 bits of length.
const (
	locLenBits = 24
	locLenMask = 1<<locLenBits - 1
)

// newRecCache returns a cache of about size bytes, or nil when size is
// too small to hold records worth caching.
func newRecCache(size int) *recCache {
	seg := size / recSegments
	if seg < 4<<10 {
		return nil
	}
	seg = min(seg, locLenMask)
	return &recCache{segSize: seg, segs: make([]recSegment, recSegments), index: map[uint64]uint64{}}
}

// get returns a copy of record id's bytes when the cache holds it and the
// write generation is still gen.
func (c *recCache) get(g *refGen, gen uint64, id domain.ID) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if g.n.Load() != gen {
		return "", false
	}
	loc, ok := c.index[uint64(id)]
	if !ok {
		return "", false
	}
	at, n := int(loc>>locLenBits), int(loc&locLenMask)
	seg := &c.segs[at/c.segSize]
	off := at % c.segSize
	return string(seg.buf[off : off+n]), true
}

// put stores a copy of record id's bytes, read in generation gen, unless
// the generation has moved on since.
func (c *recCache) put(g *refGen, gen uint64, id domain.ID, rec []byte) {
	n := len(rec)
	if n > c.segSize/8 {
		return // a rare giant would evict many ordinary records
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if g.n.Load() != gen {
		return
	}
	if _, ok := c.index[uint64(id)]; ok {
		return // another read inserted it meanwhile
	}
	seg := &c.segs[c.cur]
	if len(seg.buf)+n > c.segSize {
		c.cur = (c.cur + 1) % len(c.segs)
		seg = &c.segs[c.cur]
		c.reuse(c.cur)
	}
	if seg.buf == nil {
		seg.buf = make([]byte, 0, c.segSize)
	}
	at := c.cur*c.segSize + len(seg.buf)
	seg.buf = append(seg.buf, rec...)
	seg.ids = append(seg.ids, uint64(id))
	c.index[uint64(id)] = uint64(at)<<locLenBits | uint64(n)
}

// reuse empties segment i, dropping the entries that still point into it
// (an id dropped and cached again since lives in another segment).
func (c *recCache) reuse(i int) {
	seg := &c.segs[i]
	lo, hi := i*c.segSize, (i+1)*c.segSize
	for _, id := range seg.ids {
		if loc, ok := c.index[id]; ok {
			if at := int(loc >> locLenBits); at >= lo && at < hi {
				delete(c.index, id)
			}
		}
	}
	seg.buf, seg.ids = seg.buf[:0], seg.ids[:0]
}

// drop forgets the records of ids; their bytes stay in the arena until
// their segment is reused.
func (c *recCache) drop(ids []domain.ID) {
	if len(ids) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		delete(c.index, uint64(id))
	}
}

// cachedStatement returns statement id from the record cache without a
// transaction, when no write is running and the cache holds it for the
// current generation. A transaction adds nothing to a hit: the cache is
// exact for a stable generation (get checks it under the cache's lock,
// and a write drops what it changed before the generation turns even
// again), and a bbolt read transaction's begin and end were a third of
// the store's time for a statement read by id.
func (s *Store) cachedStatement(id domain.ID) (*domain.Statement, bool) {
	if s.recs == nil {
		return nil, false
	}
	gen, stable := s.refs.stable()
	if !stable {
		return nil, false
	}
	rec, ok := s.recs.get(&s.refs, gen, id)
	if !ok {
		return nil, false
	}
	st, err := decodeCached(id, rec)
	if err != nil {
		return nil, false // the transaction's path reports it
	}
	return st, true
}

// decodeCached decodes a statement record that the cache returned.
func decodeCached(id domain.ID, rec string) (*domain.Statement, error) {
	// The string is the caller's own copy and the decoder only reads it:
	// viewing it as bytes saves the decoder a second copy.
	return decodeStatementFrom(id, ownedDec(unsafe.Slice(unsafe.StringData(rec), len(rec)), rec))
}

// cachedStatement reads statement id through the record cache when the
// transaction may use it (see recCache).
func (t *txn) cachedStatement(id domain.ID) (*domain.Statement, error) {
	if s, ok := t.recs.get(t.refs, t.gen, id); ok {
		return decodeCached(id, s)
	}
	v := t.b(bStatements).Get(idKey(id))
	if v == nil {
		return nil, domain.ErrNotFound("statement", fmt.Sprintf("with id %d", id))
	}
	st, err := decodeStatement(id, v)
	if err == nil {
		t.recs.put(t.refs, t.gen, id, v)
	}
	return st, err
}
