package kycgate

import (
	"errors"
	"fmt"
)

// Application error codes. Only the server translates them to HTTP statuses;
// the rest of the code classifies failures with them.
const (
	EINVALID       = "invalid"            // the request or input is malformed
	ENOTFOUND      = "not_found"          // no such source, event or resource
	EUNAUTHORIZED  = "unauthorized"       // missing or bad signature or credential
	EFORBIDDEN     = "forbidden"          // authenticated, or not, but not allowed from here
	ETOOLARGE      = "too_large"          // body over the configured limit
	EMETHOD        = "method_not_allowed" // wrong HTTP method
	EUNAVAILABLE   = "unavailable"        // the store cannot commit; try again later
	EINTERNAL      = "internal"           // a bug or an unexpected failure
	ECONFLICT      = "conflict"           // the change conflicts with stored state
	ERATELIMITED   = "rate_limited"       // too many requests
	EUNPROCESSABLE = "unprocessable"      // understood but cannot be acted upon
	EUNSUPPORTED   = "unsupported_media"  // e.g. a compressed body
)

// Error is an application error: a code for machines and a message for people.
// The message is safe to show to the caller; internal details stay in the
// wrapped error, which is logged but never sent.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns an application error that keeps err for the logs.
func WrapError(code string, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// ErrorCode returns the code of an application error, or EINTERNAL for any
// other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of an application error, or a generic
// message for any other error, so that internals never reach the caller.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
