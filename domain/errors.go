package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies an error for API clients. The GraphQL layer maps each code
// to extensions.code (and HTTP status) in exactly one place.
type Code string

// The error codes a client can see.
const (
	CodeBadUserInput    Code = "BAD_USER_INPUT"
	CodeNotFound        Code = "NOT_FOUND"
	CodeConflict        Code = "CONFLICT"
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeInternal        Code = "INTERNAL"
)

// Error is an error a client may see: a code, a message that says what to
// fix, and optionally the path of the offending input field.
type Error struct {
	Code    Code
	Path    []string
	Message string
}

func (e *Error) Error() string {
	if len(e.Path) == 0 {
		return e.Message
	}
	return strings.Join(e.Path, ".") + ": " + e.Message
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns a BAD_USER_INPUT *Error about the field at path.
func FieldErrorf(path []string, format string, args ...any) *Error {
	return &Error{Code: CodeBadUserInput, Path: path, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or CodeInternal when err carries none:
// an error without a code is a bug or an infrastructure failure, never
// something a client did wrong.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// WithPath returns a copy of err with prefix prepended to its path. Errors
// without a code are returned unchanged.
func WithPath(err error, prefix ...string) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Path = append(append([]string{}, prefix...), e.Path...)
	return &c
}

// ErrNotFound builds the NOT_FOUND error for a record of the given type.
func ErrNotFound(typ, what string) *Error {
	return Errorf(CodeNotFound, "%s %s does not exist", typ, what)
}

// ErrStorageFull reports that the database reached its configured maximum
// size. It is INTERNAL, since the client did nothing wrong, but unlike other
// internal errors its message is shown: it says what happened and that
// nothing was written, which a client needs to know to retry later.
var ErrStorageFull = &Error{Code: CodeInternal, Message: "the database is full (it reached its configured maximum size); nothing was written, try again after an operator has made room"}

// ErrStoreStopped reports that the store stopped serving after a commit
// failed once it was visible (the disk would not sync it): nothing is
// read or written until an operator restarts the server. INTERNAL, and
// shown, as ErrStorageFull is: a client needs to know it is not its
// request that failed, and that retrying will not help until then.
var ErrStoreStopped = &Error{Code: CodeInternal, Message: "the database stopped: a write could not be synced to disk, so nothing more is read or written until an operator restarts the server"}
