package domain

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
)

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Code
	}{
		{"coded", Errorf(CodeConflict, "key taken"), CodeConflict},
		{"field error", FieldErrorf(p("name"), "must not be empty"), CodeBadUserInput},
		{"wrapped", fmt.Errorf("create speaker: %w", ErrNotFound("Speaker", "putin")), CodeNotFound},
		// An error without a code is a bug or an infrastructure failure,
		// never the client's fault.
		{"plain", io.ErrUnexpectedEOF, CodeInternal},
		{"nil", nil, CodeInternal},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.want {
			t.Errorf("%s: ErrorCode(%v) = %s, want %s", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{Errorf(CodeBadUserInput, "give first or last, not both"), "give first or last, not both"},
		{FieldErrorf(p("roles", "0", "title"), "must not be empty"), "roles.0.title: must not be empty"},
		{ErrNotFound("Speaker", `"putin"`), `Speaker "putin" does not exist`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestWithPath(t *testing.T) {
	inner := FieldErrorf(p("title"), "must not be empty")
	got := WithPath(fmt.Errorf("role: %w", inner), "roles", "0")
	var e *Error
	if !errors.As(got, &e) {
		t.Fatalf("WithPath returned %T, want *Error", got)
	}
	if want := p("roles", "0", "title"); !slices.Equal(e.Path, want) {
		t.Errorf("path = %q, want %q", e.Path, want)
	}
	if e.Code != CodeBadUserInput || e.Message != inner.Message {
		t.Errorf("WithPath changed code or message: %+v", e)
	}
	// The original may be shared (a sentinel, or one error reported for
	// several records), so it must be left alone.
	if !slices.Equal(inner.Path, p("title")) {
		t.Errorf("WithPath modified the original's path: %q", inner.Path)
	}

	if got := WithPath(io.EOF, "x"); got != io.EOF {
		t.Errorf("WithPath(io.EOF) = %v, want io.EOF unchanged", got)
	}
	if got := WithPath(nil, "x"); got != nil {
		t.Errorf("WithPath(nil) = %v, want nil", got)
	}
}

func TestPageValidate(t *testing.T) {
	valid := []struct {
		page Page
		size int
	}{
		{Page{}, DefaultPageSize},
		{Page{First: 1}, 1},
		{Page{First: MaxPageSize}, MaxPageSize},
		{Page{Last: 7, Before: []byte("c")}, 7},
	}
	for _, tt := range valid {
		if err := tt.page.Validate(); err != nil {
			t.Errorf("%+v.Validate() = %v, want nil", tt.page, err)
		}
		if got := tt.page.Size(); got != tt.size {
			t.Errorf("%+v.Size() = %d, want %d", tt.page, got, tt.size)
		}
	}

	invalid := []struct {
		page Page
		path []string
		msg  string
	}{
		{Page{First: MaxPageSize + 1}, p("first"), "between 1 and 100"},
		{Page{First: -1}, p("first"), "between 1 and 100"},
		{Page{Last: MaxPageSize + 1}, p("last"), "between 1 and 100"},
		{Page{Last: -1}, p("last"), "between 1 and 100"},
		{Page{First: 1, Last: 1}, nil, "not both"},
	}
	for _, tt := range invalid {
		wantBadInput(t, tt.page.Validate(), tt.path, tt.msg)
	}
}

func TestPageBackward(t *testing.T) {
	tests := []struct {
		page Page
		want bool
	}{
		{Page{}, false},
		{Page{First: 5, After: []byte("c")}, false},
		{Page{Last: 5}, true},
		{Page{Before: []byte("c")}, true},
		{Page{First: 5, Before: []byte("c")}, false},
	}
	for _, tt := range tests {
		if got := tt.page.Backward(); got != tt.want {
			t.Errorf("%+v.Backward() = %t, want %t", tt.page, got, tt.want)
		}
	}
}
