package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"parley/domain"
)

// This file is the one place where errors become what a client sees.
//
// A *domain.Error keeps its code and message, and its field path (the
// offending input, prefixed with the argument name) goes to
// extensions.field. Errors that gqlgen and gqlparser write for clients
// (syntax and validation errors) keep their message and standard code,
// except that a wrong value for an argument or variable is BAD_USER_INPUT
// like every other bad input. Anything else is a bug or an infrastructure
// failure: it is logged and the client sees only "internal error".

// internalMessage is all a client learns about an unexpected error.
const internalMessage = "internal error"

// Keys of the extensions map.
const (
	extCode  = "code"
	extField = "field"
)

// presentError is the gqlgen ErrorPresenter.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	gerr := graphql.DefaultErrorPresenter(ctx, err)

	if derr, ok := errors.AsType[*domain.Error](err); ok {
		out := &gqlerror.Error{
			Message:    derr.Message,
			Path:       gerr.Path,
			Locations:  gerr.Locations,
			Extensions: map[string]any{extCode: string(derr.Code)},
		}
		if derr.Code == domain.CodeInternal {
			if derr != errPanic { // recoverPanic has logged it, with the stack
				logError(ctx, err)
			}
			if derr != domain.ErrStorageFull && derr != domain.ErrStoreStopped { // the internal errors meant for clients
				out.Message = internalMessage
			}
			return out
		}
		field := derr.Path
		if len(field) == 0 {
			// A scalar's parse error has no path of its own; gqlgen
			// reports it on the field's path followed by the argument's.
			field = splitArgPath(ctx, out)
		}
		if len(field) > 0 {
			name := strings.Join(field, ".")
			out.Extensions[extField] = name
			out.Message = name + ": " + derr.Message
		}
		return out
	}

	if errors.Is(err, context.DeadlineExceeded) {
		// The request's deadline ended the field. A mutation's answer is
		// sent as it is (see requestState.write), with 503 so that
		// clients try again: an import call sent again gets the report
		// of a batch that another call's group committed meanwhile.
		setStatus(ctx, http.StatusServiceUnavailable, nil)
		return &gqlerror.Error{
			Message:    "this field did not finish within the request's deadline; ask for less or try again later",
			Path:       gerr.Path,
			Locations:  gerr.Locations,
			Extensions: map[string]any{extCode: string(domain.CodeInternal), "limit": "deadline"},
		}
	}

	if gerr.Err == nil {
		// Written by gqlgen or gqlparser for the client. Every error
		// carries a code: those that come without one (a persisted
		// query's hash that does not match its text, say) are about what
		// the client sent.
		if _, coded := gerr.Extensions[extCode]; !coded || isBadValue(gerr) {
			setCode(gerr, domain.CodeBadUserInput)
		}
		return gerr
	}

	logError(ctx, err)
	return &gqlerror.Error{
		Message:    internalMessage,
		Path:       gerr.Path,
		Locations:  gerr.Locations,
		Extensions: map[string]any{extCode: string(domain.CodeInternal)},
	}
}

// isBadValue reports whether a validation error is about a value the
// client sent (a literal of the wrong type, an unknown enum value, a
// variable that does not fit its type) rather than about the document's
// structure, which keeps GRAPHQL_VALIDATION_FAILED.
func isBadValue(err *gqlerror.Error) bool {
	if code, _ := err.Extensions[extCode].(string); code != errcode.ValidationFailed {
		return false
	}
	if err.Rule == "ValuesOfCorrectType" {
		return true
	}
	// Variable coercion errors are reported on the path variable.<name>.
	return len(err.Path) > 0 && err.Path[0] == ast.PathName("variable")
}

func setCode(err *gqlerror.Error, code domain.Code) {
	if err.Extensions == nil {
		err.Extensions = map[string]any{}
	}
	err.Extensions[extCode] = string(code)
}

// splitArgPath moves the argument part of an argument error's path
// (["createSource", "input", "publishedAt"]) out of the response path,
// which then names the field (["createSource"]), and returns it
// (["input", "publishedAt"]). An error on a field's own path has no
// argument part.
func splitArgPath(ctx context.Context, err *gqlerror.Error) []string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil
	}
	field := fc.Path()
	if len(err.Path) <= len(field) {
		return nil
	}
	arg := make([]string, 0, len(err.Path)-len(field))
	for _, el := range err.Path[len(field):] {
		arg = append(arg, fmt.Sprint(el))
	}
	err.Path = field
	if len(err.Locations) == 0 {
		pos := fc.Field.Position
		err.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	return arg
}

// errPanic is what a client learns of a panic.
var errPanic = &domain.Error{Code: domain.CodeInternal, Message: internalMessage}

// recoverPanic is the gqlgen RecoverFunc: a panic in a resolver is logged
// with its stack and reported as INTERNAL.
func recoverPanic(ctx context.Context, p any) error {
	slog.ErrorContext(ctx, "panic in resolver", "panic", p, "path", graphql.GetPath(ctx).String(), "stack", string(debug.Stack()))
	return errPanic
}

func logError(ctx context.Context, err error) {
	if errors.Is(err, context.Canceled) {
		// The client went away: nothing to fix on this side.
		return
	}
	slog.ErrorContext(ctx, "request failed", "path", graphql.GetPath(ctx).String(), "error", err)
}

// argError attributes err to argument arg: a coded error about a field of
// the argument gets the argument's name in front of its path
// (input.speaker.country); others are returned unchanged.
func argError(arg string, err error) error {
	if derr, ok := errors.AsType[*domain.Error](err); ok && len(derr.Path) > 0 {
		return domain.WithPath(err, arg)
	}
	return err
}
