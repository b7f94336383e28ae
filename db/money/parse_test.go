package money

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, def string
		want    string // Money.String()
	}{
		{"12,50 €", "USD", "12.50 EUR"},
		{"€12.50", "USD", "12.50 EUR"},
		{"12.50EUR", "USD", "12.50 EUR"},
		{"12.5 eur", "USD", "12.50 EUR"},
		{"1 234,56 €", "USD", "1234.56 EUR"},
		{"1\u00a0234,56 €", "USD", "1234.56 EUR"},
		{"1\u202f234,56\u00a0€", "USD", "1234.56 EUR"},
		{"1 234,56", "EUR", "1234.56 EUR"},
		{"1\u00a0234,56", "EUR", "1234.56 EUR"},
		{"1\u202f234,56", "EUR", "1234.56 EUR"},
		{"1,234.56", "EUR", "1234.56 EUR"},
		{"1.234,56", "EUR", "1234.56 EUR"},
		{"$5", "EUR", "5.00 USD"},
		{"5$", "EUR", "5.00 USD"},
		{"$ 5", "EUR", "5.00 USD"},
		{"£3", "EUR", "3.00 GBP"},
		{"50EUR", "USD", "50.00 EUR"},
		{"EUR50", "USD", "50.00 EUR"},
		{"47,50", "EUR", "47.50 EUR"},
		{"47.50 €", "USD", "47.50 EUR"},
		{"CHF 12.50", "EUR", "12.50 CHF"},
		{"chf12.5", "EUR", "12.50 CHF"},
		{"1'234.50 CHF", "EUR", "1234.50 CHF"},
		{"¥500", "EUR", "500 JPY"},
		{"500 ¥", "EUR", "500 JPY"},
		{"¥1,234", "EUR", "1234 JPY"},
		{"500,00 ¥", "EUR", "500 JPY"}, // zero decimals ask for no precision
		{"1000 XOF", "EUR", "1000 XOF"},
		{"12 kr", "SEK", "12.00 SEK"},
		{"12,50 kr", "DKK", "12.50 DKK"},
		{"12 euros", "USD", "12.00 EUR"},
		{"€12.50 EUR", "USD", "12.50 EUR"}, // named twice, but the same
		{"  12,50 €\n", "USD", "12.50 EUR"},
		{"0,50 €", "USD", "0.50 EUR"},
		{"0.01", "EUR", "0.01 EUR"},
		{"7", "eur", "7.00 EUR"},
		// The separator rule: one separator followed by exactly 3 digits groups thousands...
		{"1,234", "EUR", "1234.00 EUR"},
		{"1.234", "EUR", "1234.00 EUR"},
		{"12.500", "EUR", "12500.00 EUR"},
		// ...followed by 1 or 2 digits it is the decimal separator.
		{"1,23", "EUR", "1.23 EUR"},
		{"1,2", "EUR", "1.20 EUR"},
		{"1234.5", "EUR", "1234.50 EUR"},
		{"1.234.567", "EUR", "1234567.00 EUR"},
		{"1,234,567.89", "EUR", "1234567.89 EUR"},
		{"€ 1.234.567,89", "USD", "1234567.89 EUR"},
		{"1 234 567", "EUR", "1234567.00 EUR"},
		{"1,234.500", "EUR", "1234.50 EUR"},
		{"1 000 000 000", "EUR", "1000000000.00 EUR"},
		{"007", "EUR", "7.00 EUR"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.def)
		if err != nil {
			t.Errorf("Parse(%q, %s) error: %v", tt.in, tt.def, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("Parse(%q, %s) = %s, want %s", tt.in, tt.def, got, tt.want)
		}
		if c, _ := LookupCurrency(got.Currency); got.Amount.Exponent() != -c.Minor {
			t.Errorf("Parse(%q) amount %s is not at the scale of %s", tt.in, got.Amount, c.Code)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		in, def string
		want    error
		say     string // part of the message, if given
	}{
		{"", "EUR", ErrEmpty, ""},
		{" \u00a0 ", "EUR", ErrEmpty, ""},
		{"abc", "EUR", ErrMalformed, ""},
		{"€", "EUR", ErrMalformed, "no number"},
		{"12..5", "EUR", ErrMalformed, ""},
		{"12.", "EUR", ErrMalformed, ""},
		{".5", "EUR", ErrMalformed, ""},
		{"1.23.4", "EUR", ErrMalformed, ""},
		{"1,2.3", "EUR", ErrMalformed, ""},
		{"1.234,567.89", "EUR", ErrMalformed, ""},
		{"12 50", "EUR", ErrMalformed, ""},
		{"1 234.567,89", "EUR", ErrMalformed, ""}, // two grouping styles
		{"1.234 567", "EUR", ErrMalformed, ""},
		{"0,123,456", "EUR", ErrMalformed, ""},
		{"€5$", "EUR", ErrMalformed, "two currencies"},
		{"5 € 5", "EUR", ErrMalformed, ""},
		{"--5", "EUR", ErrMalformed, ""},
		{"5-", "EUR", ErrMalformed, ""},
		{"5 #", "EUR", ErrMalformed, ""},
		{"1e5", "EUR", ErrMalformed, ""},
		{"12 zorkmids", "EUR", ErrUnknownCurrency, `"zorkmids"`},
		{strings.Repeat("1", 200), "EUR", ErrMalformed, ""},
		{"\xff5", "EUR", ErrMalformed, ""},
		{"-5 €", "EUR", ErrNegative, "below zero"},
		{"-€5", "EUR", ErrNegative, ""},
		{"€-5", "EUR", ErrNegative, ""},
		{"\u22125", "EUR", ErrNegative, ""},
		{"EUR - 5", "EUR", ErrNegative, ""},
		{"-0", "EUR", ErrNegative, ""},
		{"0", "EUR", ErrZero, ""},
		{"0,00 €", "EUR", ErrZero, ""},
		{"1 000 000 000,01", "EUR", ErrTooLarge, ""},
		{"2000000000 €", "EUR", ErrTooLarge, ""},
		{"12,5055", "EUR", ErrTooManyDecimals, `EUR has 2 decimals at most; "12,5055" has 4`},
		{"0,125 €", "EUR", ErrTooManyDecimals, `"0,125" has 3`},
		{"1234.567", "EUR", ErrTooManyDecimals, ""},
		{"1,234.567", "EUR", ErrTooManyDecimals, ""},
		{"1 234,567", "EUR", ErrTooManyDecimals, ""},
		{"¥500.5", "EUR", ErrTooManyDecimals, `JPY has no decimals; "500.5" has 1`},
		{"12 XYZ", "EUR", ErrUnknownCurrency, `"XYZ"`},
		{"12", "ZZZ", ErrUnknownCurrency, ""},
		{"5 kr", "EUR", ErrUnknownCurrency, "SEK, NOK or DKK"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, tt.def)
		if !errors.Is(err, tt.want) {
			t.Errorf("Parse(%q, %s) = %v, %v; want error %v", tt.in, tt.def, got, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.say) {
			t.Errorf("Parse(%q) error %q does not say %q", tt.in, err, tt.say)
		}
	}
}

// FuzzParse checks that Parse never panics, that what it accepts is a valid
// positive amount, and that every rendering of it reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"12,50 €", "€12.50", "12.50EUR", "12.5 eur", "1 234,56 €", "1,234.56", "$5", "5$", "£3",
		"50EUR", "47,50", "1.234,56", "1\u202f234,56", "CHF 12.50", "¥500", "-5", "0", "12,5055",
		"1'234.50", "12 kr", "1 000 000 000", "0,125", "€-5", "1.234.567,89",
	} {
		f.Add(s, uint8(0))
	}
	codes := Currencies()
	f.Fuzz(func(t *testing.T, s string, def uint8) {
		defCode := codes[int(def)%len(codes)].Code
		m, err := Parse(s, defCode)
		if err != nil {
			if m != (Money{}) {
				t.Errorf("Parse(%q) = %v with error %v", s, m, err)
			}
			if err.Error() == "" {
				t.Errorf("Parse(%q): empty error message", s)
			}
			return
		}
		checkRoundTrip(t, m, s)
	})
}

