package store

import (
	"encoding/binary"
	"math"

	"parley/domain"
)

// Key encoding. Every integer in a key is big-endian and fixed-width so
// that bbolt's byte order is the numeric order, and composite keys are the
// concatenation of fixed-width parts so that a prefix selects a range:
//
//	id       8 bytes, big-endian uint64
//	day      4 bytes, big-endian uint32 of (Day + 2^31); 0 means unknown
//	dateKey  8 bytes: day(start) day(end)      — the order of partial dates
//	sortKey 16 bytes: dateKey id               — the statement date order
//
// Unknown dates encode as all zeros, so they sort before every known date.

const (
	idLen      = 8
	dayLen     = 4
	dateKeyLen = 2 * dayLen
	sortKeyLen = dateKeyLen + idLen
)

func putID(b []byte, id domain.ID) { binary.BigEndian.PutUint64(b, uint64(id)) }

func idKey(id domain.ID) []byte {
	b := make([]byte, idLen)
	putID(b, id)
	return b
}

func getID(b []byte) domain.ID { return domain.ID(binary.BigEndian.Uint64(b)) }

func dayBits(d domain.Day) uint32 { return uint32(int64(d) + math.MaxInt32 + 1) }

func putDateKey(b []byte, p domain.PartialDate) {
	if p.IsZero() {
		clear(b[:dateKeyLen])
		return
	}
	binary.BigEndian.PutUint32(b, dayBits(p.Start()))
	binary.BigEndian.PutUint32(b[dayLen:], dayBits(p.End()))
}

// sortKey is a statement's position in date order.
func sortKey(s *domain.Statement) []byte {
	b := make([]byte, sortKeyLen)
	putDateKey(b, s.SaidOn)
	putID(b[dateKeyLen:], s.ID)
	return b
}

// posKey is a position's place in asOf order: dateKey then id.
func posKey(p *domain.Position) []byte {
	b := make([]byte, sortKeyLen)
	putDateKey(b, p.AsOf)
	putID(b[dateKeyLen:], p.ID)
	return b
}

// dayBound returns the smallest sort key whose start day is d: the lower
// bound of "starts on or after d".
func dayBound(d domain.Day) []byte {
	b := make([]byte, sortKeyLen)
	binary.BigEndian.PutUint32(b, dayBits(d))
	return b
}

// dayUpper returns the largest sort key whose start day is d: the upper
// bound of "starts on or before d".
func dayUpper(d domain.Day) []byte {
	b := make([]byte, sortKeyLen)
	binary.BigEndian.PutUint32(b, dayBits(d))
	for i := dayLen; i < sortKeyLen; i++ {
		b[i] = 0xff
	}
	return b
}

// endDay decodes the end day of a sort key; ok is false for unknown dates.
func endDay(sk []byte) (domain.Day, bool) {
	bits := binary.BigEndian.Uint32(sk[dayLen:])
	if bits == 0 && binary.BigEndian.Uint32(sk) == 0 {
		return 0, false
	}
	return domain.Day(int64(bits) - math.MaxInt32 - 1), true
}

// cat concatenates key parts into a new slice.
func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// wordPrefix is the prefix of a search token's postings: the token then a
// zero byte, which no token contains, so "abc" never matches "abcd".
func wordPrefix(tok string) []byte { return append([]byte(tok), 0) }

// kindByte is the one-byte form of a statement kind in index keys.
func kindByte(k domain.StatementKind) []byte {
	if k == domain.StatementQuote {
		return kindQuote
	}
	return kindParaphrase
}

// The kind prefixes, shared: index keys are only ever read from them.
var kindQuote, kindParaphrase = []byte{'Q'}, []byte{'P'}

// countryKey is the index prefix of a country: exactly two bytes, "--"
// for none so every prefix has the same width.
func countryKey(c string) []byte {
	if c == "" {
		return noCountry
	}
	return []byte(c)
}

var noCountry = []byte("--")

// successor returns the smallest key greater than every key with prefix p,
// or nil when there is none (p is all 0xff).
func successor(p []byte) []byte {
	b := append([]byte(nil), p...)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xff {
			b[i]++
			return b[:i+1]
		}
	}
	return nil
}
