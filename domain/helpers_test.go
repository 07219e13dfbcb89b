package domain

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// wantBadInput fails the test unless err is a BAD_USER_INPUT *Error whose
// path is exactly path (nil for none) and whose message contains every
// fragment in msg.
func wantBadInput(t *testing.T, err error, path []string, msg ...string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *domain.Error", err, err)
	}
	if e.Code != CodeBadUserInput {
		t.Errorf("code = %s, want %s (error %q)", e.Code, CodeBadUserInput, e)
	}
	if !slices.Equal(e.Path, path) {
		t.Errorf("path = %q, want %q (error %q)", e.Path, path, e)
	}
	if e.Message == "" {
		t.Errorf("error %#v has no message", e)
	}
	for _, m := range msg {
		if !strings.Contains(e.Message, m) {
			t.Errorf("message %q does not contain %q", e.Message, m)
		}
	}
}

// day returns the Day of a "2006-01-02" text. It goes through time.Parse
// rather than the package's own parser so that expectations do not depend
// on the code under test.
func day(t testing.TB, s string) Day {
	t.Helper()
	tm, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatalf("day(%q): %v", s, err)
	}
	return Day(tm.Unix() / 86400)
}
