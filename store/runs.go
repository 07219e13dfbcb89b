package store

import (
	"bytes"
	"encoding/binary"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The statement indexes (sr_*) and the position lists in asOf order
// (pr_*) are kept as sorted runs rather than one bbolt key per entry.
//
// Every entry of these indexes is prefix · sortKey, and a statement lands
// at a date-ordered place in each of its ~24 prefixes (all, speaker,
// country, kind, topics, source, one per search word). With one key per
// entry, a batch of 1,000 statements in random date order touches pages
// all over every index, and bbolt rewrites each touched page at commit:
// the cost of a batch grew with the database (docs/benchmarks.md).
//
// Here each prefix holds a few runs: sorted sets of 16-byte sort keys. A
// transaction's new entries for a prefix become one new run, which absorbs
// the newest runs while they are at most twice its size. Each run is then
// more than twice all newer runs together, so a prefix has at most about
// log3(entries ÷ entries per batch) runs (every reader seeks each), and an
// entry is rewritten a logarithmic number of times over its life, as part
// of a packed array (a memmove, not a B+tree insert). A batch touches the
// pages of the runs it rewrites, not one page per entry. (Absorbing runs
// up to four times the new one's size, with runs of up to four blocks
// always merged, kept a search word a run or two fewer but wrote 6% more
// pages per batch at a million statements and imported 4–12% slower; the
// queries measured no difference. docs/benchmarks.md, seventh session.)
//
// A run is stored as blocks of at most blockMax entries under
// prefix · seq · firstKey (seq: 8 bytes, big-endian, higher is newer), and
// each prefix has a directory, prefix · 0xff → (seq, entries) per run,
// oldest first. Blocks rather than one value per run: bbolt keeps at
// least two keys in a node and rewrites a node whole, so a megabyte run
// stored as one value was rewritten with every small neighbour that
// changed (measured: 15× the bytes of the runs actually written). Blocks
// fill ordinary pages, a run's rewrite touches only its pages, and a
// delete rewrites one block.
//
// Readers merge the runs of a prefix (merged in iter.go); each run seeks
// with a bbolt cursor to the block holding the target and by binary search
// inside it. The number of entries under a prefix is the sum of its
// directory, so these indexes need no counters.

// blockMax is the most entries a block holds: two blocks and their keys
// fit in a 4 KiB page.
const blockMax = 100

// runCap is the largest run the merge policy builds, in entries (4 MiB):
// it bounds the memory a merge takes.
var runCap = 1 << 18

// smallRun is the size up to which a prefix's runs are always merged into
// one: rewriting a block costs less than the seek a reader spends on each
// extra run, and most prefixes (a source, a rare word) stay this small.
const smallRun = blockMax

// seqLen is the width of a run's sequence number in its keys.
const seqLen = 8

// dirMark ends a prefix's directory key. Block keys continue the prefix
// with a sequence number, whose first byte is 0 for any realistic number
// of runs, so the directory sorts after the prefix's blocks.
const dirMark = 0xff

// runsFillPercent fills split pages of the run buckets almost full: runs
// are written whole, in key order, so a page is rarely split again.
const runsFillPercent = 0.9

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
	if f := t.natf.of(bucket); f != nil && d > 0 {
		f.add(binary.BigEndian.Uint64(suffix))
	}
}

// appendKey appends the 16-byte key of o to b.
func (o keyOp) appendKey(b []byte) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, o.hi), o.lo)
}

// compareOps orders staged changes by their keys.
func compareOps(x, y keyOp) int {
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
}

