package money

import (
	"strconv"
	"strings"
)

// Separators of French typography: digits are grouped with a narrow no-break
// space and the currency follows after a no-break space, so that a line never
// breaks inside an amount.
const (
	narrowNBSP = "\u202f"
	nbsp       = "\u00a0"
)

// Format renders m for a reader's locale: "fr" (or "fr-FR", "fr_CA", ...) or
// English for anything else.
//
//	fr: "11,88 €", "1 234,56 €" (U+202F between groups, U+00A0 before the currency), "12,50 CHF"
//	en: "€11.88", "€1,234.56", "$5.00", "¥500", "CHF 12.50" (U+00A0 after the code)
//
// The currency's symbol is used when it has one, its code otherwise, and all
// of its minor digits are shown (11.80, not 11.8). Parse reads back every
// positive amount Format writes, in either locale.
func Format(m Money, locale string) string {
	c, ok := LookupCurrency(m.Currency)
	if !ok {
		c = Currency{Code: m.Currency, Minor: 2}
	}
	whole, frac, negative := digitsOf(m, c.Minor)
	sign := ""
	if negative {
		sign = "-"
	}
	if french(locale) {
		num := group(whole, narrowNBSP)
		if frac != "" {
			num += "," + frac
		}
		if l := label(c); l != "" {
			num += nbsp + l
		}
		return sign + num
	}
	num := group(whole, ",")
	if frac != "" {
		num += "." + frac
	}
	switch {
	case c.Symbol != "":
		return sign + c.Symbol + num
	case c.Code == "": // a hand-built Money without currency
		return sign + num
	}
	return sign + c.Code + nbsp + num
}

// FormatPlain renders the number only, for form inputs: "47,50" (fr) or
// "47.50" (en), with no symbol and no grouping so that it can be edited and
// typed back as is.
func FormatPlain(m Money, locale string) string {
	whole, frac, negative := digitsOf(m, minorOf(m.Currency))
	num := whole
	if frac != "" {
		if french(locale) {
			num += "," + frac
		} else {
			num += "." + frac
		}
	}
	if negative {
		return "-" + num
	}
	return num
}

// digitsOf returns the digits of |m| rounded to minor decimals, before and
// after the decimal point.
func digitsOf(m Money, minor int32) (whole, frac string, negative bool) {
	// The usual amount, a few digits with at most minor decimals, is
	// written from its integer coefficient: the decimal library's rounding
	// and string (big.Int arithmetic and fmt) were 7 % of a thread page's
	// CPU, which shows many amounts.
	if e := m.Amount.Exponent(); e <= 0 && e >= -minor && minor <= 4 && m.Amount.NumDigits()+int(e+minor) <= 18 {
		u := m.Amount.CoefficientInt64()
		for range e + minor {
			u *= 10
		}
		if negative = u < 0; negative {
			u = -u
		}
		digits := strconv.FormatInt(u, 10)
		if minor == 0 {
			return digits, "", negative
		}
		if n := int(minor) + 1 - len(digits); n > 0 {
			digits = strings.Repeat("0", n) + digits
		}
		cut := len(digits) - int(minor)
		return digits[:cut], digits[cut:], negative
	}
	d := m.Amount.Round(minor)
	whole, frac, _ = strings.Cut(d.Abs().StringFixed(minor), ".")
	return whole, frac, d.IsNegative()
}

func label(c Currency) string {
	if c.Symbol != "" {
		return c.Symbol
	}
	return c.Code
}

// group inserts sep between groups of three digits, from the right.
func group(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

func french(locale string) bool {
	l := strings.ToLower(locale)
	return l == "fr" || strings.HasPrefix(l, "fr-") || strings.HasPrefix(l, "fr_")
}
