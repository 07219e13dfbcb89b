package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Level zero: where the run buckets with many small prefixes keep their
// newest entries.
//
// A batch of 1,000 statements changes about 1,400 prefixes of the
// speaker, topic, source and country indexes and of the position lists
// by speaker and topic, most by a few entries (a source gets one, a topic
// ten). Every prefix changed costs its directory's and newest run's leaf
// page and the branch pages above them, whatever the number of entries:
// at a million statements that was about 12 MB of the 24 MB a batch
// wrote (docs/architecture.md, "Known limits of the write path").
//
// Those buckets' new entries go instead to a small companion bucket, one
// key per entry (prefix · sortKey), where the entries of all prefixes
// share pages: a batch's ~5,600 entries dirty the few hundred pages of
// that bucket, not a page per prefix. When it holds more than
// levelZeroMax entries, it is merged into the prefixes' runs (each prefix
// changed once for many batches) and emptied. Readers treat a prefix's
// entries in it as one more run; removals look there first.

// levelZeroMax is the most entries a level zero holds before it is
// merged into the runs: about ten batches of speaker or source entries.
// Larger, every batch would touch more of its pages; smaller, merges
// would come more often.
var levelZeroMax = 1 << 14

// levelZeroOf names the level zero of each run bucket that has one.
var levelZeroOf = map[string][]byte{
	string(bSxSpeaker): []byte("sl_speaker"),
	string(bSxTopic):   []byte("sl_topic"),
	string(bSxSource):  []byte("sl_source"),
	string(bSxCountry): []byte("sl_country"),
	string(bPxTopic):   []byte("pl_topic"),
	string(bPxSpeaker): []byte("pl_speaker"),
}

// isLevelZero reports whether bucket is a level zero.
func isLevelZero(bucket []byte) bool {
	for _, lz := range levelZeroOf {
		if bytes.Equal(lz, bucket) {
			return true
		}
	}
	return false
}

// levelZero is the level zero of bucket, or nil.
func levelZero(bucket []byte) []byte { return levelZeroOf[string(bucket)] }

// present reports whether b holds key (level zero's values are empty,
// which a Get does not tell from a missing key).
func present(b *bolt.Bucket, key []byte) bool {
	k, _ := b.Cursor().Seek(key)
	return bytes.Equal(k, key)
}

// applyLevelZero adds ins to level zero lz under prefix and removes from
// it the entries of del it holds; it returns the entries of del that are
// in the runs instead (packed, ascending, reusing del's array).
func applyLevelZero(lz *bolt.Bucket, prefix, ins, del []byte) ([]byte, error) {
	rest := del[:0]
	for ; len(del) > 0; del = del[sortKeyLen:] {
		k := cat(prefix, del[:sortKeyLen])
		if !present(lz, k) {
			rest = append(rest, del[:sortKeyLen]...)
			continue
		}
		if err := lz.Delete(k); err != nil {
			return nil, err
		}
	}
	for ; len(ins) > 0; ins = ins[sortKeyLen:] {
		if err := lz.Put(cat(prefix, ins[:sortKeyLen]), []byte{}); err != nil {
			return nil, err
		}
	}
	return rest, nil
}

// mergeLevelZero moves the entries of bucket's level zero into its runs
// when there are more than levelZeroMax, and empties it.
func (t *txn) mergeLevelZero(bucket []byte) error {
	name := levelZero(bucket)
	lz := t.b(name)
	if lz == nil || lz.Stats().KeyN <= levelZeroMax {
		return nil
	}
	b := t.b(bucket)
	var prefix, ins []byte
	flush := func() error {
		if len(ins) == 0 {
			return nil
		}
		err := updateRuns(b, prefix, ins, nil)
		ins = nil // updateRuns may keep it until commit
		return err
	}
	c := lz.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		p := k[:len(k)-sortKeyLen]
		if !bytes.Equal(p, prefix) {
			if err := flush(); err != nil {
				return err
			}
			prefix = copyBytes(p)
		}
		ins = append(ins, k[len(p):]...)
	}
	if err := flush(); err != nil {
		return err
	}
	if err := t.tx.DeleteBucket(name); err != nil {
		return err
	}
	_, err := t.tx.CreateBucket(name)
	return err
}

// levelZeroSuffixes returns copies of the sort keys under prefix in
// bucket's level zero, ascending (none when it has no level zero).
func (t *txn) levelZeroSuffixes(bucket, prefix []byte) []byte {
	name := levelZero(bucket)
	if name == nil {
		return nil
	}
	var out []byte
	c := t.b(name).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		out = append(out, k[len(prefix):]...)
	}
	return out
}
