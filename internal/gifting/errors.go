package gifting

import (
	"errors"
	"fmt"
)

// Kind classifies an Error; the HTTP layer maps each kind to one status.
type Kind int

// Error kinds.
const (
	KindInvalid   Kind = iota + 1 // the request is malformed (400)
	KindForbidden                 // the caller may not do this (403)
	KindNotFound                  // a named thing does not exist (404)
	KindConflict                  // the state forbids it, e.g. already live (409)
	KindRule                      // an economy or business rule refuses it (422)
)

// Error is a refusal with a stable machine code, a message for people, and
// details. Use errors.As to read it.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(kind Kind, code string, details map[string]any, format string, args ...any) *Error {
	return &Error{Kind: kind, Code: code, Message: fmt.Sprintf(format, args...), Details: details}
}

// Invalid returns a KindInvalid error with code "invalid_request".
func Invalid(format string, args ...any) *Error {
	return newError(KindInvalid, "invalid_request", nil, format, args...)
}

// InvalidField returns a KindInvalid error naming the field that is wrong.
func InvalidField(field, format string, args ...any) *Error {
	return newError(KindInvalid, "invalid_request", map[string]any{"field": field}, format, args...)
}

// NotFound returns a KindNotFound error with code "<what>_not_found".
func NotFound(what, id string) *Error {
	return newError(KindNotFound, what+"_not_found", map[string]any{"id": id}, "%s %q not found", what, id)
}

// Rule returns a KindRule error.
func Rule(code string, details map[string]any, format string, args ...any) *Error {
	return newError(KindRule, code, details, format, args...)
}

// Conflict returns a KindConflict error.
func Conflict(code string, details map[string]any, format string, args ...any) *Error {
	return newError(KindConflict, code, details, format, args...)
}

// Forbidden returns a KindForbidden error.
func Forbidden(format string, args ...any) *Error {
	return newError(KindForbidden, "forbidden", nil, format, args...)
}

// IsKind reports whether err is an *Error of kind k.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
