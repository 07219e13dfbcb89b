package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The index log: the statement and position indexes with many small
// prefixes (a speaker, a topic, a source, a search word) take their
// changes in memory first and into their runs later, many batches at once.
//
// Every write transaction used to merge its entries into the runs of each
// prefix it touched. At a million statements that was most of a batch's
// cost (docs/benchmarks.md): a batch of 1,000 statements touches about
// 1,900 prefixes, each a leaf page or two of its bucket and a few B+tree
// operations, for a handful of entries each. Here a transaction's net
// changes to those indexes are
//
//   - folded into the overlay, an immutable in-memory set of the entries
//     added to and removed from each prefix since the runs were last
//     written, which readers merge with the runs (runIters, prefixCount);
//   - and appended to the index log (ix_log), written in the same commit,
//     so an acknowledged write is as durable as before, and Open rebuilds
//     the overlay by folding the log again.
//
// The prefixes fall into logSlices slices by a hash. When the overlay
// holds logLimit entries, or its log twice as many keys (changes that
// cancel out leave the overlay small and the log long), a write
// transaction of its own after the commit writes the fullest slice into
// the runs, prefix by prefix, and deletes that slice's log records (a log
// key is slice · txid), until both are below their bounds again. Being a
// transaction of its own, a write-out that fails (the file at its
// maximum size) fails no caller's write: the next commit tries again, and
// a delete can always free space. A prefix that gained entries in twenty batches is then
// written once, not twenty times, and each of its pages once; and a
// commit writes an eighth of the overlay, not all of it, so the pages it
// dirties (held in memory until the commit) stay a bounded part of the
// heap.
//
// Readers see a consistent state because every committed transaction
// publishes the overlay of its own state, tagged with its bbolt
// transaction id, and a read transaction takes the overlay whose id is its
// own (Store.begin).

// deferred lists the indexes kept through the overlay, in the order of
// their one-byte number in the log. The natural-key indexes (looked up
// by hash while a batch is planned), sr_all, sr_kind and pr_all (a few
// prefixes, written in date order) are written directly.
var deferred = [][]byte{bSxSpeaker, bSxTopic, bSxCountry, bSxWord, bPxTopic, bPxSpeaker}

// bIxLog is the index log: slice · big-endian txid → that transaction's
// changes to the slice's prefixes (appendSegment).
var bIxLog = []byte("ix_log")

// DefaultIndexLogLimit is the default Options.IndexLogLimit: 2^19 entries,
// 8 MiB of sort keys, about 20 batches of 1,000 W1 statements. Twice as
// many imported W1 at a million statements no faster and raised the peak
// Go heap from 202 to 265 MiB (docs/benchmarks.md, ninth session).
const DefaultIndexLogLimit = 1 << 19

// deferredIndex returns the log number of an index kept through the
// overlay, or -1.
func deferredIndex(bucket []byte) int {
	if len(bucket) < 4 || bucket[1] != 'r' {
		return -1
	}
	for i, d := range deferred {
		if bytes.Equal(d, bucket) {
			return i
		}
	}
	return -1
}

// overlay is the set of changes to the deferred indexes that their runs do
// not hold yet. A published overlay is never changed: a transaction that
// folds changes into it works on a copy (overlayWriter).
type overlay struct {
	// txid is the bbolt transaction whose state this is.
	txid uint64
	// entries counts the sort keys held, added and removed, in all and
	// per slice.
	entries int
	inSlice [logSlices]int
	// logged counts, per slice, the sort keys its log records hold: more
	// than its entries when later changes cancel earlier ones (a text
	// edited back and forth), which the log keeps until the slice is
	// written out.
	logged [logSlices]int
	// prefixes holds per deferred index (by log number) the changes of
	// each prefix.
	prefixes []map[string]*runDelta
}

