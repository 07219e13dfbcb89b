package domain

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseSearch(t *testing.T) {
	long := strings.Repeat("x", 80)
	tests := []struct {
		in      string
		words   []string
		phrases [][]string
	}{
		{"", nil, nil},
		{"Pokrovsk", []string{"pokrovsk"}, nil},
		{"ZELENSKYY zelénskyy", []string{"zelenskyy"}, nil},
		{`"security guarantees" Ukraine`, []string{"security", "guarantees", "ukraine"}, [][]string{{"security", "guarantees"}}},
		{`"peace"`, []string{"peace"}, nil}, // a one-word phrase is a word
		{`"unclosed phrase`, []string{"unclosed", "phrase"}, [][]string{{"unclosed", "phrase"}}},
		{"Коваленко said", []string{"коваленко", "said"}, nil},
		{"talks " + long, []string{"talks", long}, nil}, // kept however long: the store checks it on the text
		// A Chinese word of more than two characters is its pairs in
		// sequence; one of two is a word.
		{"坚决反对 制裁", []string{"坚决", "决反", "反对", "制裁"}, [][]string{{"坚决", "决反", "反对"}}},
		{`"中方 反对"`, []string{"中方", "反对"}, [][]string{{"中方", "反对"}}},
	}
	for _, tt := range tests {
		words, phrases := ParseSearch(tt.in)
		if !reflect.DeepEqual(words, tt.words) || !reflect.DeepEqual(phrases, tt.phrases) {
			t.Errorf("ParseSearch(%q) = %q, %q; want %q, %q", tt.in, words, phrases, tt.words, tt.phrases)
		}
	}
}

func TestHasPhrase(t *testing.T) {
	toks := Tokens("Security guarantees for Ukraine, and guarantees of security.")
	for _, tt := range []struct {
		phrase string
		want   bool
	}{
		{"security guarantees", true},
		{"guarantees of security", true},
		{"ukraine and", true},
		{"guarantees security", false},
		{"security guarantees for ukraine and guarantees of security extra", false},
	} {
		if got := HasPhrase(toks, Tokens(tt.phrase)); got != tt.want {
			t.Errorf("HasPhrase(%q) = %v, want %v", tt.phrase, got, tt.want)
		}
	}
}

// FuzzSearchFindsItsOwnText checks that a text matches a search made of
// itself, whatever its scripts: every word of the search is a token of
// the text, and every phrase occurs in its tokens.
func FuzzSearchFindsItsOwnText(f *testing.F) {
	for _, s := range []string{"Zelenskyy met Macron", "中方坚决反对单边制裁", "G20峰会在2025年", "ロシアとウクライナ", "スーパー ｳｸﾗｲﾅ", "Об'єднаних Націй", "华", "대한민국 외교부"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ReplaceAll(s, `"`, " ")
		toks := Tokens(s)
		words, phrases := ParseSearch(s)
		for _, w := range words {
			if !slices.Contains(toks, w) {
				t.Fatalf("Tokens(%q) = %q lacks the search word %q", s, toks, w)
			}
		}
		for _, ph := range phrases {
			if !HasPhrase(toks, ph) {
				t.Fatalf("Tokens(%q) = %q lacks the phrase %q", s, toks, ph)
			}
		}
	})
}
