package store

import (
	"context"
	"sync"
	"sync/atomic"

	"parley/domain"
)

// Speakers and topics are few (a speaker per 200 statements, 200 topics)
// and every page of statements or positions reads those it names: at a
// million statements that is a third of a page's store time, for records
// that rarely change. SpeakersByID and TopicsByID keep the records they
// decode in a cache that any write empties.
//
// Consistency is a sequence lock over writes: the generation is odd while
// a write transaction runs (from before it begins until after it has
// committed or rolled back) and advances again after it. A read uses the
// cache only when the generation is even and the same before and after
// its bbolt transaction begins, and fills it only for that generation: so
// cached records are those committed when no write has begun since, and a
// read served from the cache answers what a new transaction would have
// read. Writes are serialized by writeMu, so the generation never skips.

// refCacheLimit bounds the entries of each cache; a fuller cache is
// emptied and filled again, which bounds its memory without bookkeeping.
const refCacheLimit = 50_000

// refCache holds the decoded records of one kind for one generation.
type refCache[T any] struct {
	mu  sync.RWMutex
	gen uint64
	m   map[domain.ID]*T
}

func (c *refCache[T]) get(gen uint64, id domain.ID) (*T, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gen != gen {
		return nil, false
	}
	v, ok := c.m[id]
	return v, ok
}

func (c *refCache[T]) put(gen uint64, vals map[domain.ID]*T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.m == nil || len(c.m)+len(vals) > refCacheLimit {
		if gen < c.gen {
			return // a newer generation is cached already
		}
		c.gen, c.m = gen, make(map[domain.ID]*T, len(vals))
	}
	for id, v := range vals {
		c.m[id] = v
	}
}

// refGen is the write generation of the caches.
type refGen struct{ n atomic.Uint64 }

// stable returns the generation and whether no write is running.
func (g *refGen) stable() (uint64, bool) {
	n := g.n.Load()
	return n, n%2 == 0
}

// speakerIn reads speaker id in t, from the speakers' cache when t's
// generation is stable (the cache holds what t would read).
func (s *Store) speakerIn(t *txn, id domain.ID) (*domain.Speaker, error) {
	if t.refs != nil {
		if sp, ok := s.speakers.get(t.gen, id); ok {
			return sp, nil
		}
	}
	return t.Speaker(id)
}

// cachedByIDs is byIDs through cache c: ids found in the cache for the
// current generation cost no transaction; the rest are read in one, and
// cached when no write overlapped the read.
func cachedByIDs[T any](s *Store, ctx context.Context, c *refCache[T], ids []domain.ID, fn func(t *txn, id domain.ID) (*T, error)) ([]*T, error) {
	if err := s.stoppedErr(); err != nil {
		return nil, err
	}
	out := make([]*T, len(ids))
	gen, ok := s.refs.stable()
	var missing []int
	for i, id := range ids {
		if ok {
			if v, hit := c.get(gen, id); hit {
				out[i] = v
				continue
			}
		}
		missing = append(missing, i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	read := make(map[domain.ID]*T, len(missing))
	err := s.view(ctx, func(t *txn) error {
		if now, _ := s.refs.stable(); now != gen {
			ok = false // a write began before this transaction did
		}
		for _, i := range missing {
			v, err := fn(t, ids[i])
			if domain.ErrorCode(err) == domain.CodeNotFound {
				continue
			}
			if err != nil {
				return err
			}
			out[i], read[ids[i]] = v, v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if now, _ := s.refs.stable(); ok && now == gen && len(read) > 0 {
		c.put(gen, read)
	}
	return out, nil
}