// runDelta is one prefix's changes: ins holds sort keys that are in no run
// of the prefix, del sort keys of its runs that are gone; both packed and
// ascending, and disjoint. A runDelta is never changed once made.
//
// ins is kept as a few sorted chunks, like the runs themselves: a prefix
// that gains entries in every batch (a common word) would otherwise be
// copied whole at every commit, which made folding quadratic in the
// number of batches the overlay holds. A new chunk absorbs the chunks
// before it while they are at most twice its size, so a prefix has a
// logarithmic number of chunks and readers merge each as a run.
type runDelta struct {
	ins [][]byte
	del []byte
	n   int // sort keys in ins
}

func (d *runDelta) size() int {
	if d == nil {
		return 0
	}
	return d.n + len(d.del)/sortKeyLen
}

// added returns the keys of ins in one packed ascending array.
func (d *runDelta) added() []byte {
	var all []byte
	for _, c := range d.ins {
		all = union(all, c)
	}
	return all
}

// inserted reports whether ins holds k.
func (d *runDelta) inserted(k []byte) bool {
	for _, c := range d.ins {
		if _, found := searchRun(c, k); found {
			return true
		}
	}
	return false
}

// get returns the changes of prefix in index i, or nil.
func (o *overlay) get(i int, prefix []byte) *runDelta {
	if o == nil || o.prefixes == nil {
		return nil
	}
	return o.prefixes[i][string(prefix)]
}

// overlayWriter folds changes into a private copy of an overlay.
//
// The copy shares the maps of the indexes the transaction has not
// changed, and clones the map of an index when it first changes it:
// a clone of the map (a few tens of thousands of prefixes before the
// overlay is written out) costs about a millisecond, a small part of a
// batch's commit, and leaves every replaced runDelta to the collector at
// once.
type overlayWriter struct {
	o     *overlay
	owned []bool
}

func newOverlayWriter(from *overlay) *overlayWriter {
	o := &overlay{}
	if from != nil && from.prefixes != nil {
		o.entries, o.inSlice, o.logged = from.entries, from.inSlice, from.logged
		o.prefixes = slices.Clone(from.prefixes)
	} else {
		o.prefixes = make([]map[string]*runDelta, len(deferred))
	}
	return &overlayWriter{o: o, owned: make([]bool, len(deferred))}
}

// fold applies one prefix's net changes (packed, ascending, disjoint) to
// the overlay: an added key that a run holds but the overlay removed comes
// back by leaving del, any other goes to ins; a removed key leaves ins, or
// joins del when a run holds it.
func (w *overlayWriter) fold(i int, prefix, add, rm []byte) {
	m := w.own(i)
	old := m[string(prefix)]
	d := &runDelta{}
	var gone []byte // the removed keys a run holds
	if old != nil {
		for _, c := range old.ins {
			if c = difference(c, rm); len(c) > 0 {
				d.ins = append(d.ins, c)
				d.n += len(c) / sortKeyLen
			}
		}
		for k := rm; len(k) > 0; k = k[sortKeyLen:] {
			if !old.inserted(k[:sortKeyLen]) {
				gone = append(gone, k[:sortKeyLen]...)
			}
		}
		d.del = union(difference(old.del, add), gone)
		add = difference(add, old.del)
	} else {
		d.del = rm
	}
	if len(add) > 0 {
		c := add
		for len(d.ins) > 0 && len(d.ins[len(d.ins)-1]) <= 2*len(c) {
			c = mergeSorted(d.ins[len(d.ins)-1], c)
			d.ins = d.ins[:len(d.ins)-1]
		}
		d.ins = append(d.ins, c)
		d.n += len(add) / sortKeyLen
	}
	w.o.entries += d.size() - old.size()
	w.o.inSlice[sliceOf(i, prefix)] += d.size() - old.size()
	if d.size() == 0 {
		delete(m, string(prefix))
		return
	}
	m[string(prefix)] = d
}

