// Package money is Divvy's arithmetic of money: amounts in a currency, what
// people type and what they read, splitting a bill into shares and settling
// balances. It does no I/O and never uses floating point: amounts are
// shopspring decimals whose scale is the currency's minor unit.
package money

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// MaxMajorUnits bounds amounts that people type and bills that get split:
// nobody splits a billion, so anything larger is a typo or an attack, and the
// bound keeps every sum comfortably inside int64 minor units.
const MaxMajorUnits = 1_000_000_000

// Money is an amount in a currency. Build it with New, FromMinor, Zero or
// Parse, which guarantee that Amount has no more decimals than the currency
// allows; the zero Money{} has no currency and matches nothing.
type Money struct {
	Amount   decimal.Decimal
	Currency string // ISO 4217 code, upper case
}

// New returns amount in the currency code. It fails with ErrUnknownCurrency,
// with ErrTooManyDecimals when amount is finer than the minor unit (12.505 EUR)
// and with ErrTooLarge when the amount does not fit int64 minor units.
func New(amount decimal.Decimal, code string) (Money, error) {
	c, ok := LookupCurrency(code)
	if !ok {
		return Money{}, fmt.Errorf("%w %q", ErrUnknownCurrency, code)
	}
	if n := decimals(amount); n > int64(c.Minor) {
		return Money{}, fmt.Errorf("%w: %s; %s has %d", ErrTooManyDecimals, allowedDecimals(c), show(amount), n)
	}
	if !fitsMinor(amount, c) {
		return Money{}, fmt.Errorf("%w: %s %s", ErrTooLarge, show(amount), c.Code)
	}
	units := amount.Shift(c.Minor)
	// Store at the currency's scale so that String, the database and tests
	// all see 11.80 rather than 11.8.
	return Money{Amount: decimal.New(units.IntPart(), -c.Minor), Currency: c.Code}, nil
}

// FromMinor returns units minor units (cents for EUR, yen for JPY) of the
// currency code.
func FromMinor(units int64, code string) (Money, error) {
	c, ok := LookupCurrency(code)
	if !ok {
		return Money{}, fmt.Errorf("%w %q", ErrUnknownCurrency, code)
	}
	return Money{Amount: decimal.New(units, -c.Minor), Currency: c.Code}, nil
}

// Zero returns nothing in the currency code (upper-cased when known), the
// starting point of a sum.
func Zero(code string) Money {
	if c, ok := LookupCurrency(code); ok {
		return Money{Amount: decimal.New(0, -c.Minor), Currency: c.Code}
	}
	return Money{Amount: decimal.Zero, Currency: code}
}

// MinorUnits returns the amount in minor units: 4750 for 47.50 EUR. It is
// exact for any Money built by this package; for an unknown currency it
// assumes 2 decimals.
func (m Money) MinorUnits() int64 {
	return m.Amount.Shift(minorOf(m.Currency)).IntPart()
}

// Add returns m + o, or ErrCurrencyMismatch.
func (m Money) Add(o Money) (Money, error) {
	if err := m.sameCurrency(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m - o, or ErrCurrencyMismatch.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.sameCurrency(o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// Cmp returns -1, 0 or +1 as m is less than, equal to or more than o, or
// ErrCurrencyMismatch: comparing euros with yen means nothing.
func (m Money) Cmp(o Money) (int, error) {
	if err := m.sameCurrency(o); err != nil {
		return 0, err
	}
	return m.Amount.Cmp(o.Amount), nil
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// IsNegative reports whether the amount is below zero (someone owes).
func (m Money) IsNegative() bool { return m.Amount.IsNegative() }

// IsPositive reports whether the amount is above zero.
func (m Money) IsPositive() bool { return m.Amount.IsPositive() }

// String returns the canonical, locale-free form for logs: "47.50 EUR".
// Readers get Format instead.
func (m Money) String() string {
	return m.Amount.StringFixed(minorOf(m.Currency)) + " " + m.Currency
}

func (m Money) sameCurrency(o Money) error {
	if m.Currency != o.Currency {
		return fmt.Errorf("%w: %s and %s", ErrCurrencyMismatch, m.Currency, o.Currency)
	}
	return nil
}

// minorOf is the scale of code, 2 (the common case) when unknown so that
// formatting a hand-built Money still shows something sensible.
func minorOf(code string) int32 {
	if c, ok := LookupCurrency(code); ok {
		return c.Minor
	}
	return 2
}

// decimals returns how many decimals d really needs: 1 for 12.50, 0 for 1200.
func decimals(d decimal.Decimal) int64 {
	if e := int64(d.Normalize().Exponent()); e < 0 {
		return -e
	}
	return 0
}

func allowedDecimals(c Currency) string {
	switch c.Minor {
	case 0:
		return c.Code + " has no decimals"
	case 1:
		return c.Code + " has 1 decimal at most"
	}
	return fmt.Sprintf("%s has %d decimals at most", c.Code, c.Minor)
}

// fitsMinor reports whether d is a whole number of minor units of c whose
// count fits int64, so that MinorUnits is exact.
func fitsMinor(d decimal.Decimal, c Currency) bool {
	if d.IsZero() {
		return true
	}
	// |d| < 10^(digits+exponent): test that first, so that a value such as
	// 1e2000000000 is refused without building its two billion digits.
	if int64(d.NumDigits())+int64(d.Exponent()) > 19 || decimals(d) > int64(c.Minor) {
		return false
	}
	return d.Shift(c.Minor).BigInt().IsInt64()
}

// show prints d for an error message, unless its exponent makes the plain
// form absurdly long.
func show(d decimal.Decimal) string {
	if e := d.Exponent(); e < -40 || e > 40 {
		return fmt.Sprintf("%se%d", d.Coefficient(), e)
	}
	return d.String()
}
