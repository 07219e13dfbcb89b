package domain

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizeText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"   ", ""},
		{"—!?", ""},
		{"Peace plan", "peace plan"},
		{"  PEACE\tplan\n", "peace plan"},
		{"“Significantly improved,” she said.", "significantly improved she said"},
		{`"Significantly improved," she said.`, "significantly improved she said"},
		{"‘constructive’", "constructive"},
		{"ＮＡＴＯ ｍｅｍｂｅｒｓｈｉｐ", "nato membership"}, // NFKC folds full-width forms
		{"ﬁnal", "final"},                // and ligatures
		{"Straße", "strasse"},            // full case folding
		{"Zelénskyy", "zelénskyy"},       // diacritics are kept
		{"Zele\u0301nskyy", "zelénskyy"}, // composed and decomposed agree
		{"Коваленко сказал", "коваленко сказал"},
		{"peace-plan", "peace plan"},
		{"U.S. draft", "u s draft"},
		{"G7, 2025", "g7 2025"},
		{"हिन्दी भाषा", "हिन्दी भाषा"}, // spacing vowel signs are part of the word
		{"ß\u0301", "s\u015b"}, // folding output is normalized again
		{"Ꭰ ꭰ ᏸ", "Ꭰ Ꭰ Ᏸ"},     // Cherokee folds to capitals, as in CaseFolding.txt
	}
	for _, tt := range tests {
		if got := NormalizeText(tt.in); got != tt.want {
			t.Errorf("NormalizeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeTextKeepsDiacritics(t *testing.T) {
	// In many languages a diacritic makes a different word: two statements
	// differing only by one must keep different natural keys.
	for _, pair := range [][2]string{{"Zelénskyy", "Zelenskyy"}, {"сёла", "села"}, {"año", "ano"}} {
		if NormalizeText(pair[0]) == NormalizeText(pair[1]) {
			t.Errorf("NormalizeText(%q) == NormalizeText(%q); diacritics must be kept", pair[0], pair[1])
		}
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" ,.;- ", nil},
		{"Zelenskyy", []string{"zelenskyy"}},
		{"ZELENSKYY", []string{"zelenskyy"}},
		{"Zelénskyy", []string{"zelenskyy"}},
		{"Zele\u0301nskyy", []string{"zelenskyy"}},
		{"Коваленко", []string{"коваленко"}},
		{"КОВАЛЕНКО, Андрій", []string{"коваленко", "андріи"}},
		{"peace-plan, (draft)", []string{"peace", "plan", "draft"}},
		{"U.S. peace plan: U.S.", []string{"u", "s", "peace", "plan", "u", "s"}},
		{"“constructive” talks", []string{"constructive", "talks"}},
		{"Straße", []string{"strasse"}},
		{"ＮＡＴＯ 2025", []string{"nato", "2025"}},
		{"İstanbul", []string{"istanbul"}},
		{"हिन्दी", []string{"हिनदी"}},
		{"ß\u0301", []string{"ss"}},
		{"Ꭰ ꭰ", []string{"Ꭰ", "Ꭰ"}},
		// Every apostrophe separates words, the one Ukrainian uses too.
		{"Об'єднаних", []string{"об", "єднаних"}},
		{"Об\u2019єднаних", []string{"об", "єднаних"}},
		{"Об\u02BCєднаних", []string{"об", "єднаних"}},
		{"Zelenskyy\u02BCs office", []string{"zelenskyy", "s", "office"}},
		// Invisible formatting joins; the zero-width space separates.
		{"Zelen\u00ADskyy", []string{"zelenskyy"}},
		{"Zelen\u200Dskyy\uFEFF", []string{"zelenskyy"}},
		{"peace\u200Bplan", []string{"peace", "plan"}},
		// Chinese and Japanese runs give their pairs of characters; a
		// lone character itself; other scripts in the word stay whole.
		{"中方坚决反对", []string{"中方", "方坚", "坚决", "决反", "反对"}},
		{"中国", []string{"中国"}},
		{"华", []string{"华"}},
		{"王毅说，中方欢迎。", []string{"王毅", "毅说", "中方", "方欢", "欢迎"}},
		{"G20峰会在2025年", []string{"g20", "峰会", "会在", "2025", "年"}},
		{"ウクライナ", []string{"ウク", "クラ", "ライ", "イナ"}},
		{"ｳｸﾗｲﾅ", []string{"ウク", "クラ", "ライ", "イナ"}}, // halfwidth Katakana
		{"ロシアとウクライナ", []string{"ロシ", "シア", "アと", "とウ", "ウク", "クラ", "ライ", "イナ"}},
		// The prolonged sound mark is Katakana's; the handakuten folds
		// away as every diacritic does.
		{"スーパー", []string{"スー", "ーハ", "ハー"}},
		{"대한민국 외교부", []string{"대한민국", "외교부"}}, // Korean is split at spaces
	}
	for _, tt := range tests {
		if got := Tokens(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Volodymyr Zelensky", "volodymyr-zelensky"},
		{"Kaja Kallas (EU)", "kaja-kallas-eu"},
		{"Élysée Palace", "elysee-palace"},
		{"Владимир Путин", ""},
		{"Putin (Владимир)", "putin"},
		{"", ""},
		{"  --Steve   Witkoff--  ", "steve-witkoff"},
		{"G7 summit 2025", "g7-summit-2025"},
		{"U.S. draft peace plan", "u-s-draft-peace-plan"},
		{"ＮＡＴＯ", "nato"},
		{"ﬁnance ministry", "finance-ministry"},
		{"Straße", "strasse"},
		{"Radosław Sikorski", "radoslaw-sikorski"},
		{"Lars Løkke Rasmussen", "lars-lokke-rasmussen"},
		{"Recep Tayyip Erdoğan", "recep-tayyip-erdogan"},
		{"Đorđe Ćurčić", "dorde-curcic"},
	}
	for _, tt := range tests {
		got := Slugify(tt.in)
		if got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got != "" {
			if err := ValidateKey(got); err != nil {
				t.Errorf("Slugify(%q) = %q, which is not a valid key: %v", tt.in, got, err)
			}
		}
	}
}

func FuzzNormalizeText(f *testing.F) {
	// Regressions found so far live in testdata/fuzz/FuzzNormalizeText.
	for _, s := range []string{"", "Zele\u0301nskyy", "\u0345ΐ", "\xff\xfe", " \u0301x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeText(s)
		if !utf8.ValidString(n) {
			t.Fatalf("NormalizeText(%q) = %q, not valid UTF-8", s, n)
		}
		if nn := NormalizeText(n); nn != n {
			t.Fatalf("NormalizeText is not idempotent: %q -> %q -> %q", s, n, nn)
		}
		if n != strings.TrimSpace(n) || strings.Contains(n, "  ") {
			t.Fatalf("NormalizeText(%q) = %q has stray white space", s, n)
		}
	})
}

func FuzzTokens(f *testing.F) {
	// Regressions found so far live in testdata/fuzz/FuzzTokens.
	for _, s := range []string{"", "peace-plan, (draft)", "Коваленко", "\u0345ǰ", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokens(s)
		for i, tok := range toks {
			if tok == "" {
				t.Fatalf("Tokens(%q)[%d] is empty", s, i)
			}
			if strings.ContainsAny(tok, " \t\n") {
				t.Fatalf("Tokens(%q)[%d] = %q contains white space", s, i, tok)
			}
		}
		// The search index stores tokens and queries tokenize the user's
		// words: tokenizing a token must give it back, or indexed words
		// could never be found.
		if again := Tokens(strings.Join(toks, " ")); !slices.Equal(again, toks) {
			t.Fatalf("Tokens is not stable: %q -> %q -> %q", s, toks, again)
		}
	})
}