// own returns index i's map of prefixes, cloned for w on first use.
func (w *overlayWriter) own(i int) map[string]*runDelta {
	if !w.owned[i] {
		w.o.prefixes[i] = maps.Clone(w.o.prefixes[i])
		if w.o.prefixes[i] == nil {
			w.o.prefixes[i] = map[string]*runDelta{}
		}
		w.owned[i] = true
	}
	return w.o.prefixes[i]
}

// union merges two packed ascending sets into a new one.
func union(a, b []byte) []byte {
	switch {
	case len(a) == 0:
		return b
	case len(b) == 0:
		return a
	}
	return mergeSorted(a, b)
}

// difference returns the keys of a not in b, sharing a when none is
// removed.
func difference(a, b []byte) []byte {
	if len(a) == 0 || len(b) == 0 {
		return a
	}
	var out []byte
	kept := 0 // keys of a copied into out, or kept as a prefix of a
	for i := 0; i < len(a); i += sortKeyLen {
		k := a[i : i+sortKeyLen]
		j, found := searchRun(b, k)
		b = b[j*sortKeyLen:]
		if found {
			if out == nil {
				out = make([]byte, 0, len(a)-sortKeyLen)
				out = append(out, a[:kept]...)
			}
			continue
		}
		if out != nil {
			out = append(out, k...)
		}
		kept += sortKeyLen
	}
	if out == nil {
		return a
	}
	return out
}

// each calls fn for every prefix of index i with changes, in prefix
// order.
func (o *overlay) each(i int, fn func(prefix string, d *runDelta) error) error {
	if o.prefixes == nil {
		return nil
	}
	for _, p := range slices.Sorted(maps.Keys(o.prefixes[i])) {
		if err := fn(p, o.prefixes[i][p]); err != nil {
			return err
		}
	}
	return nil
}

// ---- the log ----

// A log value is a sequence of segments, one per prefix and fold:
//
//	index (1 byte) · uvarint len(prefix) · prefix · uvarint adds · uvarint removes · adds · removes
//
// where adds and removes are packed sort keys. Folding the values in key
// order rebuilds the overlay: a slice's records come in txid order, and
// slices hold disjoint sets of prefixes.

func appendSegment(b []byte, i int, prefix, add, rm []byte) []byte {
	b = append(b, byte(i))
	b = binary.AppendUvarint(b, uint64(len(prefix)))
	b = append(b, prefix...)
	b = binary.AppendUvarint(b, uint64(len(add)/sortKeyLen))
	b = binary.AppendUvarint(b, uint64(len(rm)/sortKeyLen))
	b = append(b, add...)
	return append(b, rm...)
}

var errBadLog = errors.New("malformed index log record")

// foldRecord folds the segments of one log value into w.
func (w *overlayWriter) foldRecord(v []byte) error {
	return w.foldRecordAs(v, func(i int) (int, bool) { return i, i < len(deferred) })
}

// foldRecordAs folds the segments of one log value into w, with the
// index numbers of the log mapped to deferred's by index, which returns
// i = -1 for a segment to drop and ok = false for a number it does not
// know. A migration reads an older schema's log with it.
func (w *overlayWriter) foldRecordAs(v []byte, index func(logged int) (i int, ok bool)) error {
	for len(v) > 0 {
		i, ok := index(int(v[0]))
		v = v[1:]
		if !ok || i >= len(deferred) {
			return errBadLog
		}
		n, k := binary.Uvarint(v)
		if k <= 0 || uint64(len(v)-k) < n {
			return errBadLog
		}
		prefix := v[k : k+int(n)]
		v = v[k+int(n):]
		na, k1 := binary.Uvarint(v)
		if k1 <= 0 {
			return errBadLog
		}
		nr, k2 := binary.Uvarint(v[k1:])
		if k2 <= 0 {
			return errBadLog
		}
		v = v[k1+k2:]
		if na > uint64(len(v))/sortKeyLen || nr > uint64(len(v))/sortKeyLen-na {
			return errBadLog
		}
		add := v[:na*sortKeyLen]
		rm := v[na*sortKeyLen : (na+nr)*sortKeyLen]
		v = v[(na+nr)*sortKeyLen:]
		if !ascending(add) || !ascending(rm) {
			return errBadLog
		}
		if i < 0 {
			continue
		}
		// Copied: the overlay outlives the transaction whose pages these are.
		w.fold(i, []byte(string(prefix)), copyBytes(add), copyBytes(rm))
		w.o.logged[sliceOf(i, prefix)] += int(na + nr)
	}
	return nil
}