// checkRoundTrip asserts that m is a valid typed amount and that Parse reads
// back Format, FormatPlain and String of it.
func checkRoundTrip(t *testing.T, m Money, from string) {
	t.Helper()
	c, ok := LookupCurrency(m.Currency)
	if !ok || c.Code != m.Currency {
		t.Fatalf("%q: currency %q", from, m.Currency)
	}
	if !m.IsPositive() || decimals(m.Amount) > int64(c.Minor) || m.Amount.IntPart() > MaxMajorUnits {
		t.Fatalf("%q: invalid amount %s", from, m)
	}
	other := "USD"
	if m.Currency == "USD" {
		other = "EUR"
	}
	texts := map[string]string{m.String(): other}
	for _, loc := range []string{"en", "fr"} {
		texts[Format(m, loc)] = other
		texts[FormatPlain(m, loc)] = m.Currency
	}
	for text, def := range texts {
		back, err := Parse(text, def)
		if err != nil {
			t.Fatalf("%q -> %s -> Parse(%q, %s): %v", from, m, text, def, err)
		}
		if !back.Amount.Equal(m.Amount) || back.Currency != m.Currency {
			t.Fatalf("%q -> %s -> %q -> %s", from, m, text, back)
		}
	}
}

func TestParseNumber(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string // "" when an error is wanted
		err  error
	}{
		{"25", "25", nil},
		{" 50 ", "50", nil},
		{"33,33", "33.33", nil},
		{"33.33", "33.33", nil},
		{"1,5", "1.5", nil},
		{"0.5", "0.5", nil},
		{"0,125", "0.125", nil},
		{"0", "0", nil},
		{"0,00", "0", nil},
		{"33.3333333333", "33.3333333333", nil},
		{"1 000", "1000", nil},
		{"1\u202f234,5", "1234.5", nil},
		{"1.234,5", "1234.5", nil},
		{"1,234.5", "1234.5", nil},
		{"12.500", "12500", nil}, // a single separator before 3 digits groups thousands, as in Parse
		{"", "", ErrEmpty},
		{"-5", "", ErrNegative},
		{"−5", "", ErrNegative},
		{"abc", "", ErrMalformed},
		{"1e3", "", ErrMalformed},
		{"25 €", "", ErrMalformed},
		{"EUR 5", "", ErrMalformed},
		{"1,,5", "", ErrMalformed},
		{"1.2.3,4.5", "", ErrMalformed},
		{",5", "", ErrMalformed},
		{"5,", "", ErrMalformed},
	} {
		got, err := ParseNumber(c.in)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("ParseNumber(%q) = %v, %v; want %v", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || !got.Equal(decimal.RequireFromString(c.want)) {
			t.Errorf("ParseNumber(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
}

// ParseNumber reads the numbers Parse reads, the same way.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"25", "33,33", "1 000", "1.234,5", "0", "-1", "1e3", "12.500", "25 €", "0,125"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if err.Error() == "" {
				t.Errorf("ParseNumber(%q): empty error message", s)
			}
			return
		}
		if n.IsNegative() {
			t.Fatalf("ParseNumber(%q) = %v, below zero", s, n)
		}
		if m, err := Parse(s, "EUR"); err == nil && !m.Amount.Equal(n) {
			t.Errorf("ParseNumber(%q) = %v but Parse reads %v", s, n, m.Amount)
		}
	})
}
