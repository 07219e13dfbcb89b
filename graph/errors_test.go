package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/domain"
)

// captureLog sends the default logger to a buffer for the test.
func captureLog(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

func validationError(rule string, path ast.Path) *gqlerror.Error {
	err := gqlerror.ErrorPathf(path, "bad value")
	err.Rule = rule
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

func TestPresentError(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		code    string
		field   string
		message string
		logged  bool
	}{
		{
			name:    "coded error with a path",
			err:     argError("input", domain.FieldErrorf([]string{"speaker", "country"}, "country %q is not a code", "XX")),
			code:    "BAD_USER_INPUT",
			field:   "input.speaker.country",
			message: `input.speaker.country: country "XX" is not a code`,
		},
		{
			name:    "coded error without a path",
			err:     domain.ErrNotFound("speaker", "7"),
			code:    "NOT_FOUND",
			message: "speaker 7 does not exist",
		},
		{
			name:    "wrapped coded error",
			err:     fmt.Errorf("update: %w", domain.Errorf(domain.CodeConflict, "taken")),
			code:    "CONFLICT",
			message: "taken",
		},
		{
			name:    "uncoded error",
			err:     errors.New("disk on fire at /var/lib/parley"),
			code:    "INTERNAL",
			message: "internal error",
			logged:  true,
		},
		{
			name:    "internal coded error",
			err:     domain.Errorf(domain.CodeInternal, "index drift in bucket x"),
			code:    "INTERNAL",
			message: "internal error",
			logged:  true,
		},
		{
			name:    "the store stopped: shown, and logged with its cause",
			err:     fmt.Errorf("%w (transaction 9 failed to commit after it became visible: fdatasync: input/output error)", domain.ErrStoreStopped),
			code:    "INTERNAL",
			message: domain.ErrStoreStopped.Message,
			logged:  true,
		},
		{
			name:    "document error",
			err:     validationError("FieldsOnCorrectType", nil),
			code:    errcode.ValidationFailed,
			message: "bad value",
		},
		{
			name:    "wrong literal value",
			err:     validationError("ValuesOfCorrectType", nil),
			code:    "BAD_USER_INPUT",
			message: "bad value",
		},
		{
			name:    "client error gqlgen writes without a code",
			err:     &gqlerror.Error{Message: "provided APQ hash does not match query"},
			code:    "BAD_USER_INPUT",
			message: "provided APQ hash does not match query",
		},
		{
			name:    "wrong variable value",
			err:     validationError("", ast.Path{ast.PathName("variable"), ast.PathName("k")}),
			code:    "BAD_USER_INPUT",
			message: "bad value",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := captureLog(t)
			got := presentError(context.Background(), tt.err)
			if got.Extensions[extCode] != tt.code || got.Message != tt.message {
				t.Errorf("got %q %v, want %q code %s", got.Message, got.Extensions, tt.message, tt.code)
			}
			if field, _ := got.Extensions[extField].(string); field != tt.field {
				t.Errorf("field %q, want %q", field, tt.field)
			}
			if logged := log.Len() > 0; logged != tt.logged {
				t.Errorf("logged %v, want %v: %s", logged, tt.logged, log)
			}
			if tt.logged && !strings.Contains(log.String(), tt.err.Error()) {
				t.Errorf("the log lacks the real error: %s", log)
			}
		})
	}
}

func TestRecoverPanic(t *testing.T) {
	log := captureLog(t)
	ctx := graphql.WithFieldContext(context.Background(), &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "speaker"}}})
	got := presentError(ctx, recoverPanic(ctx, "boom"))
	if got.Message != internalMessage || got.Extensions[extCode] != "INTERNAL" {
		t.Errorf("presented as %q %v", got.Message, got.Extensions)
	}
	if !strings.Contains(log.String(), "boom") || !strings.Contains(log.String(), "goroutine") {
		t.Errorf("the log lacks the panic and its stack: %s", log)
	}
}

func TestPageArgs(t *testing.T) {
	n := func(i int) *int { return &i }
	s := func(s string) *string { return &s }
	tests := []struct {
		name          string
		first, last   *int
		after, before *string
		want          domain.Page
		field         string // of the error; "" for none
		wantErr       bool
	}{
		{name: "none", want: domain.Page{}},
		{name: "first", first: n(100), want: domain.Page{First: 100}},
		{name: "last with cursor", last: n(2), before: s("AQI"), want: domain.Page{Last: 2, Before: []byte{1, 2}}},
		{name: "first 0", first: n(0), field: "first", wantErr: true},
		{name: "first 101", first: n(101), field: "first", wantErr: true},
		{name: "last negative", last: n(-1), field: "last", wantErr: true},
		{name: "both", first: n(1), last: n(1), wantErr: true},
		{name: "bad after", after: s("a b"), field: "after", wantErr: true},
		{name: "empty before", before: s(""), field: "before", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pageArgs(tt.first, tt.after, tt.last, tt.before)
			if tt.wantErr {
				var derr *domain.Error
				if !errors.As(err, &derr) || derr.Code != domain.CodeBadUserInput || strings.Join(derr.Path, ".") != tt.field {
					t.Errorf("error %#v, want BAD_USER_INPUT on %q", err, tt.field)
				}
				return
			}
			if err != nil || got.First != tt.want.First || got.Last != tt.want.Last || !bytes.Equal(got.Before, tt.want.Before) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}