// ascending reports whether packed sort keys are strictly ascending.
func ascending(keys []byte) bool {
	for i := sortKeyLen; i < len(keys); i += sortKeyLen {
		if cmpKey(keys[i-sortKeyLen:i], keys[i:i+sortKeyLen]) >= 0 {
			return false
		}
	}
	return true
}

// loadOverlay folds the whole index log of tx into a new overlay.
func loadOverlay(tx *bolt.Tx) (*overlay, error) {
	w := newOverlayWriter(nil)
	if b := tx.Bucket(bIxLog); b != nil {
		if err := b.ForEach(func(k, v []byte) error {
			if err := w.foldRecord(v); err != nil {
				return fmt.Errorf("index log record %x: %w", k, err)
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	o := w.o
	o.txid = uint64(tx.ID())
	return o, nil
}

// logSlices is the number of parts the overlay is written out in.
const logSlices = 8

// sliceOf is the slice of index i's prefix: FNV-1a of both, which must
// not change, as the log's keys depend on it.
func sliceOf(i int, prefix []byte) int {
	h := uint32(2166136261)
	h = (h ^ uint32(i)) * 16777619
	for _, c := range prefix {
		h = (h ^ uint32(c)) * 16777619
	}
	return int(h % logSlices)
}

// logKey is the key of a transaction's log record of one slice.
func logKey(slice int, txid uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{byte(slice)}, txid)
}

// due returns the slice to write out next, if the overlay is over its
// bounds: the one with the most entries when it holds limit entries,
// else the one whose log is longest when the log holds twice as many.
func (o *overlay) due(limit int) (slice int, ok bool) {
	logged := 0
	for _, n := range o.logged {
		logged += n
	}
	var by *[logSlices]int
	switch {
	case o.entries > 0 && o.entries >= limit:
		by = &o.inSlice
	case logged > 0 && logged >= 2*limit:
		by = &o.logged
	default:
		return 0, false
	}
	for s, n := range by {
		if n > by[slice] {
			slice = s
		}
	}
	return slice, true
}

// writeSlice merges the changes of one slice into the runs of their
// indexes, drops them from the overlay and deletes the slice's log
// records.
func (w *overlayWriter) writeSlice(tx *bolt.Tx, slice int) error {
	for i, name := range deferred {
		var done []string
		for p := range w.o.prefixes[i] {
			if sliceOf(i, []byte(p)) == slice {
				done = append(done, p)
			}
		}
		if len(done) == 0 {
			continue
		}
		// In prefix order, as applyPending writes: neighbouring prefixes
		// share pages.
		slices.Sort(done)
		b := tx.Bucket(name)
		m := w.own(i)
		for _, p := range done {
			d := m[p]
			if err := updateRuns(b, []byte(p), d.added(), d.del); err != nil {
				return err
			}
			w.o.entries -= d.size()
			delete(m, p)
		}
	}
	w.o.inSlice[slice], w.o.logged[slice] = 0, 0
	b := tx.Bucket(bIxLog)
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek([]byte{byte(slice)}); k != nil && k[0] == byte(slice); k, _ = c.Next() {
		keys = append(keys, copyBytes(k))
	}
	// Collected first: bbolt's cursor skips keys after a delete under it.
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
