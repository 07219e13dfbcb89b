package domain

import (
	"slices"
	"strings"
)

// ParseSearch splits a full-text search into what a statement's text must
// contain: every word (Tokens, so case and diacritics are folded), and
// each quoted phrase of several words in sequence. A word inside a phrase
// is a word too. Every reader of a search, the store's query and a
// subscription's filter alike, parses it here, so that they agree on
// what matches.
func ParseSearch(s string) (words []string, phrases [][]string) {
	for i, part := range strings.Split(s, `"`) {
		toks := Tokens(part)
		if i%2 == 1 && len(toks) > 1 {
			phrases = append(phrases, toks)
		}
		for _, tok := range toks {
			if !slices.Contains(words, tok) {
				words = append(words, tok)
			}
		}
	}
	return words, phrases
}

// HasPhrase reports whether the tokens of a text contain phrase in
// sequence.
func HasPhrase(toks, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(toks); i++ {
		if slices.Equal(toks[i:i+len(phrase)], phrase) {
			return true
		}
	}
	return false
}