func FuzzSlugify(f *testing.F) {
	for _, s := range []string{"Volodymyr Zelensky", "Kaja Kallas (EU)", "Élysée Palace", "--a--"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slug := Slugify(s)
		if slug == "" {
			return
		}
		// Normalize cuts long slugs to MaxKeyLen; every other key rule
		// must already hold.
		if len(slug) > MaxKeyLen {
			slug = strings.TrimRight(slug[:MaxKeyLen], "-")
		}
		if err := ValidateKey(slug); err != nil {
			t.Fatalf("Slugify(%q) = %q: %v", s, slug, err)
		}
		if strings.Contains(slug, "--") {
			t.Fatalf("Slugify(%q) = %q has a doubled '-'", s, slug)
		}
		if again := Slugify(slug); again != slug {
			t.Fatalf("Slugify is not idempotent: %q -> %q -> %q", s, slug, again)
		}
	})
}

func TestValidateKey(t *testing.T) {
	tests := []struct {
		key string
		msg string // "" when valid
	}{
		{"vladimir-putin", ""},
		{"g7", ""},
		{"a", ""},
		{"2025-summit", ""},
		{strings.Repeat("a", MaxKeyLen), ""},
		{"", "must not be empty"},
		{strings.Repeat("a", MaxKeyLen+1), "longer than 100"},
		{"Vladimir-Putin", "lowercase letters"},
		{"vladimir putin", "lowercase letters"},
		{"vladimir_putin", "lowercase letters"},
		{"élysée", "lowercase letters"},
		{"-putin", "must not start or end"},
		{"putin-", "must not start or end"},
		{"-", "must not start or end"},
	}
	for _, tt := range tests {
		err := ValidateKey(tt.key)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("ValidateKey(%q) = %v, want nil", tt.key, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateKey(%q) = nil, want an error", tt.key)
			continue
		}
		wantBadInput(t, err, nil, tt.msg)
	}
}

