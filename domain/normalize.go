package domain

import (
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// foldCase is safe for concurrent use: a cases.Caser is not, so each call
// builds its transformer from this language-independent template.
func foldCase(s string) string { return cases.Fold().String(s) }

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
// languages they distinguish words.
func NormalizeText(s string) string {
	s = foldCase(norm.NFKC.String(s))
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
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
func Tokens(s string) []string {
	s = foldCase(stripMarks(s))
	return strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Slugify derives a key from a name: "Volodymyr Zelensky" gives
// "volodymyr-zelensky", "Kaja Kallas (EU)" gives "kaja-kallas-eu".
// Letters outside a-z after removing diacritics (Cyrillic, say) are kept
// out; a name with none left yields "".
func Slugify(name string) string {
	s := strings.ToLower(stripMarks(name))
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
	if len(code) == 2 && code == strings.ToUpper(code) {
		if r, err := language.ParseRegion(code); err == nil && r.IsCountry() && r.String() == code {
			return nil
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
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		u.Host = u.Hostname()
	}
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String(), nil
}
