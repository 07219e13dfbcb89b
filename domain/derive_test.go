package domain

import (
	"slices"
	"testing"
)

// TestDeriveFollowsTheText: what Derive caches is what the functions
// compute, and a text changed after Derive is derived afresh.
func TestDeriveFollowsTheText(t *testing.T) {
	for _, tt := range []struct{ text, changed string }{
		{"Zelenskyy met Macron in Paris", "ZELENSKYY MET MACRON"},
		{"Організація Обʼєднаних Націй", "Об'єднаних Націй"},
		{"", "no longer empty"},
	} {
		s := &Statement{Text: tt.text}
		s.Derive()
		if got, want := s.NormalizedText(), NormalizeText(tt.text); got != want {
			t.Errorf("%q: NormalizedText %q, want %q", tt.text, got, want)
		}
		if got, want := s.TextTokens(), Tokens(tt.text); !slices.Equal(got, want) {
			t.Errorf("%q: TextTokens %q, want %q", tt.text, got, want)
		}
		copied := *s
		copied.Text = tt.changed
		if got, want := copied.NormalizedText(), NormalizeText(tt.changed); got != want {
			t.Errorf("%q changed to %q: NormalizedText %q, want %q", tt.text, tt.changed, got, want)
		}
		if got, want := copied.TextTokens(), Tokens(tt.changed); !slices.Equal(got, want) {
			t.Errorf("%q changed to %q: TextTokens %q, want %q", tt.text, tt.changed, got, want)
		}
		// The caller owns what TextTokens returns: the cache is unchanged.
		if toks := s.TextTokens(); len(toks) > 0 {
			toks[0] = "changed"
			if s.TextTokens()[0] == "changed" {
				t.Errorf("%q: a change to TextTokens' result reached the cache", tt.text)
			}
		}
	}
}
