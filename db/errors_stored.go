package db

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// A refusal recorded against a transfer id (ledger_attempts.message) must
// come back as the same refusal, parameters and their types included, when
// the id is retried. It is stored as JSON with each value tagged by its
// type; a message that is not such JSON is an English sentence from before
// reasons.

type storedParam struct {
	T string `json:"t"`
	V string `json:"v"`
}

type storedRefusal struct {
	Reason string                 `json:"reason"`
	Params map[string]storedParam `json:"params,omitempty"`
}

// stored is what ledger_attempts keeps of e.
func (e *Error) stored() string {
	if e.Reason == "" {
		return e.Message
	}
	s := storedRefusal{Reason: e.Reason}
	if len(e.Params) > 0 {
		s.Params = make(map[string]storedParam, len(e.Params))
	}
	for k, v := range e.Params {
		var p storedParam
		switch x := v.(type) {
		case money.Money:
			p = storedParam{"money", x.Amount.String() + " " + x.Currency}
		case time.Time:
			p = storedParam{"time", x.UTC().Format(time.RFC3339Nano)}
		case time.Duration:
			p = storedParam{"duration", x.String()}
		case int:
			p = storedParam{"int", strconv.Itoa(x)}
		case int64:
			p = storedParam{"int", strconv.FormatInt(x, 10)}
		case decimal.Decimal:
			p = storedParam{"decimal", x.String()}
		case string:
			p = storedParam{"string", x}
		default:
			p = storedParam{"string", e.Error()}
		}
		s.Params[k] = p
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// storedError rebuilds the refusal stored for a transfer id.
func storedError(code, message string) *Error {
	var s storedRefusal
	if !strings.HasPrefix(message, "{") || json.Unmarshal([]byte(message), &s) != nil || s.Reason == "" {
		return &Error{Code: code, Message: message}
	}
	e := &Error{Code: code, Reason: s.Reason}
	if len(s.Params) > 0 {
		e.Params = make(map[string]any, len(s.Params))
	}
	for k, p := range s.Params {
		var v any = p.V
		switch p.T {
		case "money":
			amount, cur, _ := strings.Cut(p.V, " ")
			if d, err := decimal.NewFromString(amount); err == nil {
				v = money.Money{Amount: d, Currency: cur}
			}
		case "time":
			if t, err := time.Parse(time.RFC3339Nano, p.V); err == nil {
				v = t
			}
		case "duration":
			if d, err := time.ParseDuration(p.V); err == nil {
				v = d
			}
		case "int":
			if n, err := strconv.Atoi(p.V); err == nil {
				v = n
			}
		case "decimal":
			if d, err := decimal.NewFromString(p.V); err == nil {
				v = d
			}
		}
		e.Params[k] = v
	}
	return e
}
