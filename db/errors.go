package db

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// Error codes: the one vocabulary every layer speaks. Handlers map them to
// HTTP statuses; the store maps driver errors into them once.
const (
	ECONFLICT     = "conflict"     // the request clashes with the current state
	EINTERNAL     = "internal"     // a bug or an outage: logged with detail, never shown
	EINVALID      = "invalid"      // the input is wrong; the message says how
	ENOTFOUND     = "not_found"    // no such thing, or not visible to the caller
	EUNAUTHORIZED = "unauthorized" // not signed in, or wrong credentials
	EFORBIDDEN    = "forbidden"    // signed in, but not allowed
	ETOOMANY      = "too_many"     // rate limited
	EUNAVAILABLE  = "unavailable"  // a dependency is down for now
)

// Error is an application error with a code and a sentence a person can act on.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EINTERNAL for errors outside the vocabulary.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human sentence of err; internal errors get a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Something went wrong on our side. Please try again."
}

// mapErr translates driver errors into the vocabulary once, at the store's edge.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Errorf(ENOTFOUND, "%s not found.", what)
	}
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		switch pqe.Code {
		case "23505":
			return Errorf(ECONFLICT, "%s already exists.", what)
		case "23503":
			return Errorf(ENOTFOUND, "%s refers to something that does not exist.", what)
		}
	}
	return err
}

// isRetryable reports serialization failures and deadlocks, which a
// transaction may simply run again.
func isRetryable(err error) bool {
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		return pqe.Code == "40001" || pqe.Code == "40P01"
	}
	return false
}
