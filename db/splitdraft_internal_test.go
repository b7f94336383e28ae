package db

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// The split form's values go through db/money's parsers: what the form
// tests type keeps its meaning, and the separators read as in amounts.
func TestParseValue(t *testing.T) {
	for _, c := range []struct {
		in   string
		mode money.Mode
		want string // "" when err is wanted
		err  error
	}{
		{"10", money.ModeExact, "10", nil},
		{"7,50", money.ModeExact, "7.5", nil},
		{"7.50 €", money.ModeExact, "7.5", nil},
		{"€7.50", money.ModeExact, "7.5", nil},
		{"1 234,50", money.ModeExact, "1234.5", nil},
		{"0", money.ModeExact, "0", nil},
		{"0,00 €", money.ModeExact, "0", nil},
		{"", money.ModeExact, "0", nil},
		{"5 USD", money.ModeExact, "", money.ErrCurrencyMismatch},
		{"7,5055", money.ModeExact, "", money.ErrTooManyDecimals},
		{"7,505", money.ModeExact, "7505", nil}, // a single separator before 3 digits groups thousands
		{"-5", money.ModeExact, "", money.ErrNegative},
		{"abc", money.ModeExact, "", money.ErrMalformed},

		{"50", money.ModePercent, "50", nil},
		{"25%", money.ModePercent, "25", nil},
		{" 25 % ", money.ModePercent, "25", nil},
		{"33,33", money.ModePercent, "33.33", nil},
		{"33.3333333333", money.ModePercent, "33.3333333333", nil},
		{"", money.ModePercent, "0", nil},
		{"-5", money.ModePercent, "", money.ErrNegative},
		{"25 €", money.ModePercent, "", errBadNumber},
		{"1e3", money.ModePercent, "", errBadNumber},
		{"abc", money.ModePercent, "", errBadNumber},

		{"2", money.ModeShares, "2", nil},
		{"1,5", money.ModeShares, "1.5", nil},
		{"0.5", money.ModeShares, "0.5", nil},
		{"0", money.ModeShares, "0", nil},
		{"", money.ModeShares, "1", nil},
		{"1 000", money.ModeShares, "1000", nil},
	} {
		got, err := parseValue(c.in, c.mode, "EUR")
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("parseValue(%q, %s) = %v, %v; want %v", c.in, c.mode, got, err, c.err)
			}
			continue
		}
		if err != nil || !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("parseValue(%q, %s) = %v, %v; want %s", c.in, c.mode, got, err, c.want)
		}
	}
}

func TestParseExtra(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    string
		percent bool
		err     error
	}{
		{"", "0", false, nil},
		{"10%", "10", true, nil},
		{"12,5 %", "12.5", true, nil},
		{"3", "3", false, nil},
		{"3,50 €", "3.5", false, nil},
		{"0", "0", false, nil},
		{"0.000", "0", false, nil},
		{"-1%", "", false, errBadNumber},
		{"x%", "", false, errBadNumber},
		{"-3", "", false, money.ErrNegative},
		{"3 GBP", "", false, money.ErrCurrencyMismatch},
	} {
		got, err := parseExtra(c.in, "EUR")
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("parseExtra(%q) = %v, %v; want %v", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !got.Amount.Equal(decimal.RequireFromString(c.want)) || got.Percent != c.percent {
			t.Errorf("parseExtra(%q) = %+v, %v; want %s (percent %v)", c.in, got, err, c.want, c.percent)
		}
	}
}