func TestValidateCountry(t *testing.T) {
	tests := []struct {
		code string
		msg  string // "" when valid
	}{
		{"RU", ""},
		{"UA", ""},
		{"US", ""},
		{"FR", ""},
		{"GB", ""},
		{"DE", ""},
		{"CN", ""},
		{"EU", ""},
		{"XK", ""}, // Kosovo: user-assigned, but what the EU and CLDR use
		{"", "not an ISO 3166-1"},
		{"ru", "must be upper case: RU"},
		{"Ru", "must be upper case: RU"},
		{"XX", "not an ISO 3166-1"},
		{"ZZ", "not an ISO 3166-1"},
		{"USA", "not an ISO 3166-1"},
		{"U", "not an ISO 3166-1"},
		{"UK", "use GB"},
		{"DD", "use DE"},
		{"EA", "not an ISO 3166-1"},
		{"UN", "not an ISO 3166-1"},
		{"QO", "not an ISO 3166-1"},
		{"001", "not an ISO 3166-1"},
		{" RU", "not an ISO 3166-1"},
	}
	for _, tt := range tests {
		err := ValidateCountry(tt.code)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("ValidateCountry(%q) = %v, want nil", tt.code, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateCountry(%q) = nil, want an error", tt.code)
			continue
		}
		wantBadInput(t, err, nil, strconv.Quote(tt.code), tt.msg)
	}
}

func TestNormalizeLanguage(t *testing.T) {
	tests := []struct {
		tag, want string // want "" when invalid
	}{
		{"", "en"},
		{"en", "en"},
		{"EN", "en"},
		{"uk", "uk"},
		{"ru", "ru"},
		{"fr-FR", "fr-FR"},
		{"fr-fr", "fr-FR"},
		{"en_US", "en-US"},
		{"zh-hant-tw", "zh-Hant-TW"},
		{"iw", "he"}, // deprecated codes give their replacement
		{"x", ""},
		{"en-", ""},
		{"english", ""},
		{"123", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeLanguage(tt.tag)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeLanguage(%q) = %q, want an error", tt.tag, got)
				continue
			}
			wantBadInput(t, err, nil, strconv.Quote(tt.tag), "BCP 47")
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeLanguage(%q) = %q, %v; want %q", tt.tag, got, err, tt.want)
		}
	}
}

