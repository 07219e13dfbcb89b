package domain

import (
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldCase applies Unicode full case folding. It is safe for concurrent
// use: a cases.Caser is not, so each call builds its own.
//
// x/text folds Cherokee capitals to small letters and small letters to
// capitals, so its output is not stable under folding again. Unicode's
// CaseFolding.txt folds both to the capital (the letter encoded first), and
// the second pass restores that: without it "Ꭰ" and "ꭰ" would get different
// keys and tokens, and NormalizeText would not be idempotent.
func foldCase(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cherokee, r) {
			return unicode.ToUpper(r)
		}
		return r
	}, cases.Fold().String(s))
}

// isWordRune reports whether r belongs to a word. Marks count as well as
// letters and digits: the vowel signs of Devanagari and other Indic
// scripts are spacing marks (Mc), and splitting on them would cut "हिन्दी"
// into pieces.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// stripMarks decomposes s and removes combining marks, so that "é" and "e"
// compare equal. The result is NFC again.
func stripMarks(s string) string {
	t := transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		return s
	}
	return out
}

// NormalizeText is the text part of a statement's natural key: Unicode
// compatibility form, case folded, punctuation and symbols turned into
// spaces, runs of white space collapsed. Diacritics are kept: in many
// languages they distinguish words. NormalizeText is idempotent.
func NormalizeText(s string) string {
	if isASCII(s) {
		return asciiWords(s, ' ')
	}
	// Folding does not preserve normalization ("ß" + U+0301 folds to "ss"
	// + U+0301, which NFKC composes), so normalize again after it: this
	// is NFKC_Casefold in spirit, and what makes the result a fixed point.
	s = norm.NFKC.String(foldCase(norm.NFKC.String(s)))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if isWordRune(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

// Tokens splits s into search words: letters and digits, case folded and
// with diacritics removed, so that "Zelenskyy", "ZELENSKYY" and "Zelénskyy"
// give the same token. Tokens keep their order, duplicates included.
//
// Two kinds of character that text copied from the web carries are
// evened out first. Invisible formatting characters (a soft hyphen, a
// zero-width joiner) are removed, so that they do not cut a word in two;
// the zero-width space stays a separator. And every apostrophe separates
// words, as "'" and "’" always did: "ʼ" (U+02BC), which Unicode
// recommends for Ukrainian ("Обʼєднаних"), is a letter to isWordRune and
// would otherwise glue what the other two split.
//
// Chinese and Japanese are written without spaces between words, so a
// run of their characters (Han, Hiragana, Katakana) gives its
// overlapping pairs of characters, as Lucene's CJK analyzer does: "中方坚决
// 反对" gives "中方", "方坚", "坚决", "决反", "反对", and a character
// standing alone gives itself. A search for any word of two or more
// characters then finds the texts that contain it, with no dictionary;
// ParseSearch asks for a longer word's pairs in sequence. Korean, written
// with spaces, is split at them like any other script; Thai, Lao, Khmer
// and Burmese, also written without spaces, are not segmented.
func Tokens(s string) []string {
	if isASCII(s) {
		return strings.Fields(asciiWords(s, ' '))
	}
	words := TokensSchema5(s)
	if !slices.ContainsFunc(words, HasCJK) {
		return words
	}
	out := make([]string, 0, 2*len(words))
	for _, w := range words {
		out = appendWordTokens(out, w)
	}
	return out
}

// TokensSchema5 is Tokens as the store's schemas 5 to 7 indexed text,
// before runs of Chinese and Japanese characters were split into pairs.
// Only the store's migrations may use it.
func TokensSchema5(s string) []string {
	if isASCII(s) {
		return strings.Fields(asciiWords(s, ' '))
	}
	// Marks are stripped after folding too, because folding can produce
	// them: "ß" + U+0301 folds to "ss" + U+0301.
	s = stripMarks(foldCase(stripMarks(removeFormatting(s))))
	return strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) || r == modifierApostrophe })
}

// TokensChangedSince5 reports whether Tokens and TokensSchema5 differ
// for s: whether it has a Chinese or Japanese character, or one that
// folds into them ("㏠" folds into "1日"). Non-ASCII text is compared in
// full.
func TokensChangedSince5(s string) bool {
	return !isASCII(s) && !slices.Equal(Tokens(s), TokensSchema5(s))
}

