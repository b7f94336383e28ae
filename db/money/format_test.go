package money

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		amount, code string
		en, fr       string
	}{
		{"11.88", "EUR", "€11.88", "11,88\u00a0€"},
		{"11.8", "EUR", "€11.80", "11,80\u00a0€"},
		{"1234.56", "EUR", "€1,234.56", "1\u202f234,56\u00a0€"},
		{"1234567.89", "EUR", "€1,234,567.89", "1\u202f234\u202f567,89\u00a0€"},
		{"999.99", "EUR", "€999.99", "999,99\u00a0€"},
		{"0.05", "EUR", "€0.05", "0,05\u00a0€"},
		{"5", "USD", "$5.00", "5,00\u00a0$"},
		{"3", "GBP", "£3.00", "3,00\u00a0£"},
		{"500", "JPY", "¥500", "500\u00a0¥"},
		{"123456", "JPY", "¥123,456", "123\u202f456\u00a0¥"},
		{"12.5", "CHF", "CHF\u00a012.50", "12,50\u00a0CHF"},
		{"1500", "XOF", "XOF\u00a01,500", "1\u202f500\u00a0XOF"},
		{"-5", "EUR", "-€5.00", "-5,00\u00a0€"},
		{"-1234.5", "CAD", "-CAD\u00a01,234.50", "-1\u202f234,50\u00a0CAD"},
	}
	for _, tt := range tests {
		m := Money{Amount: decimal.RequireFromString(tt.amount), Currency: tt.code}
		if got := Format(m, "en"); got != tt.en {
			t.Errorf("Format(%s, en) = %q, want %q", m, got, tt.en)
		}
		if got := Format(m, "fr"); got != tt.fr {
			t.Errorf("Format(%s, fr) = %q, want %q", m, got, tt.fr)
		}
	}
}

func TestFormatLocales(t *testing.T) {
	m := Money{Amount: decimal.RequireFromString("47.5"), Currency: "EUR"}
	tests := []struct{ locale, want string }{
		{"fr", "47,50\u00a0€"},
		{"fr-FR", "47,50\u00a0€"},
		{"FR_ca", "47,50\u00a0€"},
		{"en", "€47.50"},
		{"en-GB", "€47.50"},
		{"de", "€47.50"},
		{"", "€47.50"},
		{"french", "€47.50"},
	}
	for _, tt := range tests {
		if got := Format(m, tt.locale); got != tt.want {
			t.Errorf("Format(47.50 EUR, %q) = %q, want %q", tt.locale, got, tt.want)
		}
	}
}

func TestFormatPlain(t *testing.T) {
	tests := []struct {
		amount, code string
		en, fr       string
	}{
		{"47.5", "EUR", "47.50", "47,50"},
		{"1234.56", "EUR", "1234.56", "1234,56"},
		{"500", "JPY", "500", "500"},
		{"-3", "USD", "-3.00", "-3,00"},
	}
	for _, tt := range tests {
		m := Money{Amount: decimal.RequireFromString(tt.amount), Currency: tt.code}
		if got := FormatPlain(m, "en"); got != tt.en {
			t.Errorf("FormatPlain(%s, en) = %q, want %q", m, got, tt.en)
		}
		if got := FormatPlain(m, "fr"); got != tt.fr {
			t.Errorf("FormatPlain(%s, fr) = %q, want %q", m, got, tt.fr)
		}
	}
}

// FuzzFormatRoundTrip checks that every positive amount a person could type
// (up to MaxMajorUnits) in every currency reads back from its renderings.
func FuzzFormatRoundTrip(f *testing.F) {
	f.Add(int64(4750), uint8(4))
	f.Add(int64(123456), uint8(0))
	f.Add(int64(1), uint8(6))
	f.Add(int64(100000000000), uint8(4))
	f.Add(int64(-1), uint8(3))
	codes := Currencies()
	f.Fuzz(func(t *testing.T, units int64, cur uint8) {
		c := codes[int(cur)%len(codes)]
		limit := uint64(MaxMajorUnits)
		for range c.Minor {
			limit *= 10
		}
		// Fold any int64 onto 1..limit.
		u := int64(uint64(units)%limit) + 1
		m, err := FromMinor(u, c.Code)
		if err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, m, m.String())
	})
}

// digitsOf's fast path (an integer coefficient) says what the decimal
// library's rounding and string say, for amounts of every scale, sign and
// size around its limits.
func TestDigitsOfFastPath(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 21))
	slow := func(m Money, minor int32) (string, string, bool) {
		d := m.Amount.Round(minor)
		w, f, _ := strings.Cut(d.Abs().StringFixed(minor), ".")
		return w, f, d.IsNegative()
	}
	for k := range 20000 {
		minor := int32(r.IntN(5))
		exp := -int32(r.IntN(7)) // more decimals than minor take the slow path
		if k%7 == 0 {
			exp = int32(r.IntN(3))
		}
		coef := r.Int64N(1 << uint(1+r.IntN(62)))
		if r.IntN(2) == 0 {
			coef = -coef
		}
		m := Money{Amount: decimal.New(coef, exp), Currency: "EUR"}
		gw, gf, gn := digitsOf(m, minor)
		ww, wf, wn := slow(m, minor)
		if gw != ww || gf != wf || gn != wn {
			t.Fatalf("digitsOf(%s, %d) = %q %q %v; want %q %q %v", m.Amount, minor, gw, gf, gn, ww, wf, wn)
		}
	}
}

func BenchmarkFormat(b *testing.B) {
	m := Money{Amount: decimal.RequireFromString("1234.50"), Currency: "EUR"}
	for b.Loop() {
		Format(m, "fr")
	}
}
