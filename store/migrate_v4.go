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
// (domain.TokensSchema5, the tokenizer of schemas 5 to 7), so the search
// index entries of texts with either change.

func init() { migrations[4] = oneStep(migrateV4Tokens) }

// migrateV4Tokens moves the word index entries of the statements whose
// text has U+02BC or a formatting character from their schema 4 tokens to
// their schema 5 tokens. Other texts tokenize as before, so it reads every
// record but rewrites only those few, in one transaction.
func migrateV4Tokens(tx *bolt.Tx) error {
	return moveWordEntries(tx, domain.TokensChangedSince4, domain.TokensSchema4, domain.TokensSchema5)
}

// moveWordEntries moves the word index entries of the statements whose
// text changed says tokenizes differently from the tokens of before to
// those of after, writing the runs directly (not through the index log).
func moveWordEntries(tx *bolt.Tx, changed func(text string) bool, before, after func(text string) []string) error {
	t := &txn{tx: tx}
	err := tx.Bucket(bStatements).ForEach(func(k, v []byte) error {
		s, err := decodeStatement(getID(k), v)
		if err != nil {
			return err
		}
		if !changed(s.Text) {
			return nil
		}
		old, now := indexableTokens(before(s.Text)), indexableTokens(after(s.Text))
		sk := sortKey(s)
		for _, w := range old {
			if !slices.Contains(now, w) {
				t.stage(bSxWord, wordPrefix(w), sk, -1)
			}
		}
		for _, w := range now {
			if !slices.Contains(old, w) {
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