// IsCJK reports whether r belongs to a script written without spaces
// between words that Tokens splits into pairs: Han ideographs, Hiragana,
// Katakana, and the Katakana prolonged sound mark (whose script is
// Common).
func IsCJK(r rune) bool {
	return r == '\u30FC' || unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// HasCJK reports whether w has a character IsCJK accepts.
func HasCJK(w string) bool { return strings.ContainsFunc(w, IsCJK) }

// appendWordTokens appends the tokens of one word of TokensSchema5 to
// out: the word itself, or, when it has Chinese or Japanese characters,
// its other parts as they are and each run of those characters as its
// overlapping pairs (a lone character as itself).
func appendWordTokens(out []string, w string) []string {
	if !HasCJK(w) {
		return append(out, w)
	}
	for len(w) > 0 {
		r, _ := utf8.DecodeRuneInString(w)
		cjk := IsCJK(r)
		end := strings.IndexFunc(w, func(r rune) bool { return IsCJK(r) != cjk })
		if end < 0 {
			end = len(w)
		}
		seg := w[:end]
		w = w[end:]
		if !cjk {
			out = append(out, seg)
			continue
		}
		_, first := utf8.DecodeRuneInString(seg)
		if first == len(seg) {
			out = append(out, seg)
			continue
		}
		for i := 0; i < len(seg); {
			_, n := utf8.DecodeRuneInString(seg[i:])
			_, m := utf8.DecodeRuneInString(seg[i+n:])
			if m == 0 {
				break
			}
			out = append(out, seg[i:i+n+m])
			i += n
		}
	}
	return out
}

// TokensSchema4 is Tokens as the store's schema 4 indexed text, before
// apostrophes and invisible formatting were evened out: U+02BC inside a
// word, a formatting character between two. Only the store's migration
// from that schema may use it, to find the index entries it replaces.
func TokensSchema4(s string) []string {
	if isASCII(s) {
		return TokensSchema5(s)
	}
	s = stripMarks(foldCase(stripMarks(s)))
	return strings.FieldsFunc(s, func(r rune) bool { return !isWordRune(r) })
}

// TokensChangedSince4 reports whether TokensSchema5 and TokensSchema4
// differ for s. ASCII text, most of what is stored, tokenizes as it did;
// other text is compared in full, because folding can make an apostrophe
// where the text has none ("ŉ" decomposes to "ʼn").
func TokensChangedSince4(s string) bool {
	return !isASCII(s) && !slices.Equal(TokensSchema5(s), TokensSchema4(s))
}

// modifierApostrophe is U+02BC MODIFIER LETTER APOSTROPHE.
const modifierApostrophe = '\u02BC'

// removeFormatting drops the invisible formatting characters (category
// Cf) of s, except the zero-width space, which marks a word boundary.
func removeFormatting(s string) string {
	if !strings.ContainsFunc(s, isJoiningFormat) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isJoiningFormat(r) {
			return -1
		}
		return r
	}, s)
}

func isJoiningFormat(r rune) bool { return r != '\u200B' && unicode.Is(unicode.Cf, r) }

// HasWords reports whether every one of words (tokens as Tokens makes
// them) is a token of text: slices.Contains(Tokens(text), w) for each w.
// Searches check their stop words this way on every candidate statement,
// so ASCII text is scanned in place, without building its token list.
func HasWords(text string, words []string) bool {
	if !isASCII(text) {
		toks := Tokens(text)
		for _, w := range words {
			if !slices.Contains(toks, w) {
				return false
			}
		}
		return true
	}
	for _, w := range words {
		if !asciiHasWord(text, w) {
			return false
		}
	}
	return true
}

// asciiHasWord reports whether w is one of the runs of letters and digits
// of the ASCII text s, compared in lower case as asciiWords lowers them.
func asciiHasWord(s, w string) bool {
	isWord := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }
	for i := 0; i < len(s); {
		for i < len(s) && !isWord(s[i]) {
			i++
		}
		j := i
		for j < len(s) && isWord(s[j]) {
			j++
		}
		if j-i == len(w) && asciiLowerEqual(s[i:j], w) {
			return true
		}
		i = j
	}
	return false
}

// asciiLowerEqual reports whether the ASCII letters and digits run, lowered,
// equal w.
func asciiLowerEqual(run, w string) bool {
	for k := 0; k < len(run); k++ {
		c := run[k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != w[k] {
			return false
		}
	}
	return true
}

// isASCII reports whether s is all ASCII. Most statements are, and for
// ASCII text Unicode normalization is the identity, case folding is
// lowering and the word runes are letters and digits: the fast paths below
// give exactly what the general ones do (a test checks it), several times
// faster, on the import's hot path.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// hasText reports whether NormalizeText(s) is not empty, without building
// it for ASCII text: a statement's validation asks on every write.
func hasText(s string) bool {
	if !isASCII(s) {
		return NormalizeText(s) != ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return true
		}
	}
	return false
}

// asciiWords lowers ASCII text and joins its runs of letters and digits
// with sep.
func asciiWords(s string, sep byte) string {
	b := make([]byte, 0, len(s))
	gap := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			gap = true
			continue
		}
		if gap && len(b) > 0 {
			b = append(b, sep)
		}
		gap = false
		b = append(b, c)
	}
	return string(b)
}

// slugLetters spells the Latin letters that have no Unicode decomposition,
// and so keep their stroke or ligature after stripMarks, the way their
// languages transliterate them: without it "Radosław Sikorski" would become
// "rados-aw-sikorski". Only folded (lower case) forms are listed because
// Slugify folds first.
var slugLetters = strings.NewReplacer(
	"æ", "ae", "đ", "d", "ð", "d", "ħ", "h", "ı", "i",
	"ł", "l", "ø", "o", "œ", "oe", "þ", "th", "ŧ", "t",
)