// applyPending writes the staged index changes: per prefix, in prefix
// order, one update of its runs. A key added and removed in the same
// transaction (an update that keeps a statement's entry) nets to nothing.
func (t *txn) applyPending() error {
	t.natDirs = nil
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
			slices.SortFunc(ops, compareOps)
			ins, del = ins[:0], del[:0]
			for i := 0; i < len(ops); {
				o := ops[i]
				d := 0
				for ; i < len(ops) && ops[i].hi == o.hi && ops[i].lo == o.lo; i++ {
					d += int(ops[i].d)
				}
				switch {
				case d > 0:
					ins = o.appendKey(ins)
				case d < 0:
					del = o.appendKey(del)
				}
			}
			if len(ins) == 0 && len(del) == 0 {
				continue
			}
			if ix := deferredIndex([]byte(name)); ix >= 0 && t.ovw != nil {
				// ins and del are reused buffers; the overlay keeps its own.
				t.ovw.fold(ix, []byte(p), copyBytes(ins), copyBytes(del))
				sl := sliceOf(ix, []byte(p))
				t.log[sl] = appendSegment(t.log[sl], ix, []byte(p), ins, del)
				t.ovw.o.logged[sl] += (len(ins) + len(del)) / sortKeyLen
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

// runInfo is one entry of a prefix's directory.
type runInfo struct {
	seq uint64
	n   int // entries
}

func dirKey(prefix []byte) []byte {
	return append(append(make([]byte, 0, len(prefix)+1), prefix...), dirMark)
}

func runKey(prefix []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append(make([]byte, 0, len(prefix)+seqLen+sortKeyLen), prefix...), seq)
}

// readDir returns the runs of prefix, oldest first.
func readDir(b *bolt.Bucket, prefix []byte) []runInfo {
	v := b.Get(dirKey(prefix))
	out := make([]runInfo, 0, len(v)/16)
	for ; len(v) >= 16; v = v[16:] {
		out = append(out, runInfo{binary.BigEndian.Uint64(v), int(binary.BigEndian.Uint64(v[8:]))})
	}
	return out
}

func writeDir(b *bolt.Bucket, prefix []byte, runs []runInfo) error {
	if len(runs) == 0 {
		return b.Delete(dirKey(prefix))
	}
	v := make([]byte, 0, 16*len(runs))
	for _, r := range runs {
		v = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(v, r.seq), uint64(r.n))
	}
	return b.Put(dirKey(prefix), v)
}

// inRun reports whether k is a block key of the run whose keys start with
// rk (prefix · seq).
func inRun(k, rk []byte) bool {
	return len(k) == len(rk)+sortKeyLen && bytes.HasPrefix(k, rk)
}

// readRun returns a copy of a run's entries, ascending.
func readRun(b *bolt.Bucket, prefix []byte, r runInfo) []byte {
	rk := runKey(prefix, r.seq)
	out := make([]byte, 0, r.n*sortKeyLen)
	c := b.Cursor()
	for k, v := c.Seek(rk); k != nil && bytes.HasPrefix(k, rk); k, v = c.Next() {
		if inRun(k, rk) {
			out = append(out, v...)
		}
	}
	return out
}

