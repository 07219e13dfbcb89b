package graph

import (
	"slices"
	"testing"

	"parley/domain"
	"parley/sample"
)

func TestHighlight(t *testing.T) {
	tests := []struct {
		name, text, search string
		want               string // "" means nil
	}{
		{"a word", "Fighting near Pokrovsk continues.", "pokrovsk",
			"Fighting near <mark>Pokrovsk</mark> continues."},
		{"every word, every occurrence", "Peace talks, peace plan.", "PEACE plan",
			"<mark>Peace</mark> talks, <mark>peace</mark> <mark>plan</mark>."},
		{"case and diacritics folded", "Zelénskyy met ZELENSKYY's envoy.", "zelenskyy",
			"<mark>Zelénskyy</mark> met <mark>ZELENSKYY</mark>&#39;s envoy."},
		{"search with diacritics", "Zelenskyy spoke.", "Zelénskyy", "<mark>Zelenskyy</mark> spoke."},
		{"decomposed accents", "un accord e\u0301te\u0301", "ete", "un accord <mark>e\u0301te\u0301</mark>"},
		{"cyrillic", "Коваленко заявив про переговори.", "КОВАЛЕНКО", "<mark>Коваленко</mark> заявив про переговори."},
		{"ligature", "the \ufb01nal plan", "final", "the <mark>\ufb01nal</mark> plan"},
		{"compatibility symbol", "Resolution №5 passed", "no5", "Resolution <mark>№5</mark> passed"},
		{"a phrase is one span", "Talks on security guarantees, not security of guarantees.", `"security guarantees"`,
			"Talks on <mark>security guarantees</mark>, not security of guarantees."},
		{"a phrase across punctuation", "security: guarantees", `"security guarantees"`, "<mark>security: guarantees</mark>"},
		{"a phrase and a word overlap", "security guarantees and security", `"security guarantees" security`,
			"<mark>security guarantees</mark> and <mark>security</mark>"},
		{"a one-word phrase is a word", "the plan", `"plan"`, "the <mark>plan</mark>"},
		{"the rest is escaped", `<b>Peace</b> & "war"`, "peace",
			"&lt;b&gt;<mark>Peace</mark>&lt;/b&gt; &amp; &#34;war&#34;"},
		{"no match", "a <plan>", "peace", "a &lt;plan&gt;"},
		{"only the whole word", "peaceful peace", "peace", "peaceful <mark>peace</mark>"},
		{"no words in the search", "anything", ` "" ,. `, ""},
		{"empty text", "", "peace", "\x00"}, // "\x00": the empty string, not nil
		{"a Chinese word", "中方坚决反对单边制裁。", "反对", "中方坚决<mark>反对</mark>单边制裁。"},
		{"a longer Chinese word is one span", "中方坚决反对单边制裁，坚决维护。", "坚决反对", "中方<mark>坚决反对</mark>单边制裁，坚决维护。"},
		{"a lone character", "华，中国", "华", "<mark>华</mark>，中国"},
		{"a character inside a word is no word", "华为与中国", "华", "华为与中国"},
		{"Latin inside a Chinese run", "G20峰会在巴西举行", "g20 峰会", "<mark>G20</mark><mark>峰会</mark>在巴西举行"},
		{"Katakana with a voiced mark", "ガザ情勢", "ガザ", "<mark>ガザ</mark>情勢"},
		{"decomposed voiced mark", "カ\u3099ザ情勢", "ガザ", "<mark>カ\u3099ザ</mark>情勢"},
		{"halfwidth Katakana", "ｶﾞｻﾞ情勢", "ガザ", "<mark>ｶﾞｻﾞ</mark>情勢"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := highlight(tt.text, tt.search)
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("got %q, want nil", *got)
			case tt.want == "\x00" && (got == nil || *got != ""):
				t.Errorf("got %v, want the empty string", got)
			case tt.want != "" && tt.want != "\x00" && (got == nil || *got != tt.want):
				t.Errorf("got %v\nwant %q", deref(got), tt.want)
			}
		})
	}
}

// TestWordRunsTokenizeLikeTheIndex checks the property highlight rests
// on: tokenizing each word run on its own yields the tokens the index
// holds for the whole text, in order.
func TestWordRunsTokenizeLikeTheIndex(t *testing.T) {
	texts := []string{
		"Ukraine's \"security guarantees\" — said Zelénskyy; ZELENSKYY.",
		"e\u0301te\u0301 \ufb01nal №5 ½ Ｚｅｌｅｎｓｋｙｙ straße STRASSE ß\u0301",
		"Коваленко, हिन्दी भाषा, 中文, Ꭰꭰ",
		"王毅说，中方坚决反对单边制裁。G20峰会在2025年举行；ロシアとウクライナ、ｳｸﾗｲﾅ、スーパー、カ\u3099ザ",
		"中方\u00AD坚决反对, 中\u200B方, 华\u200D为",
		// Halfwidth Katakana, its prolonged sound and voiced marks, and
		// characters that fold into several.
		"ｰﾗ ｶﾞｻﾞ ﾗｰﾒﾝ a㏠中 ㍿の",
		"Zelen\u00ADskyy, Об\u02BCєднаних Націй, Zelenskyy\u2019s and Zelenskyy\u02BCs, a\u200Bb c\u200Dd \u00AD alone",
	}
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		texts = append(texts, r.Text)
	}
	for _, text := range texts {
		var got, spanned []string
		for _, r := range wordRuns(text) {
			got = append(got, domain.Tokens(text[r[0]:r[1]])...)
			for _, t := range appendRunTokens(nil, text, r) {
				spanned = append(spanned, t.tok)
			}
		}
		want := domain.Tokens(text)
		if !slices.Equal(got, want) {
			t.Errorf("%q:\n runs give %q\nindex has %q", text, got, want)
		}
		if !slices.Equal(spanned, want) {
			t.Errorf("%q:\n spanned tokens %q\nindex has %q", text, spanned, want)
		}
	}
}

// FuzzWordRunsTokenizeLikeTheIndex checks, for any text, what highlight
// rests on: the tokens of its word runs, with their spans, are the
// tokens the index holds for the text, in order.
func FuzzWordRunsTokenizeLikeTheIndex(f *testing.F) {
	for _, s := range []string{"Zelénskyy met ZELENSKYY.", "中方\u00AD坚决反对，G20峰会", "カ\u3099ザ ｳｸﾗｲﾅ", "Об\u02BCєднаних", "\ufb01nal №5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var got []string
		for _, r := range wordRuns(text) {
			for _, tok := range appendRunTokens(nil, text, r) {
				if tok.span[0] < r[0] || tok.span[1] > r[1] || tok.span[0] >= tok.span[1] {
					t.Fatalf("%q: token %q spans %v outside its run %v", text, tok.tok, tok.span, r)
				}
				got = append(got, tok.tok)
			}
		}
		if want := domain.Tokens(text); !slices.Equal(got, want) {
			t.Fatalf("%q:\n spanned tokens %q\nindex has %q", text, got, want)
		}
	})
}