// Slugify derives a key from a name: "Volodymyr Zelensky" gives
// "volodymyr-zelensky", "Kaja Kallas (EU)" gives "kaja-kallas-eu",
// "Radosław Sikorski" gives "radoslaw-sikorski". Letters outside a-z after
// removing diacritics (Cyrillic, say) are kept out; a name with none left
// yields "".
func Slugify(name string) string {
	s := slugLetters.Replace(foldCase(stripMarks(name)))
	var b strings.Builder
	dash := false
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	return b.String()
}

// MaxKeyLen bounds speaker and topic keys.
const MaxKeyLen = 100

// ValidateKey checks the rules for speaker and topic keys: 1 to MaxKeyLen
// lowercase letters, digits and '-', not starting or ending with '-'.
func ValidateKey(key string) error {
	if key == "" {
		return Errorf(CodeBadUserInput, "key must not be empty")
	}
	if len(key) > MaxKeyLen {
		return Errorf(CodeBadUserInput, "key %q is longer than %d characters", key, MaxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return Errorf(CodeBadUserInput, "key %q may only contain lowercase letters a-z, digits and '-'", key)
		}
	}
	if key[0] == '-' || key[len(key)-1] == '-' {
		return Errorf(CodeBadUserInput, "key %q must not start or end with '-'", key)
	}
	return nil
}

// ValidateCountry checks an ISO 3166-1 alpha-2 code (upper case); "EU" is
// allowed for the European Union.
func ValidateCountry(code string) error {
	if code == "EU" {
		return nil
	}
	if len(code) == 2 && code != strings.ToUpper(code) {
		return Errorf(CodeBadUserInput, "country %q must be upper case: %s", code, strings.ToUpper(code))
	}
	if len(code) == 2 {
		if r, err := language.ParseRegion(code); err == nil && r.IsCountry() && r.String() == code {
			// x/text also knows codes ISO 3166-1 reserves but does not
			// assign. Accepting "UK" beside "GB" would split one country's
			// speakers between two filter values.
			if c := r.Canonicalize(); c != r {
				return Errorf(CodeBadUserInput, "country %q is a reserved or withdrawn code; use %s", code, c)
			}
			// Exceptionally reserved codes (AC, CP, DG, EA, IC, TA) and
			// UN, EZ have no UN M49 number: they are not countries.
			if r.M49() != 0 {
				return nil
			}
		}
	}
	return Errorf(CodeBadUserInput, "country %q is not an ISO 3166-1 alpha-2 code such as RU, UA, US or EU", code)
}

// NormalizeLanguage validates a BCP 47 tag and returns its canonical form;
// "" gives the default "en".
func NormalizeLanguage(tag string) (string, error) {
	if tag == "" {
		return "en", nil
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", Errorf(CodeBadUserInput, "language %q is not a BCP 47 tag such as en, fr or uk", tag)
	}
	return t.String(), nil
}

// ValidateWikidataID checks a Wikidata item id: "Q" and a positive number.
func ValidateWikidataID(id string) error {
	ok := len(id) >= 2 && len(id) <= 20 && id[0] == 'Q' && id[1] != '0' && allDigits(id[1:])
	if !ok {
		return Errorf(CodeBadUserInput, "wikidataId %q must be Q followed by a number, such as Q7747", id)
	}
	return nil
}

// MaxURLLen bounds source URLs.
const MaxURLLen = 2048

// NormalizeURL returns the canonical form of a source URL, its natural key:
// an absolute http(s) URL with the scheme and host in lower case, no default
// port, no fragment and "/" for an empty path.
func NormalizeURL(raw string) (string, error) {
	if len(raw) > MaxURLLen {
		return "", Errorf(CodeBadUserInput, "url is longer than %d characters", MaxURLLen)
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "HTTP" && u.Scheme != "HTTPS") {
		return "", Errorf(CodeBadUserInput, "url %q must be an absolute http or https URL", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	// Cut the port off the end of Host rather than use Hostname, which
	// drops the brackets of an IPv6 literal ("http://[::1]:80/" would
	// become the unparseable "http://::1/"). An empty port ("host:/") is
	// the default port too.
	if p := u.Port(); p == "" || (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		u.Host = strings.TrimSuffix(u.Host, ":"+p)
	}
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}

// stopWords are the English function words that Lucene's standard analyzer
// leaves out of its index. A statement's search index skips them: they occur
// in nearly every statement, so their postings would be the largest part of
// the index while narrowing no search. Searches still match them exactly:
// a search word that is a stop word is checked against the statement's
// text instead of looked up.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "be": true, "but": true,
	"by": true, "for": true, "if": true, "in": true, "into": true, "is": true, "it": true, "no": true,
	"not": true, "of": true, "on": true, "or": true, "such": true, "that": true, "the": true, "their": true,
	"then": true, "there": true, "these": true, "they": true, "this": true, "to": true, "was": true,
	"will": true, "with": true,
}

// IsStopWord reports whether a token (as Tokens returns it) is left out of
// the search index.
func IsStopWord(tok string) bool { return stopWords[tok] }