// writeRun stores data (packed, ascending) as the blocks of run seq.
func writeRun(b *bolt.Bucket, prefix []byte, seq uint64, data []byte) error {
	rk := runKey(prefix, seq)
	for len(data) > 0 {
		n := min(len(data), blockMax*sortKeyLen)
		if err := b.Put(append(rk[:len(rk):len(rk)], data[:sortKeyLen]...), data[:n:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// deleteRun removes the blocks of run seq.
func deleteRun(b *bolt.Bucket, prefix []byte, seq uint64) error {
	rk := runKey(prefix, seq)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek(rk); k != nil && bytes.HasPrefix(k, rk); k, _ = c.Next() {
		if inRun(k, rk) {
			keys = append(keys, copyBytes(k))
		}
	}
	// Collected first: bbolt's cursor skips keys after a delete under it.
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// blockFor returns the key and entries of the block of run rk that would
// hold target (the last block whose first entry is not above it), or nil.
func blockFor(c *bolt.Cursor, rk, target []byte) (k, v []byte) {
	full := cat(rk, target)
	k, v = c.Seek(full)
	if inRun(k, rk) && bytes.Equal(k, full) {
		return k, v
	}
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if !inRun(k, rk) {
		return nil, nil
	}
	return k, v
}

// removeFromRun deletes sk from run r if it holds it, rewriting one block.
func removeFromRun(b *bolt.Bucket, prefix []byte, r runInfo, sk []byte) (bool, error) {
	rk := runKey(prefix, r.seq)
	k, v := blockFor(b.Cursor(), rk, sk)
	if k == nil {
		return false, nil
	}
	i, found := searchRun(v, sk)
	if !found {
		return false, nil
	}
	rest := make([]byte, 0, len(v)-sortKeyLen)
	rest = append(append(rest, v[:i*sortKeyLen]...), v[(i+1)*sortKeyLen:]...)
	if err := b.Delete(copyBytes(k)); err != nil {
		return false, err
	}
	if len(rest) > 0 {
		if err := b.Put(cat(rk, rest[:sortKeyLen]), rest); err != nil {
			return false, err
		}
	}
	return true, nil
}

// runEntries is the number of entries under prefix.
func runEntries(b *bolt.Bucket, prefix []byte) int {
	n := 0
	for _, r := range readDir(b, prefix) {
		n += r.n
	}
	return n
}

// updateRuns adds ins and removes del (packed, ascending sort keys) under
// prefix, keeping the runs' shape: new entries form a run that absorbs
// the newest runs while they are at most twice its size, or small.
func updateRuns(b *bolt.Bucket, prefix, ins, del []byte) error {
	runs := readDir(b, prefix)
	changed := false
	for ; len(del) > 0; del = del[sortKeyLen:] {
		// Newest first: an entry removed soon after it was added is most
		// likely in a small, recent run.
		for i := len(runs) - 1; i >= 0; i-- {
			ok, err := removeFromRun(b, prefix, runs[i], del[:sortKeyLen])
			if err != nil {
				return err
			}
			if ok {
				runs[i].n--
				changed = true
				break
			}
		}
	}
	if changed {
		runs = slices.DeleteFunc(runs, func(r runInfo) bool { return r.n == 0 })
	}
	if len(ins) > 0 {
		x := ins
		n := len(ins) / sortKeyLen
		i := len(runs) - 1
		for ; i >= 0 && (runs[i].n <= 2*n || runs[i].n+n <= smallRun) && runs[i].n+n <= runCap; i-- {
			x = mergeSorted(readRun(b, prefix, runs[i]), x)
			n = len(x) / sortKeyLen
			if err := deleteRun(b, prefix, runs[i].seq); err != nil {
				return err
			}
		}
		// The absorbed runs are the newest; the new run takes the oldest
		// absorbed one's number, so numbers stay in age order.
		seq := uint64(1)
		switch {
		case i+1 < len(runs):
			seq = runs[i+1].seq
		case len(runs) > 0:
			seq = runs[len(runs)-1].seq + 1
			// Nothing absorbed: x is ins, the caller's reused buffer,
			// and bbolt keeps the values it is given until commit.
			x = copyBytes(x)
		default:
			x = copyBytes(x)
		}
		if err := writeRun(b, prefix, seq, x); err != nil {
			return err
		}
		runs = append(runs[:i+1], runInfo{seq, n})
		changed = true
	}
	if !changed {
		return nil
	}
	return writeDir(b, prefix, runs)
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

// compareKeys is bytes.Compare, by cmpKey when both are sort keys: the
// read paths compare them at every step of a merge or a leapfrog, where
// bytes.Compare's call was a tenth of a search's time.
func compareKeys(a, b []byte) int {
	if len(a) == sortKeyLen && len(b) == sortKeyLen {
		return cmpKey(a, b)
	}
	return bytes.Compare(a, b)
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

// searchRun returns the index of the first entry of r not below target,
// and whether it equals target. target may have any length.
func searchRun(r, target []byte) (int, bool) {
	n := len(r) / sortKeyLen
	i, j := 0, n
	for i < j {
		h := int(uint(i+j) >> 1)
		if compareKeys(r[h*sortKeyLen:(h+1)*sortKeyLen], target) < 0 {
			i = h + 1
		} else {
			j = h
		}
	}
	return i, i < n && bytes.Equal(r[i*sortKeyLen:(i+1)*sortKeyLen], target)
}

// runIters returns one iterator per run of prefix, for merged.
func runIters(b *bolt.Bucket, prefix, lo, hi []byte) []*iter {
	runs := readDir(b, prefix)
	its := make([]iter, len(runs))
	out := make([]*iter, len(runs))
	for i, r := range runs {
		its[i] = iter{c: b.Cursor(), prefix: runKey(prefix, r.seq), lo: lo, hi: hi, isRun: true}
		out[i] = &its[i]
	}
	return out
}
