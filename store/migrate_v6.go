package store

import (
	"slices"

	bolt "go.etcd.io/bbolt"
)

// Schema version 6 kept the citations as a statement index, sr_source:
// runs of sort keys under each source's id, deferred through the index
// log as its index number 3. Version 7 keeps them as runs of
// sourceID · statementID under no prefix, in sr_cites (cites.go), and
// the index log numbers the remaining deferred indexes from 0 without it.

// bV6Source is version 6's citations index.
var bV6Source = []byte("sr_source")

// v6SourceIndex is sr_source's number in a version 6 index log.
const v6SourceIndex = 3

func init() { migrations[6] = oneStep(migrateV6Citations) }

// migrateV6Citations writes the whole version 6 index log into the runs
// (but for sr_source's changes) and empties it, since its index numbers
// are not this version's; then drops sr_source and builds sr_cites from
// the statements. One transaction: it holds the log's entries (at most
// about twice IndexLogLimit) and 16 bytes per citation in memory.
func migrateV6Citations(tx *bolt.Tx) error {
	v6Index := func(logged int) (int, bool) {
		switch {
		case logged == v6SourceIndex:
			return -1, true // replaced below, from the records
		case logged > v6SourceIndex:
			logged--
		}
		return logged, logged < len(deferred)
	}
	if err := writeOutLog(tx, v6Index); err != nil {
		return err
	}

	if tx.Bucket(bV6Source) != nil {
		if err := tx.DeleteBucket(bV6Source); err != nil {
			return err
		}
	}
	// A version 6 file has none, but one made from a newer file (as the
	// tests make older files) may: its entries would be counted twice.
	if tx.Bucket(bSxCites) != nil {
		if err := tx.DeleteBucket(bSxCites); err != nil {
			return err
		}
	}
	b, err := tx.CreateBucket(bSxCites)
	if err != nil {
		return err
	}
	b.FillPercent = runsFillPercent
	var entries []keyOp
	err = tx.Bucket(bStatements).ForEach(func(k, v []byte) error {
		s, err := decodeStatement(getID(k), v)
		if err != nil {
			return err
		}
		for _, src := range s.SourceIDs {
			entries = append(entries, keyOp{hi: uint64(src), lo: uint64(s.ID), d: 1})
		}
		return nil
	})
	if err != nil {
		return err
	}
	return writeEntries(b, entries)
}

// writeOutLog folds the whole index log, its index numbers mapped to
// deferred's by index (overlayWriter.foldRecordAs), writes it into the
// runs and leaves the log empty: a migration that changes the deferred
// indexes, or writes them directly, starts from runs that hold every
// entry.
func writeOutLog(tx *bolt.Tx, index func(logged int) (int, bool)) error {
	w := newOverlayWriter(nil)
	if b := tx.Bucket(bIxLog); b != nil {
		if err := b.ForEach(func(_, v []byte) error { return w.foldRecordAs(v, index) }); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bIxLog); err != nil {
			return err
		}
	}
	if _, err := tx.CreateBucket(bIxLog); err != nil {
		return err
	}
	for i, name := range deferred {
		b := tx.Bucket(name)
		b.FillPercent = runsFillPercent
		if err := w.o.each(i, func(p string, d *runDelta) error {
			return updateRuns(b, []byte(p), d.added(), d.del)
		}); err != nil {
			return err
		}
	}
	return nil
}

// writeEntries sorts the entries of an index kept as runs under no prefix
// and adds them to its runs, in runs of at most runCap entries, as the
// merge policy builds them.
func writeEntries(b *bolt.Bucket, entries []keyOp) error {
	slices.SortFunc(entries, compareOps)
	for len(entries) > 0 {
		n := min(len(entries), runCap)
		run := make([]byte, 0, n*sortKeyLen)
		for _, e := range entries[:n] {
			run = e.appendKey(run)
		}
		if err := updateRuns(b, nil, run, nil); err != nil {
			return err
		}
		entries = entries[n:]
	}
	return nil
}