func TestValidateWikidataID(t *testing.T) {
	tests := []struct {
		id    string
		valid bool
	}{
		{"Q7747", true},
		{"Q1", true},
		{"Q1234567890123456789", true},
		{"", false},
		{"Q", false},
		{"Q0", false},
		{"Q07747", false},
		{"q7747", false},
		{"P31", false},
		{"Q-1", false},
		{"Q77 47", false},
		{" Q7747", false},
		{"Q12345678901234567890", false},
		{"Q７７４７", false},
	}
	for _, tt := range tests {
		err := ValidateWikidataID(tt.id)
		if tt.valid {
			if err != nil {
				t.Errorf("ValidateWikidataID(%q) = %v, want nil", tt.id, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ValidateWikidataID(%q) = nil, want an error", tt.id)
			continue
		}
		wantBadInput(t, err, nil, strconv.Quote(tt.id), "Q followed by a number")
	}
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		raw, want string // want "" when invalid
	}{
		{"https://example.com/news/1", "https://example.com/news/1"},
		{"HTTPS://Example.COM/News/1", "https://example.com/News/1"}, // the path is case sensitive
		{"http://example.com", "http://example.com/"},
		{"https://example.com?id=7", "https://example.com/?id=7"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"https://example.com:443/a", "https://example.com/a"},
		{"https://example.com:/a", "https://example.com/a"},
		{"http://example.com:443/a", "http://example.com:443/a"}, // not the default port for http
		{"https://example.com:8443/a", "https://example.com:8443/a"},
		{"https://example.com/a#section-2", "https://example.com/a"},
		{"https://example.com/a?x=1&y=2#top", "https://example.com/a?x=1&y=2"},
		{"https://user:secret@example.com/a", "https://example.com/a"},
		{"  https://example.com/a\n", "https://example.com/a"},
		{"http://[::1]:80/a", "http://[::1]/a"},
		{"http://[2001:DB8::1]:8080/a", "http://[2001:db8::1]:8080/a"},
		{"https://example.com/caf%C3%A9", "https://example.com/caf%C3%A9"},
		{"", ""},
		{"ftp://example.com/file", ""},
		{"/news/1", ""},
		{"example.com/news/1", ""},
		{"//example.com/news/1", ""},
		{"mailto:press@example.com", ""},
		{"javascript:alert(1)", ""},
		{"http:example.com", ""},
		{"https://", ""},
		{"http://exa mple.com/", ""},
		{"https://example.com/" + strings.Repeat("a", MaxURLLen), ""},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.raw)
		if tt.want == "" {
			if err == nil {
				t.Errorf("NormalizeURL(%q) = %q, want an error", tt.raw, got)
				continue
			}
			wantBadInput(t, err, nil, "url")
			continue
		}
		if err != nil {
			t.Errorf("NormalizeURL(%q): %v", tt.raw, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.raw, got, tt.want)
		}
		// The result is a natural key: normalizing it again must not move it.
		if again, err := NormalizeURL(got); err != nil || again != got {
			t.Errorf("NormalizeURL(%q) = %q, %v; want it unchanged", got, again, err)
		}
	}
}

// FuzzHasWords checks HasWords against the token list it stands for.
func FuzzHasWords(f *testing.F) {
	f.Add("The Kremlin said that the talks were useful.", "the talks")
	f.Add("Zelenskyy: ZELENSKYY met Зеленський", "zelenskyy зеленський")
	f.Add("co-operation, 2025's e.u.", "co 2025 s e u")
	f.Add("", "a")
	f.Fuzz(func(t *testing.T, text, search string) {
		words := Tokens(search)
		toks := Tokens(text)
		want := true
		for _, w := range words {
			if !slices.Contains(toks, w) {
				want = false
			}
		}
		if got := HasWords(text, words); got != want {
			t.Errorf("HasWords(%q, %q) = %v, want %v", text, words, got, want)
		}
	})
}

// FuzzHasText checks hasText against the normalized text it stands for.
func FuzzHasText(f *testing.F) {
	for _, s := range []string{"", " ", "...", "a", " -- 9", "ß", "\u0301", "①", "Zelenskyy!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hasText(s), NormalizeText(s) != ""; got != want {
			t.Errorf("hasText(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestTokensChangedSince5 checks which texts the schema 8 migration
// re-indexes: those with Chinese or Japanese characters, or characters
// that fold into them, and no others.
func TestTokensChangedSince5(t *testing.T) {
	for text, want := range map[string]bool{
		"Zelenskyy met Macron": false,
		"Коваленко заявив":     false,
		"Об'єднаних Націй":     false,
		"华":                    false, // a lone character is its own token, as before
		"中方坚决反对":               true,
		"ｳｸﾗｲﾅ":                true,
		"the ㏠ meeting":        true, // folds into "1日"
		"ℌello ﬁnal ２０２５":      false,
		"G20峰会":                true,
	} {
		if got := TokensChangedSince5(text); got != want {
			t.Errorf("TokensChangedSince5(%q) = %v, want %v (Tokens %q, schema 5 %q)", text, got, want, Tokens(text), TokensSchema5(text))
		}
	}
}
