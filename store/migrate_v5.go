package store

import bolt "go.etcd.io/bbolt"

// Schema version 6 adds the index log (overlay.go): a version 5 build
// would neither read the overlay's entries nor write new ones through
// it, so it must not open a database whose log is not empty.

func init() { migrations[5] = oneStep(migrateV5IndexLog) }

// migrateV5IndexLog creates the empty index log, if an earlier migration
// has not (those create every bucket missing): the runs already hold
// every entry.
func migrateV5IndexLog(tx *bolt.Tx) error {
	_, err := tx.CreateBucketIfNotExists(bIxLog)
	return err
}
