package db

import (
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/lib/pq"
)

// Error codes: the one vocabulary every layer speaks. Handlers map them to
// HTTP statuses; the store maps driver errors into them once.
const (
	ECONFLICT     = "conflict"     // the request clashes with the current state
	EINTERNAL     = "internal"     // a bug or an outage: logged with detail, never shown
	EINVALID      = "invalid"      // the input is wrong; the reason says how
	ENOTFOUND     = "not_found"    // no such thing, or not visible to the caller
	EUNAUTHORIZED = "unauthorized" // not signed in, or wrong credentials
	EFORBIDDEN    = "forbidden"    // signed in, but not allowed
	ETOOMANY      = "too_many"     // rate limited
	EUNAVAILABLE  = "unavailable"  // a dependency is down for now
)

// Error is a refusal: Code is its class (handlers turn it into an HTTP
// status), Reason a stable key that views turn into a sentence in the
// reader's language, Params the values that sentence names (money.Money,
// time.Time, int, string). db never writes the sentence itself, so a French
// reader never sees English.
//
// Message is only set by the legacy Errorf (an English sentence or a
// message key); new refusals come from a Reason.
type Error struct {
	Code    string
	Reason  string
	Params  map[string]any
	Message string
}

// Error describes the refusal for logs and tests: the reason and its
// parameters in a stable order (not a sentence for people).
func (e *Error) Error() string {
	if e.Reason == "" {
		return e.Message
	}
	if len(e.Params) == 0 {
		return e.Reason
	}
	keys := make([]string, 0, len(e.Params))
	for k := range e.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(e.Reason)
	b.WriteString(" (")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%v", k, e.Params[k])
	}
	b.WriteString(")")
	return b.String()
}

// RefusalKey and RefusalParams let views translate the refusal without
// importing db.
func (e *Error) RefusalKey() string { return e.Reason }

// RefusalParams returns the values the sentence names.
func (e *Error) RefusalParams() map[string]any { return e.Params }

// Reason is one kind of refusal db can return. Declare each once, as a
// package variable, so the registry knows it before anything runs and a
// test can check that every reason has its sentence in every language:
//
//	var errCapPerPayment = NewReason(ELIMIT, "cap.per_payment", "limit", "amount")
//	...
//	return errCapPerPayment.New(per, amount)
type Reason struct {
	Code   string
	Key    string
	Params []string
}

var (
	reasonsMu sync.Mutex
	reasons   = map[string]Reason{}
)

// NewReason registers a refusal: its code, its key (what views translate,
// "area.what", lower case) and the names of its parameters, in the order
// New takes their values. It panics when the key is taken: two refusals
// sharing a key would share a sentence. Call it only in package variables.
func NewReason(code, key string, params ...string) Reason {
	reasonsMu.Lock()
	defer reasonsMu.Unlock()
	if _, dup := reasons[key]; dup {
		panic("db: refusal reason " + key + " declared twice")
	}
	r := Reason{Code: code, Key: key, Params: params}
	reasons[key] = r
	return r
}

// New returns the refusal with the values of its parameters, in the order
// they were declared.
func (r Reason) New(values ...any) *Error {
	e := &Error{Code: r.Code, Reason: r.Key}
	if len(r.Params) > 0 {
		e.Params = make(map[string]any, len(r.Params))
		for i, name := range r.Params {
			if i < len(values) {
				e.Params[name] = values[i]
			}
		}
	}
	return e
}

// Is lets errors.Is(err, reason.New()) and tests match on the reason alone.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Reason != "" && t.Reason == e.Reason
}

// Reasons lists every refusal registered so far (db's own and those of the
// packages the program imports, such as the payment provider), by key.
func Reasons() []Reason {
	reasonsMu.Lock()
	defer reasonsMu.Unlock()
	out := make([]Reason, 0, len(reasons))
	for _, r := range reasons {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// ReasonOf returns the reason key of err ("" for errors without one).
func ReasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Errorf returns an *Error with an English sentence. Deprecated: declare a
// Reason instead, so the refusal is translated; Errorf is kept while the
// sentences move to reasons.
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

// ErrorMessage returns what err says for logs and tests; people read the
// sentence views builds from the reason. Internal errors get a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "Something went wrong on our side. Please try again."
}

// Refusals for driver errors mapped at the store's edge; what names the
// thing with a word key ("split"). ErrNotFound is also for a handler that
// finds nothing to show.
var (
	ErrNotFound = NewReason(ENOTFOUND, "not_found", "what")
	errExists   = NewReason(ECONFLICT, "exists", "what")
	errDangling = NewReason(ENOTFOUND, "refers_missing", "what")
)

// mapErr translates driver errors into the vocabulary once, at the store's
// edge. what names the thing with a word key ("split", "user") that views
// translate.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound.New(what)
	}
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		switch pqe.Code {
		case "23505":
			return errExists.New(what)
		case "23503":
			return errDangling.New(what)
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
