package store

import (
	"slices"

	bolt "go.etcd.io/bbolt"

	"parley/domain"
)

// Schema version 4 indexed statement text with the tokenizer of the time,
// which kept the apostrophe U+02BC inside words and split words at
// invisible formatting characters (a soft hyphen). Version 5's tokenizer
// splits at every apostrophe and drops those characters
// (domain.Tokens), so the search index entries of texts with either
// change.

func init() { migrations[4] = oneStep(migrateV4Tokens) }

// migrateV4Tokens moves the word index entries of the statements whose
// text has U+02BC or a formatting character from their schema 4 tokens to
// their tokens now. Other texts tokenize as before, so it reads every
// record but rewrites only those few, in one transaction.
func migrateV4Tokens(tx *bolt.Tx) error {
	t := &txn{tx: tx}
	err := tx.Bucket(bStatements).ForEach(func(k, v []byte) error {
		s, err := decodeStatement(getID(k), v)
		if err != nil {
			return err
		}
		if !domain.TokensChangedSince4(s.Text) {
			return nil
		}
		before, after := indexableTokens(domain.TokensSchema4(s.Text)), indexableTokens(domain.Tokens(s.Text))
		sk := sortKey(s)
		for _, w := range before {
			if !slices.Contains(after, w) {
				t.stage(bSxWord, wordPrefix(w), sk, -1)
			}
		}
		for _, w := range after {
			if !slices.Contains(before, w) {
				t.stage(bSxWord, wordPrefix(w), sk, 1)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return t.flush()
}
