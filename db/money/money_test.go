package money

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func mustNew(t testing.TB, amount, code string) Money {
	t.Helper()
	m, err := New(dec(amount), code)
	if err != nil {
		t.Fatalf("New(%s, %s): %v", amount, code, err)
	}
	return m
}

func TestLookupCurrency(t *testing.T) {
	tests := []struct {
		code      string
		wantOK    bool
		wantCode  string
		wantMinor int32
	}{
		{"EUR", true, "EUR", 2},
		{"eur", true, "EUR", 2},
		{"Jpy", true, "JPY", 0},
		{"XOF", true, "XOF", 0},
		{"CHF", true, "CHF", 2},
		{"XYZ", false, "", 0},
		{"", false, "", 0},
	}
	for _, tt := range tests {
		got, ok := LookupCurrency(tt.code)
		if ok != tt.wantOK || got.Code != tt.wantCode || got.Minor != tt.wantMinor {
			t.Errorf("LookupCurrency(%q) = %+v, %v; want %s/%d, %v", tt.code, got, ok, tt.wantCode, tt.wantMinor, tt.wantOK)
		}
	}
}

func TestCurrencies(t *testing.T) {
	list := Currencies()
	var codes []string
	for _, c := range list {
		codes = append(codes, c.Code)
	}
	if !slices.IsSorted(codes) {
		t.Errorf("Currencies() not sorted: %v", codes)
	}
	for _, want := range strings.Fields("EUR USD GBP CHF JPY CAD AUD SEK NOK DKK PLN XOF NGN MAD") {
		if !slices.Contains(codes, want) {
			t.Errorf("Currencies() lacks %s", want)
		}
	}
	list[0].Code = "changed" // the caller's copy, not the table
	if Currencies()[0].Code == "changed" {
		t.Error("Currencies() exposes the table")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		amount, code string
		want         string // String() of the result
		wantErr      error
	}{
		{"47.5", "EUR", "47.50 EUR", nil},
		{"47.50", "eur", "47.50 EUR", nil},
		{"-3", "USD", "-3.00 USD", nil},
		{"500", "JPY", "500 JPY", nil},
		{"12.500", "EUR", "12.50 EUR", nil}, // trailing zeros are not decimals
		{"0", "GBP", "0.00 GBP", nil},
		{"12.505", "EUR", "", ErrTooManyDecimals},
		{"500.5", "JPY", "", ErrTooManyDecimals},
		{"1", "XYZ", "", ErrUnknownCurrency},
		{"1e30", "EUR", "", ErrTooLarge},
	}
	for _, tt := range tests {
		got, err := New(dec(tt.amount), tt.code)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("New(%s, %s) error = %v, want %v", tt.amount, tt.code, err, tt.wantErr)
			continue
		}
		if err == nil && got.String() != tt.want {
			t.Errorf("New(%s, %s) = %s, want %s", tt.amount, tt.code, got, tt.want)
		}
	}
	// Extreme exponents are refused without building their digits.
	if _, err := New(decimal.New(1, -2000000000), "EUR"); !errors.Is(err, ErrTooManyDecimals) {
		t.Errorf("New(1e-2000000000) error = %v, want ErrTooManyDecimals", err)
	}
	if _, err := New(decimal.New(1, 2000000000), "EUR"); !errors.Is(err, ErrTooLarge) {
		t.Errorf("New(1e2000000000) error = %v, want ErrTooLarge", err)
	}
	_, err := New(dec("12.505"), "EUR")
	if want := "EUR has 2 decimals at most; 12.505 has 3"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("New(12.505 EUR) error = %v, want it to say %q", err, want)
	}
}

func TestFromMinorAndMinorUnits(t *testing.T) {
	tests := []struct {
		units int64
		code  string
		want  string
	}{
		{4750, "EUR", "47.50 EUR"},
		{-1, "EUR", "-0.01 EUR"},
		{500, "JPY", "500 JPY"},
		{0, "XOF", "0 XOF"},
		{9223372036854775807, "EUR", "92233720368547758.07 EUR"},
	}
	for _, tt := range tests {
		m, err := FromMinor(tt.units, tt.code)
		if err != nil {
			t.Fatalf("FromMinor(%d, %s): %v", tt.units, tt.code, err)
		}
		if got := m.String(); got != tt.want {
			t.Errorf("FromMinor(%d, %s) = %s, want %s", tt.units, tt.code, got, tt.want)
		}
		if got := m.MinorUnits(); got != tt.units {
			t.Errorf("FromMinor(%d, %s).MinorUnits() = %d", tt.units, tt.code, got)
		}
	}
	if _, err := FromMinor(1, "ABC"); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("FromMinor(1, ABC) error = %v, want ErrUnknownCurrency", err)
	}
}

func TestArithmetic(t *testing.T) {
	a, b := mustNew(t, "47.50", "EUR"), mustNew(t, "11.88", "EUR")
	sum, err := a.Add(b)
	if err != nil || sum.String() != "59.38 EUR" {
		t.Errorf("Add = %v, %v; want 59.38 EUR", sum, err)
	}
	diff, err := b.Sub(a)
	if err != nil || diff.String() != "-35.62 EUR" || !diff.IsNegative() || diff.IsPositive() {
		t.Errorf("Sub = %v, %v; want -35.62 EUR, negative", diff, err)
	}
	if c, err := a.Cmp(b); c != 1 || err != nil {
		t.Errorf("Cmp = %d, %v; want 1", c, err)
	}
	if c, err := b.Cmp(mustNew(t, "11.880", "EUR")); c != 0 || err != nil {
		t.Errorf("Cmp equal = %d, %v; want 0", c, err)
	}
	z := Zero("eur")
	if !z.IsZero() || z.Currency != "EUR" || z.String() != "0.00 EUR" {
		t.Errorf("Zero(eur) = %v", z)
	}
	usd := mustNew(t, "5", "USD")
	if _, err := a.Add(usd); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Add EUR+USD error = %v, want ErrCurrencyMismatch", err)
	}
	if _, err := a.Sub(usd); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Sub EUR-USD error = %v, want ErrCurrencyMismatch", err)
	}
	if _, err := a.Cmp(usd); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Cmp EUR/USD error = %v, want ErrCurrencyMismatch", err)
	}
}

func TestMismatchError(t *testing.T) {
	tests := []struct {
		err  *MismatchError
		want string
	}{
		{newMismatch("amounts", "EUR", dec("47.5"), dec("45")), "the amounts add up to 45.00, 2.50 short of 47.50"},
		{newMismatch("amounts", "EUR", dec("47.5"), dec("50")), "the amounts add up to 50.00, 2.50 more than 47.50"},
		{newMismatch("percentages", "", dec("100"), dec("90")), "the percentages add up to 90, 10 short of 100"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		var err error = tt.err
		if !errors.Is(err, ErrDoesNotAddUp) {
			t.Errorf("errors.Is(%v, ErrDoesNotAddUp) = false", err)
		}
	}
}
