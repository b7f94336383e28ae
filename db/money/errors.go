package money

import (
	"errors"
	"fmt"

	"github.com/shopspring/decimal"
)

// The error vocabulary of the package. Functions return these wrapped with a
// sentence that names the exact problem ("EUR has 2 decimals at most; ..."), so
// callers test them with errors.Is and may show err.Error() or translate the
// sentinel into the reader's language.
var (
	// ErrEmpty: nothing was typed.
	ErrEmpty = errors.New("no amount")
	// ErrMalformed: the text is not an amount at all.
	ErrMalformed = errors.New("not an amount")
	// ErrNegative: an amount or value that must not be negative is.
	ErrNegative = errors.New("negative amount")
	// ErrZero: an amount that must be positive is zero.
	ErrZero = errors.New("zero amount")
	// ErrTooManyDecimals: finer than the currency's minor unit (or than a
	// percentage or weight may be).
	ErrTooManyDecimals = errors.New("too many decimals")
	// ErrTooLarge: beyond what a bill can plausibly be (see MaxMajorUnits).
	ErrTooLarge = errors.New("amount too large")
	// ErrUnknownCurrency: not a currency this package knows.
	ErrUnknownCurrency = errors.New("unknown currency")
	// ErrCurrencyMismatch: two amounts in different currencies were combined.
	ErrCurrencyMismatch = errors.New("different currencies")
	// ErrDoesNotAddUp: parts that must make a whole do not. Returned as a
	// *MismatchError, which carries the figures.
	ErrDoesNotAddUp = errors.New("amounts do not add up")
	// ErrNoParticipants: a split needs at least one person.
	ErrNoParticipants = errors.New("no participants")
	// ErrTooManyParticipants: more than MaxPeople people in one split.
	ErrTooManyParticipants = errors.New("too many participants")
	// ErrInvalidSplit: the split description itself is inconsistent (wrong
	// number of values, unknown mode, item without people, ...).
	ErrInvalidSplit = errors.New("invalid split")
)

// MismatchError reports parts that do not add up to their whole, with the
// figures, so a form can say "2,50 € short" in the reader's locale instead of
// relying on Error's English text. errors.Is(err, ErrDoesNotAddUp) holds.
type MismatchError struct {
	Want decimal.Decimal // the whole: the total, 100 (percent), 0 (balances)
	Got  decimal.Decimal // what the parts add up to
	Diff decimal.Decimal // Got - Want: negative when short, positive when over
	What string          // what was added up, plural: "amounts", "percentages", ...
	// Currency is the ISO code when the figures are money (major units), and
	// empty when they are percentages.
	Currency string
}

func newMismatch(what, currency string, want, got decimal.Decimal) *MismatchError {
	return &MismatchError{Want: want, Got: got, Diff: got.Sub(want), What: what, Currency: currency}
}

// Error says, for instance, "the amounts add up to 45.00, 2.50 short of 47.50".
func (e *MismatchError) Error() string {
	fig := func(d decimal.Decimal) string {
		if c, ok := LookupCurrency(e.Currency); ok {
			return d.StringFixed(c.Minor)
		}
		return d.String()
	}
	how := "short of"
	if e.Diff.IsPositive() {
		how = "more than"
	}
	return fmt.Sprintf("the %s add up to %s, %s %s %s",
		e.What, fig(e.Got), fig(e.Diff.Abs()), how, fig(e.Want))
}

// Unwrap makes errors.Is(err, ErrDoesNotAddUp) true.
func (e *MismatchError) Unwrap() error { return ErrDoesNotAddUp }
