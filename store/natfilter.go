package store

import (
	"bytes"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// A write looks up the natural key of every statement and position it
// writes (natkeys.go), and an import of new records asks twice per record:
// once while planning, once in the store's own check. At a million
// statements a lookup seeks each of the index's runs, half a dozen, and
// nearly always finds nothing: it was 8% of the writer's time in the W1
// import (docs/benchmarks.md, ninth session).
//
// natFilter is a Bloom filter of the 64-bit hashes a natural-key index
// holds, kept by the Store for its write transactions: a hash it has never
// seen is in no run and no staged change, and the lookup stops there. It
// only ever answers "absent" for a hash that is absent: every hash a write
// transaction stages is added before anything can look it up, a removed
// hash stays in (a false "maybe"), and so does one of a transaction that
// rolls back. The filter is built from the index by the first write
// transaction that needs it, and again, twice as large, once it holds more
// hashes than it was sized for; read transactions never use it.
type natFilter struct {
	bits []uint64
	mask uint64 // number of bits − 1, a power of two
	n    int    // hashes added, counting those it was built from
	cap  int    // hashes it was sized for
}

// natBitsPerHash sizes a filter: with 16 bits per hash and natProbes
// probes, a hash never added passes about one time in 400.
const (
	natBitsPerHash = 16
	natProbes      = 4
)

// natMinHashes is the least number of hashes a filter is sized for (a
// variable for the tests, which make filters outgrow their size).
var natMinHashes = 1 << 16

func newNatFilter(hashes int) *natFilter {
	capacity := natMinHashes
	for capacity < 2*hashes {
		capacity *= 2
	}
	nbits := max(capacity*natBitsPerHash, 64)
	return &natFilter{bits: make([]uint64, nbits/64), mask: uint64(nbits - 1), cap: capacity}
}

// probe returns the i-th bit of h: double hashing, the second hash odd so
// that the probes differ.
func (f *natFilter) probe(h uint64, i int) uint64 {
	return (h + uint64(i)*(mix64(h)|1)) & f.mask
}

func (f *natFilter) add(h uint64) {
	for i := range natProbes {
		b := f.probe(h, i)
		f.bits[b/64] |= 1 << (b % 64)
	}
	f.n++
}

// mayHave reports whether h may be in the index; false means it is not.
func (f *natFilter) mayHave(h uint64) bool {
	for i := range natProbes {
		b := f.probe(h, i)
		if f.bits[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

// buildNatFilter reads every entry of a natural-key index (runs, no
// prefix) into a new filter.
func buildNatFilter(b *bolt.Bucket) *natFilter {
	runs := readDir(b, nil)
	n := 0
	for _, r := range runs {
		n += r.n
	}
	f := newNatFilter(n)
	c := b.Cursor()
	for _, r := range runs {
		rk := runKey(nil, r.seq)
		for k, v := c.Seek(rk); k != nil && bytes.HasPrefix(k, rk); k, v = c.Next() {
			if !inRun(k, rk) {
				continue
			}
			for ; len(v) >= sortKeyLen; v = v[sortKeyLen:] {
				f.add(binary.BigEndian.Uint64(v))
			}
		}
	}
	return f
}

// natFilters are the filters of the two natural-key indexes.
type natFilters struct {
	statements, positions *natFilter
}

// ready builds the filters a write transaction will use, or rebuilds one
// that has outgrown its size; called at the start of the transaction,
// when the index holds exactly what is committed.
func (fs *natFilters) ready(tx *bolt.Tx) {
	if f := fs.statements; f == nil || f.n > f.cap {
		fs.statements = buildNatFilter(tx.Bucket(bSxNat))
	}
	if f := fs.positions; f == nil || f.n > f.cap {
		fs.positions = buildNatFilter(tx.Bucket(bPxNat))
	}
}

// of returns the filter of a natural-key index, or nil for another bucket
// or a transaction without filters.
func (fs *natFilters) of(bucket []byte) *natFilter {
	switch {
	case fs == nil:
		return nil
	case bytes.Equal(bucket, bSxNat):
		return fs.statements
	case bytes.Equal(bucket, bPxNat):
		return fs.positions
	}
	return nil
}
