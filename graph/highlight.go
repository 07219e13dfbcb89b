package graph

import (
	"html"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"parley/domain"
)

// The marker around matched words in Statement.highlight. The rest of the
// text is HTML-escaped, so the result can be inserted into a page as HTML
// as it is, and a client that wants other markers replaces these two
// after unescaping.
const (
	markOpen  = "<mark>"
	markClose = "</mark>"
)

// highlight returns text, HTML-escaped, with the words that search matches
// wrapped in <mark>…</mark>: every word of the text equal to a search word
// once case and diacritics are folded, as the search index folds them
// (domain.Tokens), and every occurrence of a quoted "phrase", marked as one
// span. A phrase's words are marked only where the phrase occurs. It
// returns nil when search has no words, and the escaped text without
// marks when nothing matches.
func highlight(text, search string) *string {
	words, phrases := domain.SearchTerms(search)
	if len(words) == 0 && len(phrases) == 0 {
		return nil
	}
	// toks are the text's tokens in order, each with the span of text it
	// came from: the same sequence the index holds for the text.
	var toks []spanned
	for _, r := range wordRuns(text) {
		toks = appendRunTokens(toks, text, r)
	}
	var spans [][2]int
	for _, t := range toks {
		if slices.Contains(words, t.tok) {
			spans = append(spans, t.span)
		}
	}
	for _, ph := range phrases {
		for i := 0; i+len(ph) <= len(toks); i++ {
			match := true
			for j, w := range ph {
				if toks[i+j].tok != w {
					match = false
					break
				}
			}
			if match {
				spans = append(spans, [2]int{toks[i].span[0], toks[i+len(ph)-1].span[1]})
			}
		}
	}
	out := mark(text, mergeSpans(spans))
	return &out
}

// spanned is a token with the byte span of the text it came from.
type spanned struct {
	tok  string
	span [2]int
}

// appendRunTokens appends the tokens of the word run r of text, each
// spanning the run; but a token of a Chinese or Japanese pair of
// characters spans those two characters (with their marks), so that a
// match in a sentence written without spaces marks the word, not the
// sentence. Should folding not keep one character per character, the
// pairs span their whole part of the run; should the parts not tokenize
// as the run does (a character that folds into a digit and an ideograph,
// "㏠"), every token spans the run.
func appendRunTokens(out []spanned, text string, r [2]int) []spanned {
	run := text[r[0]:r[1]]
	toks := domain.Tokens(run)
	if slices.ContainsFunc(toks, domain.HasCJK) {
		if spans, ok := cjkSpans(text, r, toks); ok {
			return append(out, spans...)
		}
	}
	for _, t := range toks {
		out = append(out, spanned{t, r})
	}
	return out
}

// cjkSpans gives the tokens of the word run r of text, whose tokens are
// toks, their spans: it cuts the run into parts, alternately of
// characters that fold into Chinese or Japanese ones and of others (a
// character that folds into nothing, a mark or a voiced sound mark,
// staying with the one before it), and tokenizes each. ok is false when
// the parts' tokens are not toks.
func cjkSpans(text string, r [2]int, toks []string) (spans []spanned, ok bool) {
	run := text[r[0]:r[1]]
	for i := 0; i < len(run); {
		c, _ := utf8.DecodeRuneInString(run[i:])
		cjk := runeKind(c) == kindCJK
		var chars [][2]int // the CJK part's characters
		j := i
	part:
		for j < len(run) {
			c, n := utf8.DecodeRuneInString(run[j:])
			switch k := runeKind(c); {
			case k == kindNone && j > i:
				if cjk {
					chars[len(chars)-1][1] = r[0] + j + n
				}
			case (k == kindCJK) != cjk:
				break part
			case cjk:
				chars = append(chars, [2]int{r[0] + j, r[0] + j + n})
			}
			j += n
		}
		part := [2]int{r[0] + i, r[0] + j}
		pt := domain.Tokens(run[i:j])
		if cjk && len(chars) >= 2 && len(pt) == len(chars)-1 {
			for k, t := range pt {
				spans = append(spans, spanned{t, [2]int{chars[k][0], chars[k+1][1]}})
			}
		} else {
			for _, t := range pt {
				spans = append(spans, spanned{t, part})
			}
		}
		i = j
	}
	if len(spans) != len(toks) {
		return nil, false
	}
	for k, t := range toks {
		if spans[k].tok != t {
			return nil, false
		}
	}
	return spans, true
}

// The kinds of character cjkSpans cuts a run by.
const (
	kindOther = iota
	kindCJK   // folds into a Chinese or Japanese character
	kindNone  // folds into nothing: a mark, invisible formatting, a voiced sound mark
)

func runeKind(c rune) int {
	switch {
	case c < utf8.RuneSelf:
		return kindOther
	case domain.IsCJK(c):
		return kindCJK
	}
	toks := domain.Tokens(string(c))
	switch {
	case len(toks) == 0:
		return kindNone
	case domain.HasCJK(toks[0]):
		return kindCJK
	}
	return kindOther
}

// wordRuns returns the byte ranges of text's maximal runs of word
// characters: letters, digits, marks, and whatever the tokenizer turns
// into those (a ligature, a fullwidth letter, "№"). Tokenizing each run on
// its own gives the tokens of the whole text in order, so each token can
// be traced back to the text it came from.
func wordRuns(text string) [][2]int {
	var runs [][2]int
	start := -1
	for i, r := range text {
		if isWordish(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			runs = append(runs, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		runs = append(runs, [2]int{start, len(text)})
	}
	return runs
}

func isWordish(r rune) bool {
	if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
		return true
	}
	if r != '\u200B' && unicode.Is(unicode.Cf, r) {
		// The tokenizer drops invisible formatting (a soft hyphen) inside
		// a word: it belongs to the word's run.
		return true
	}
	if r < utf8.RuneSelf {
		return false
	}
	// A compatibility character may decompose into letters or digits.
	return len(domain.Tokens(string(r))) > 0
}

// mergeSpans sorts spans and merges those that overlap, so that no mark
// is nested in or crosses another.
func mergeSpans(spans [][2]int) [][2]int {
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var out [][2]int
	for _, s := range spans {
		if n := len(out); n > 0 && s[0] < out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

// mark escapes text and wraps the spans, sorted and disjoint, in markers.
func mark(text string, spans [][2]int) string {
	var b strings.Builder
	b.Grow(len(text) + len(spans)*(len(markOpen)+len(markClose)))
	at := 0
	for _, s := range spans {
		b.WriteString(html.EscapeString(text[at:s[0]]))
		b.WriteString(markOpen)
		b.WriteString(html.EscapeString(text[s[0]:s[1]]))
		b.WriteString(markClose)
		at = s[1]
	}
	b.WriteString(html.EscapeString(text[at:]))
	return b.String()
}
