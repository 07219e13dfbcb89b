package domain

import (
	"slices"
	"strings"
)

// ParseSearch splits a full-text search into what a statement's text must
// contain: every word (Tokens, so case and diacritics are folded), and
// each quoted phrase of several words in sequence. A word inside a phrase
// is a word too. A Chinese or Japanese word of more than two characters,
// which Tokens makes several pairs, is a phrase of its pairs: "坚决反对"
// finds the texts that have it, not those with "坚决" here and "反对"
// there. Every reader of a search, the store's query and a
// subscription's filter alike, parses it here, so that they agree on
// what matches.
func ParseSearch(s string) (words []string, phrases [][]string) {
	return parseSearch(s, true)
}

// SearchTerms splits a search as ParseSearch does, except that a
// phrase's words are not words of their own: what a highlighter marks
// wherever it occurs, and the phrases it marks only where they occur.
func SearchTerms(s string) (words []string, phrases [][]string) {
	return parseSearch(s, false)
}

func parseSearch(s string, phraseWords bool) (words []string, phrases [][]string) {
	add := func(toks []string) {
		for _, t := range toks {
			if !slices.Contains(words, t) {
				words = append(words, t)
			}
		}
	}
	for i, part := range strings.Split(s, `"`) {
		toks := Tokens(part)
		switch {
		case i%2 == 1 && len(toks) > 1:
			phrases = append(phrases, toks)
			if phraseWords {
				add(toks)
			}
		case slices.ContainsFunc(toks, HasCJK):
			for _, w := range TokensSchema5(part) {
				ts := appendWordTokens(nil, w)
				if len(ts) > 1 {
					phrases = append(phrases, ts)
					if !phraseWords {
						continue
					}
				}
				add(ts)
			}
		default:
			add(toks)
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
