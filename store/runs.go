package store

import (
	"bytes"
	"encoding/binary"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The statement indexes (the sr_* buckets) are kept as sorted runs rather
// than one bbolt key per entry.
//
// Every statement index entry is prefix · sortKey, and a statement lands
// at a date-ordered place in each of its ~24 prefixes (all, speaker,
// country, kind, topics, source, one per search word). With one key per
// entry, a batch of 1,000 statements in random date order touches pages
// all over every index, and bbolt rewrites each touched page at commit:
// the cost of a batch grew with the database (docs/benchmarks.md).
//
// Here each prefix holds a few runs: bbolt values that are packed, sorted
// arrays of 16-byte sort keys, under the key prefix · seq (8 bytes,
// big-endian; a higher seq is a newer run). A transaction's new entries
// for a prefix become one new run, merged with the newest runs while they
// are no more than twice its size (a binary counter), so a prefix has
// about log2(entries) runs, each entry is rewritten about log2 times as
// part of a packed array (a memmove, not a B+tree insert), and a batch
// touches one bbolt key per prefix instead of one per entry. Runs stop
// growing at runCap entries, which bounds what a delete rewrites.
//
// Readers merge the runs of a prefix (merged in iter.go); each run seeks
// by binary search on the mapped bytes, without copying them. The number
// of entries under a prefix is the sum of its runs' lengths, so these
// indexes need no counters.

// runCap is the largest run the merge policy builds, in entries (1 MiB).
// A delete rewrites the run holding the entry; the cap bounds that cost
// and keeps single values small enough for bbolt to place easily.
const runCap = 1 << 16

// seqLen is the width of a run's sequence number in its key.
const seqLen = 8

// isRunBucket reports whether a bucket is an index kept as runs: the
// statement indexes (sr_*) and the position lists in asOf order (pr_*),
// whose entries all end in a 16-byte date-ordered key.
func isRunBucket(bucket []byte) bool {
	return len(bucket) > 3 && (bucket[0] == 's' || bucket[0] == 'p') && bucket[1] == 'r' && bucket[2] == '_'
}

// staged collects a transaction's changes to one run bucket, by prefix:
// each op is a sort key with +1 (add) or -1 (remove). They are applied
// once per prefix at flush.
type staged map[string]*[]keyOp

// keyOp is a staged change of a 16-byte key, held as two integers so that
// sorting a prefix's changes is a comparison of words, not of bytes.
type keyOp struct {
	hi, lo uint64
	d      int8
}

// stage records an index change for flush.
func (t *txn) stage(bucket, prefix, suffix []byte, d int8) {
	if t.pending == nil {
		t.pending = map[string]staged{}
	}
	s := t.pending[string(bucket)]
	if s == nil {
		s = staged{}
		t.pending[string(bucket)] = s
	}
	ops := s[string(prefix)]
	if ops == nil {
		ops = new([]keyOp)
		s[string(prefix)] = ops
	}
	*ops = append(*ops, keyOp{binary.BigEndian.Uint64(suffix), binary.BigEndian.Uint64(suffix[8:]), d})
}

// applyPending writes the staged index changes: per prefix, in prefix
// order, one update of its runs. A key added and removed in the same
// transaction (an update that keeps a statement's entry) nets to nothing.
func (t *txn) applyPending() error {
	var ins, del []byte
	for name, s := range t.pending {
		b := t.b([]byte(name))
		prefixes := make([]string, 0, len(s))
		for p := range s {
			prefixes = append(prefixes, p)
		}
		slices.Sort(prefixes)
		for _, p := range prefixes {
			ops := *s[p]
			slices.SortFunc(ops, func(x, y keyOp) int {
				if x.hi != y.hi {
					if x.hi < y.hi {
						return -1
					}
					return 1
				}
				switch {
				case x.lo < y.lo:
					return -1
				case x.lo > y.lo:
					return 1
				}
				return 0
			})
			ins, del = ins[:0], del[:0]
			for i := 0; i < len(ops); {
				o := ops[i]
				d := 0
				for ; i < len(ops) && ops[i].hi == o.hi && ops[i].lo == o.lo; i++ {
					d += int(ops[i].d)
				}
				switch {
				case d > 0:
					ins = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(ins, o.hi), o.lo)
				case d < 0:
					del = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(del, o.hi), o.lo)
				}
			}
			if len(ins) == 0 && len(del) == 0 {
				continue
			}
			if err := updateRuns(b, []byte(p), ins, del); err != nil {
				return err
			}
		}
	}
	t.pending = nil
	return nil
}

// run is one stored run of a prefix.
type run struct {
	key  []byte // prefix · seq (a copy)
	data []byte // packed sort keys, ascending; bbolt's memory, read only
}

// loadRuns returns the runs of prefix, oldest first. The data slices are
// valid until the bucket is next written to.
func loadRuns(b *bolt.Bucket, prefix []byte) []run {
	var out []run
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+seqLen {
			continue // not a run key of this prefix: never written, but cheap to rule out
		}
		out = append(out, run{key: copyBytes(k), data: v})
	}
	return out
}

// runData returns the packed data of prefix's runs without copying keys.
func runData(b *bolt.Bucket, prefix []byte) [][]byte {
	var out [][]byte
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if len(k) == len(prefix)+seqLen {
			out = append(out, v)
		}
	}
	return out
}

