package store

import (
	"bytes"
	"encoding/binary"

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
	{[]byte("sx_source"), bV6Source},
	{[]byte("sx_word"), bSxWord},
	{[]byte("px_all"), bPxAll},
	{[]byte("px_topic"), bPxTopic},
	{[]byte("px_speaker"), bPxSpeaker},
}

func init() { migrations[2] = migrateV2IndexesToRuns }

// migrateStepEntries bounds the index entries one step of the migration
// moves: about 16 MiB of runs, plus the pages bbolt rewrites, held until
// the step commits (a whole million-statement database in one
// transaction would be well over a GiB).
var migrateStepEntries = 1 << 20

// mMigrateV2 is where the migration from version 2 stands between steps:
// the index of the bucket pair it is in, then the last old key it moved.
// It exists only while the migration is unfinished.
var mMigrateV2 = []byte("migrate_v2_at")

// migrateV2IndexesToRuns rewrites the date-ordered indexes of a version 2
// database as runs and drops the counters, in steps. The old keys are in
// prefix order with each prefix's sort keys ascending, so a step reads on
// from where the last one stopped and appends the entries it reads to
// their prefix's runs (at most runCap entries each). A prefix cut by a step
// boundary gets one more run; readers merge a prefix's runs anyway. An old
// bucket is dropped once it has been read to the end.
func migrateV2IndexesToRuns(tx *bolt.Tx) (more bool, err error) {
	meta := tx.Bucket(bMeta)
	pair, after := 0, []byte(nil)
	if v := meta.Get(mMigrateV2); len(v) >= 4 {
		pair, after = int(binary.BigEndian.Uint32(v)), copyBytes(v[4:])
	}
	budget := migrateStepEntries
	for ; pair < len(v2RunBuckets); pair, after = pair+1, nil {
		old := tx.Bucket(v2RunBuckets[pair][0])
		nb, err := tx.CreateBucketIfNotExists(v2RunBuckets[pair][1])
		if err != nil {
			return false, err
		}
		if old == nil {
			continue // an index version 2 never created
		}
		var prefix, data, last []byte
		write := func() error {
			if len(data) == 0 {
				return nil
			}
			runs := readDir(nb, prefix)
			seq := uint64(1)
			if len(runs) > 0 {
				seq = runs[len(runs)-1].seq + 1
			}
			for ; len(data) > 0; seq++ {
				n := min(len(data), runCap*sortKeyLen)
				if err := writeRun(nb, prefix, seq, data[:n:n]); err != nil {
					return err
				}
				runs = append(runs, runInfo{seq, n / sortKeyLen})
				data = data[n:]
			}
			data = nil
			return writeDir(nb, prefix, runs)
		}
		c := old.Cursor()
		k, _ := c.First()
		if after != nil {
			if k, _ = c.Seek(after); k != nil && bytes.Equal(k, after) {
				k, _ = c.Next()
			}
		}
		for ; k != nil; k, _ = c.Next() {
			if budget == 0 {
				if err := write(); err != nil {
					return false, err
				}
				at := binary.BigEndian.AppendUint32(nil, uint32(pair))
				return true, meta.Put(mMigrateV2, append(at, last...))
			}
			last = k
			if len(k) < sortKeyLen {
				continue // not an index entry; Verify of version 2 would have said so
			}
			p, sk := k[:len(k)-sortKeyLen], k[len(k)-sortKeyLen:]
			if prefix == nil || !bytes.Equal(p, prefix) {
				if err := write(); err != nil {
					return false, err
				}
				prefix = append([]byte{}, p...)
			}
			data = append(data, sk...)
			budget--
		}
		if err := write(); err != nil {
			return false, err
		}
		if err := tx.DeleteBucket(v2RunBuckets[pair][0]); err != nil {
			return false, err
		}
	}
	if err := meta.Delete(mMigrateV2); err != nil {
		return false, err
	}
	if tx.Bucket(bV2Counts) == nil {
		return false, nil
	}
	return false, tx.DeleteBucket(bV2Counts)
}
