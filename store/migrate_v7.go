package store

import (
	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// Schema version 7 indexed a run of Chinese or Japanese characters as one
// search word, so that no word written inside a sentence could be found.
// Version 8's tokenizer gives such a run's overlapping pairs of
// characters (domain.Tokens), so the search index entries of texts with
// those characters change.

func init() { migrations[7] = oneStep(migrateV7CJKTokens) }

// migrateV7CJKTokens writes the index log into the runs (the word index is
// deferred, and this migration writes its runs directly), then moves the
// word index entries of the statements whose text has Chinese or Japanese
// characters from their schema 7 tokens to their tokens now. Other texts
// tokenize as before, so it reads every record but rewrites only those,
// in one transaction.
func migrateV7CJKTokens(tx *bolt.Tx) error {
	identity := func(logged int) (int, bool) { return logged, logged < len(deferred) }
	if err := writeOutLog(tx, identity); err != nil {
		return err
	}
	return moveWordEntries(tx, domain.TokensChangedSince5, domain.TokensSchema5, domain.Tokens)
}