// runEntries is the number of entries under prefix.
func runEntries(b *bolt.Bucket, prefix []byte) int {
	n := 0
	for _, d := range runData(b, prefix) {
		n += len(d) / sortKeyLen
	}
	return n
}

// updateRuns adds ins and removes del (packed, ascending sort keys) under
// prefix, keeping the runs' shape: new entries form a run that absorbs
// the newest runs while they are at most twice its size.
func updateRuns(b *bolt.Bucket, prefix, ins, del []byte) error {
	runs := loadRuns(b, prefix)
	dirty := make([]bool, len(runs))
	if len(del) > 0 {
		for i := range runs {
			if kept, changed := without(runs[i].data, del); changed {
				runs[i].data, dirty[i] = kept, true
			}
		}
	}
	var key []byte // the new run's key
	x := ins
	if len(x) > 0 {
		i := len(runs) - 1
		for ; i >= 0 && len(runs[i].data) <= 2*len(x) && len(runs[i].data)+len(x) <= runCap*sortKeyLen; i-- {
			x = mergeSorted(runs[i].data, x)
		}
		// The absorbed runs are the newest; the new run takes the oldest
		// absorbed one's key, so keys stay in age order.
		switch {
		case i+1 < len(runs):
			key = runs[i+1].key
			for j := i + 2; j < len(runs); j++ {
				if err := b.Delete(runs[j].key); err != nil {
					return err
				}
			}
			runs = runs[:i+1]
		case len(runs) > 0:
			last := runs[len(runs)-1].key
			key = binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), binary.BigEndian.Uint64(last[len(prefix):])+1)
		default:
			key = binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), 1)
		}
	}
	for i, r := range runs {
		if !dirty[i] {
			continue
		}
		var err error
		if len(r.data) == 0 {
			err = b.Delete(r.key)
		} else {
			err = b.Put(r.key, r.data)
		}
		if err != nil {
			return err
		}
	}
	if key != nil {
		if len(x) == len(ins) {
			// bbolt keeps the value until commit; ins is reused.
			x = copyBytes(x)
		}
		return b.Put(key, x)
	}
	return nil
}

// cmpKey orders two 16-byte sort keys; two loads beat bytes.Compare on
// the merge paths.
func cmpKey(a, b []byte) int {
	if x, y := binary.BigEndian.Uint64(a), binary.BigEndian.Uint64(b); x != y {
		if x < y {
			return -1
		}
		return 1
	}
	x, y := binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:])
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// mergeSorted merges two packed ascending arrays into a new one; a key in
// both is kept once.
func mergeSorted(a, b []byte) []byte {
	out := make([]byte, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		switch c := cmpKey(a, b); {
		case c < 0:
			out, a = append(out, a[:sortKeyLen]...), a[sortKeyLen:]
		case c > 0:
			out, b = append(out, b[:sortKeyLen]...), b[sortKeyLen:]
		default:
			out, a, b = append(out, a[:sortKeyLen]...), a[sortKeyLen:], b[sortKeyLen:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

// without returns run minus the keys of del, and whether any was in it.
// It copies only when something is removed.
func without(r, del []byte) ([]byte, bool) {
	var hit bool
	for d := del; len(d) > 0; d = d[sortKeyLen:] {
		if _, ok := searchRun(r, d[:sortKeyLen]); ok {
			hit = true
			break
		}
	}
	if !hit {
		return r, false
	}
	out := make([]byte, 0, len(r))
	for len(r) > 0 {
		for len(del) > 0 && cmpKey(del, r) < 0 {
			del = del[sortKeyLen:]
		}
		if len(del) == 0 || cmpKey(del, r) != 0 {
			out = append(out, r[:sortKeyLen]...)
		}
		r = r[sortKeyLen:]
	}
	return out, true
}

// searchRun returns the index of the first entry of r not below target,
// and whether it equals target. target may have any length.
func searchRun(r, target []byte) (int, bool) {
	n := len(r) / sortKeyLen
	i, j := 0, n
	for i < j {
		h := int(uint(i+j) >> 1)
		if bytes.Compare(r[h*sortKeyLen:(h+1)*sortKeyLen], target) < 0 {
			i = h + 1
		} else {
			j = h
		}
	}
	return i, i < n && bytes.Equal(r[i*sortKeyLen:(i+1)*sortKeyLen], target)
}

// runIters returns one iterator per run of prefix, for merged.
func runIters(b *bolt.Bucket, prefix, lo, hi []byte) []*iter {
	var out []*iter
	for _, d := range runData(b, prefix) {
		out = append(out, &iter{run: d, isRun: true, lo: lo, hi: hi})
	}
	return out
}

// runSuffixes returns copies of the sort keys under prefix, ascending.
func runSuffixes(b *bolt.Bucket, prefix []byte) [][]byte {
	var all []byte
	for _, d := range runData(b, prefix) {
		all = mergeSorted(all, d)
	}
	out := make([][]byte, 0, len(all)/sortKeyLen)
	for ; len(all) > 0; all = all[sortKeyLen:] {
		out = append(out, all[:sortKeyLen:sortKeyLen])
	}
	return out
}
