package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Schema version 2 kept each statement index entry, and each entry of the
// position lists in asOf order, as one bbolt key (prefix · sortKey →
// empty) in the sx_* and px_all/px_topic/px_speaker buckets, with a
// counter per prefix of every index in the counts bucket. Version 3 keeps
// those indexes as sorted runs in the sr_* and pr_* buckets (runs.go),
// which count themselves, and has no counters: the planner read only the
// statement indexes' ones.

// bV2Counts is version 2's counters bucket.
var bV2Counts = []byte("counts")

// v2RunBuckets pairs each version 2 index that version 3 keeps as runs
// with its version 3 bucket.
var v2RunBuckets = [][2][]byte{
	{[]byte("sx_all"), bSxAll},
	{[]byte("sx_speaker"), bSxSpeaker},
	{[]byte("sx_topic"), bSxTopic},
	{[]byte("sx_country"), bSxCountry},
	{[]byte("sx_kind"), bSxKind},
	{[]byte("sx_source"), bSxSource},
	{[]byte("sx_word"), bSxWord},
	{[]byte("px_all"), bPxAll},
	{[]byte("px_topic"), bPxTopic},
	{[]byte("px_speaker"), bPxSpeaker},
}

func init() { migrations[2] = migrateV2IndexesToRuns }

// migrateV2IndexesToRuns rewrites the date-ordered indexes of a version 2
// database as runs and drops the counters. The old keys are in prefix
// order with each prefix's sort keys ascending, so every prefix is read
// once, front to back, and written as runs of at most runCap entries; only
// one prefix's entries are held in memory at a time.
func migrateV2IndexesToRuns(tx *bolt.Tx) error {
	for _, pair := range v2RunBuckets {
		old, err := tx.CreateBucketIfNotExists(pair[0])
		if err != nil {
			return err
		}
		nb, err := tx.CreateBucket(pair[1])
		if err != nil {
			return err
		}
		var prefix, data []byte
		write := func() error {
			var runs []runInfo
			for seq := uint64(1); len(data) > 0; seq++ {
				n := min(len(data), runCap*sortKeyLen)
				if err := writeRun(nb, prefix, seq, data[:n:n]); err != nil {
					return err
				}
				runs = append(runs, runInfo{seq, n / sortKeyLen})
				data = data[n:]
			}
			data = nil
			if len(runs) == 0 {
				return nil
			}
			return writeDir(nb, prefix, runs)
		}
		c := old.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < sortKeyLen {
				continue // not an index entry; Verify of version 2 would have said so
			}
			p, sk := k[:len(k)-sortKeyLen], k[len(k)-sortKeyLen:]
			if prefix == nil || !bytes.Equal(p, prefix) {
				if err := write(); err != nil {
					return err
				}
				prefix = append([]byte{}, p...)
			}
			data = append(data, sk...)
		}
		if err := write(); err != nil {
			return err
		}
		if err := tx.DeleteBucket(pair[0]); err != nil {
			return err
		}
	}
	if tx.Bucket(bV2Counts) == nil {
		return nil
	}
	return tx.DeleteBucket(bV2Counts)
}
