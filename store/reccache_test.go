package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"parley/domain"
)

// TestRecCacheEviction fills a small record cache many times over with
// records of random sizes, dropping and re-inserting some: a lookup must
// return exactly the bytes last inserted for its id or miss, never bytes
// of another record, and the index must not outgrow what the arena holds.
func TestRecCacheEviction(t *testing.T) {
	var g refGen
	c := newRecCache(64 * 4 << 10) // 4 KiB segments
	if c == nil {
		t.Fatal("newRecCache returned nil for a usable size")
	}
	r := rand.New(rand.NewPCG(1, 2))
	want := map[domain.ID][]byte{}
	hits := 0
	for i := range 20_000 {
		id := domain.ID(1 + r.IntN(3000))
		switch r.IntN(10) {
		case 0:
			c.drop([]domain.ID{id})
			delete(want, id)
		case 1, 2, 3:
			rec := bytes.Repeat([]byte{byte(i)}, 1+r.IntN(600))
			rec = fmt.Appendf(rec, "#%d", id)
			if _, ok := c.get(&g, 0, id); !ok {
				c.put(&g, 0, id, rec)
				want[id] = rec
			}
		default:
			got, ok := c.get(&g, 0, id)
			if !ok {
				continue
			}
			hits++
			if w, known := want[id]; !known || got != string(w) {
				t.Fatalf("step %d: get(%d) = %d bytes ending %q, want %q", i, id, len(got), got[max(0, len(got)-8):], w[max(0, len(w)-8):])
			}
		}
	}
	if hits == 0 {
		t.Fatal("no lookup hit")
	}
	entries := 0
	for i := range c.segs {
		entries += len(c.segs[i].ids)
	}
	if len(c.index) > entries {
		t.Fatalf("index holds %d entries, the arena %d", len(c.index), entries)
	}
}

// TestRecCacheGeneration checks that lookups and insertions are refused
// once the write generation has moved past the reader's.
func TestRecCacheGeneration(t *testing.T) {
	var g refGen
	c := newRecCache(DefaultRecordCacheSize)
	c.put(&g, 0, 1, []byte("old"))
	g.n.Add(1) // a write begins
	if _, ok := c.get(&g, 0, 1); ok {
		t.Fatal("a lookup during a write hit")
	}
	c.put(&g, 0, 2, []byte("stale"))
	g.n.Add(1) // and ends
	if _, ok := c.get(&g, 2, 2); ok {
		t.Fatal("an insertion from before the write was kept")
	}
	if got, ok := c.get(&g, 2, 1); !ok || got != "old" {
		t.Fatalf("get = %q, %v; want the record no write dropped", got, ok)
	}
	if newRecCache(-1) != nil || newRecCache(1000) != nil {
		t.Fatal("a negative or tiny size made a cache")
	}
}
