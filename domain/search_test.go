package domain

import (
	"reflect"
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
