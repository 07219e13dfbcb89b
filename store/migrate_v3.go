package store

import (
	"crypto/sha256"
	"encoding/binary"

	bolt "go.etcd.io/bbolt"
)

// Schema version 3 kept the natural-key indexes as one bbolt key per
// record: sha256(statement's natural key) → id in stmt_nat, and
// speakerID · topicID · asOf → id in pos_nat. Version 4 keeps them as
// runs of sha256[:8] · id in sr_nat and pr_nat (natkeys.go).

// Version 3's natural-key indexes.
var (
	bV3StmtNat = []byte("stmt_nat")
	bV3PosNat  = []byte("pos_nat")
)

func init() { migrations[3] = oneStep(migrateV3NaturalKeysToRuns) }

// migrateV3NaturalKeysToRuns rewrites the natural-key indexes as runs and
// drops the old buckets, in one transaction: it holds 16 bytes per record
// in memory (16 MiB for a million statements) and writes about as much.
func migrateV3NaturalKeysToRuns(tx *bolt.Tx) error {
	stmtHash := func(k []byte) []byte { return k } // already the sha256
	posHash := func(k []byte) []byte { h := sha256.Sum256(k); return h[:] }
	for _, m := range []struct {
		old, new []byte
		hash     func(k []byte) []byte
	}{{bV3StmtNat, bSxNat, stmtHash}, {bV3PosNat, bPxNat, posHash}} {
		if err := natIndexToRuns(tx, m.old, m.new, m.hash); err != nil {
			return err
		}
	}
	return nil
}

// natIndexToRuns moves the entries key → id of bucket old into the runs
// of bucket nu as hash(key)[:8] · id, and drops old.
func natIndexToRuns(tx *bolt.Tx, old, nu []byte, hash func(k []byte) []byte) error {
	ob := tx.Bucket(old)
	if ob == nil {
		return nil // a database that never had one
	}
	b, err := tx.CreateBucketIfNotExists(nu)
	if err != nil {
		return err
	}
	b.FillPercent = runsFillPercent
	var entries []keyOp
	err = ob.ForEach(func(k, v []byte) error {
		if h := hash(k); len(h) >= 8 && len(v) == idLen {
			entries = append(entries, keyOp{hi: binary.BigEndian.Uint64(h), lo: binary.BigEndian.Uint64(v), d: 1})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := writeEntries(b, entries); err != nil {
		return err
	}
	return tx.DeleteBucket(old)
}
