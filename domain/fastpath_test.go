package domain

import (
	"slices"
	"strings"
	"testing"
)

// The ASCII fast paths must agree with the general Unicode paths, which
// the functions below call directly by defeating the ASCII check.

func normalizeGeneral(s string) string {
	// A non-ASCII rune that is a separator (U+00A0, no-break space) sends
	// s down the general path without adding a word.
	return NormalizeText(s + "\u00a0")
}

func tokensGeneral(s string) []string { return Tokens(s + "\u00a0") }

func TestASCIIFastPathsMatchGeneralPaths(t *testing.T) {
	inputs := []string{
		"", " ", "Hello, World!", "U.S.-backed peace plan", "  many   spaces\tand\nlines ",
		"ZELENSKYY said \"constructive\"", "2025-12-01 at 10:30", "a_b-c.d/e", "MiXeD CaSe 42x",
		strings.Repeat("x", 300), "!!!", "don't stop", "[brackets] {braces} (parens)",
	}
	for c := 0; c < 128; c++ {
		inputs = append(inputs, "a"+string(rune(c))+"b")
	}
	for _, in := range inputs {
		if got, want := NormalizeText(in), normalizeGeneral(in); got != want {
			t.Errorf("NormalizeText(%q) = %q, general path %q", in, got, want)
		}
		if got, want := Tokens(in), tokensGeneral(in); !slices.Equal(got, want) {
			t.Errorf("Tokens(%q) = %q, general path %q", in, got, want)
		}
	}
}

func FuzzASCIIFastPaths(f *testing.F) {
	f.Add("Hello, World!")
	f.Add("a\x7fb")
	f.Fuzz(func(t *testing.T, s string) {
		if !isASCII(s) {
			return
		}
		if got, want := NormalizeText(s), normalizeGeneral(s); got != want {
			t.Fatalf("NormalizeText(%q) = %q, general path %q", s, got, want)
		}
		if got, want := Tokens(s), tokensGeneral(s); !slices.Equal(got, want) {
			t.Fatalf("Tokens(%q) = %q, general path %q", s, got, want)
		}
	})
}
