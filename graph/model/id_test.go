package model

import (
	"bytes"
	"encoding/base64"
	"testing"

	"parley/domain"
)

func TestIDRoundTrip(t *testing.T) {
	tests := []struct {
		id   ID
		text string
	}{
		{NewID(TypeStatement, 42), "U3RhdGVtZW50OjQy"},
		{NewID(TypeSpeaker, 1), "U3BlYWtlcjox"},
		{NewID(TypeTopic, 18446744073709551615), base64.RawURLEncoding.EncodeToString([]byte("Topic:18446744073709551615"))},
		{NewID(TypeSource, 7), base64.RawURLEncoding.EncodeToString([]byte("Source:7"))},
		{NewID(TypePosition, 1000), base64.RawURLEncoding.EncodeToString([]byte("Position:1000"))},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.id.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			got, err := ParseID(tt.text)
			if err != nil || got != tt.id {
				t.Errorf("ParseID(%q) = %v, %v; want %v", tt.text, got, err, tt.id)
			}
			var buf bytes.Buffer
			tt.id.MarshalGQL(&buf)
			var back ID
			if err := back.UnmarshalGQL(tt.text); err != nil || back != tt.id || buf.String() != `"`+tt.text+`"` {
				t.Errorf("GraphQL round trip: %s, %v, %v", buf.String(), back, err)
			}
		})
	}
}

func TestParseIDRejects(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		"",
		"%%%",
		"U3RhdGVtZW50OjQy==", // padded
		base64.StdEncoding.EncodeToString([]byte("Topic:12")), // padded standard encoding
		enc("Statement"),
		enc("Statement:"),
		enc("Statement:0"),
		enc("Statement:042"),
		enc("Statement:+42"),
		enc("Statement:-1"),
		enc("Statement:42:1"),
		enc("Statement:18446744073709551616"),
		enc("statement:42"),
		enc("Role:42"),
		enc(":42"),
		string(bytes.Repeat([]byte("A"), 200)),
	} {
		_, err := ParseID(s)
		if domain.ErrorCode(err) != domain.CodeBadUserInput {
			t.Errorf("ParseID(%q) error %v, want BAD_USER_INPUT", s, err)
		}
	}
	var id ID
	if err := id.UnmarshalGQL(42); domain.ErrorCode(err) != domain.CodeBadUserInput {
		t.Errorf("UnmarshalGQL(42) error %v, want BAD_USER_INPUT", err)
	}
}

func TestIDAs(t *testing.T) {
	id := NewID(TypeSpeaker, 3)
	if n, err := id.As(TypeSpeaker); n != 3 || err != nil {
		t.Errorf("As(Speaker) = %d, %v", n, err)
	}
	if _, err := id.As(TypeStatement); domain.ErrorCode(err) != domain.CodeBadUserInput {
		t.Errorf("As(Statement) error %v, want BAD_USER_INPUT", err)
	}
}

// FuzzParseID checks that parsing never panics and that every id it
// accepts has exactly one text form.
func FuzzParseID(f *testing.F) {
	for _, s := range []string{"U3RhdGVtZW50OjQy", "U3BlYWtlcjox", "", "%%%", "U3RhdGVtZW50OjA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		if id.String() != s {
			t.Errorf("ParseID(%q) = %v, which prints as %q", s, id, id.String())
		}
	})
}
