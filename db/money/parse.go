package money

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"
)

// maxParseLen bounds the text Parse looks at; the longest sensible amount,
// "1 000 000 000,00 €" with narrow spaces, is about 30 bytes.
const maxParseLen = 100

// Parse reads an amount the way people type it, in English and French habits.
// defaultCurrency is used when the text names none.
//
// The currency may come before or after the number, with or without a space:
// a symbol (€ EUR, $ USD, £ GBP, ¥ JPY), an ISO code in any case ("eur",
// "CHF"), "euro"/"euros", or "kr" when defaultCurrency is SEK, NOK or DKK
// (which crown is meant cannot be told otherwise). So "12,50 €", "€12.50",
// "12.50EUR", "12.5 eur", "$5", "5$", "CHF 12.50" and "47,50" all parse.
//
// Digits may be grouped by thousands with a space (also U+00A0, U+202F, thin
// space), an apostrophe (Swiss "1'234.50"), a comma or a dot, and the decimal
// separator is a comma or a dot. Which is which:
//   - with both a dot and a comma, the last one is the decimal separator
//     ("1,234.56", "1.234,56");
//   - when digits are grouped with spaces or apostrophes, a dot or comma is
//     the decimal separator ("1 234,56");
//   - the same separator more than once groups thousands ("1.234.567");
//   - a single dot or comma followed by exactly 3 digits groups thousands
//     ("1,234" and "1.234" are 1234), unless what precedes it cannot be a
//     leading group (more than 3 digits, or a leading 0 as in "0,125"), in
//     which case it is the decimal separator; followed by any other number of
//     digits it is the decimal separator ("47,50", "12.5").
//
// Thousands groups must have exactly 3 digits. Amounts people type are always
// positive: a minus sign gives ErrNegative, zero ErrZero, more than
// MaxMajorUnits ErrTooLarge, more decimals than the currency has
// ErrTooManyDecimals, an unknown code ErrUnknownCurrency, empty text ErrEmpty,
// anything else that is not an amount ErrMalformed. Each error carries a
// sentence naming the problem.
func Parse(s, defaultCurrency string) (Money, error) {
	text := strings.TrimFunc(s, unicode.IsSpace)
	if text == "" {
		return Money{}, ErrEmpty
	}
	if len(text) > maxParseLen || !utf8.ValidString(text) {
		return Money{}, fmt.Errorf("%w: the text is too long or garbled to be an amount", ErrMalformed)
	}
	parts, err := scanAmount(text)
	if err != nil {
		return Money{}, err
	}
	c, err := resolveCurrency(text, parts.before, parts.after, defaultCurrency)
	if err != nil {
		return Money{}, err
	}
	whole, frac, ok := splitNumber(parts.number)
	if !ok {
		return Money{}, fmt.Errorf("%w: %q is not a number", ErrMalformed, text)
	}
	if parts.negative {
		return Money{}, fmt.Errorf("%w: %q is below zero", ErrNegative, text)
	}
	// Trailing zeros ask for no precision: "1,234.500 EUR" is fine.
	if n := len(strings.TrimRight(frac, "0")); n > int(c.Minor) {
		return Money{}, fmt.Errorf("%w: %s; %q has %d", ErrTooManyDecimals, allowedDecimals(c), parts.number, len(frac))
	}
	digits := whole
	if frac != "" {
		digits += "." + frac
	}
	amount, err := decimal.NewFromString(digits)
	if err != nil { // cannot happen: digits holds only ASCII digits and one dot
		return Money{}, fmt.Errorf("%w: %q", ErrMalformed, text)
	}
	if amount.IsZero() {
		return Money{}, fmt.Errorf("%w: %q is nothing to pay", ErrZero, text)
	}
	if amount.Cmp(decimal.NewFromInt(MaxMajorUnits)) > 0 {
		return Money{}, fmt.Errorf("%w: %q is more than %s", ErrTooLarge, text, Format(Money{Amount: decimal.NewFromInt(MaxMajorUnits), Currency: c.Code}, "en"))
	}
	return New(amount, c.Code)
}

// ParseNumber reads a plain number the way people type it: a percentage or
// a weight of a split ("25", "33,33", "1.5", "1 000"). The digits follow
// Parse's separator rules; there is no currency (text naming one is
// ErrMalformed), zero is a number and decimals are not bounded. A minus sign
// gives ErrNegative, empty text ErrEmpty.
func ParseNumber(s string) (decimal.Decimal, error) {
	text := strings.TrimFunc(s, unicode.IsSpace)
	if text == "" {
		return decimal.Zero, ErrEmpty
	}
	if len(text) > maxParseLen || !utf8.ValidString(text) {
		return decimal.Zero, fmt.Errorf("%w: the text is too long or garbled to be a number", ErrMalformed)
	}
	parts, err := scanAmount(text)
	if err != nil {
		return decimal.Zero, err
	}
	whole, frac, ok := splitNumber(parts.number)
	if !ok || parts.before != "" || parts.after != "" {
		return decimal.Zero, fmt.Errorf("%w: %q is not a number", ErrMalformed, text)
	}
	if parts.negative {
		return decimal.Zero, fmt.Errorf("%w: %q is below zero", ErrNegative, text)
	}
	if frac != "" {
		whole += "." + frac
	}
	n, err := decimal.NewFromString(whole)
	if err != nil { // cannot happen: only ASCII digits and one dot
		return decimal.Zero, fmt.Errorf("%w: %q", ErrMalformed, text)
	}
	return n, nil
}

// typed is the shape of an amount as typed: [-] [currency] [-] number [currency].
type typed struct {
	negative      bool
	before, after string // currency markers, "" when absent
	number        string // digits and separators, trimmed
}

// scanAmount cuts text into its parts without interpreting them.
func scanAmount(text string) (typed, error) {
	var t typed
	rs := []rune(text)
	i := 0
	skipSpaces := func() {
		for i < len(rs) && unicode.IsSpace(rs[i]) {
			i++
		}
	}
	minus := func() {
		if !t.negative && i < len(rs) && (rs[i] == '-' || rs[i] == '\u2212') {
			t.negative = true
			i++
			skipSpaces()
		}
	}
	minus()
	t.before, i = currencyMarker(rs, i)
	skipSpaces()
	minus()
	start := i
	for i < len(rs) && isNumberRune(rs[i]) {
		i++
	}
	t.number = strings.TrimFunc(string(rs[start:i]), unicode.IsSpace)
	t.after, i = currencyMarker(rs, i)
	skipSpaces()
	switch {
	case i < len(rs):
		return typed{}, fmt.Errorf("%w: unexpected %q in %q", ErrMalformed, rs[i], text)
	case t.number == "":
		return typed{}, fmt.Errorf("%w: %q has no number", ErrMalformed, text)
	}
	return t, nil
}

// currencyMarker reads a symbol or a run of ASCII letters at rs[i].
func currencyMarker(rs []rune, i int) (string, int) {
	if i >= len(rs) {
		return "", i
	}
	if _, ok := bySymbol[string(rs[i])]; ok {
		return string(rs[i]), i + 1
	}
	j := i
	for j < len(rs) && (rs[j] >= 'a' && rs[j] <= 'z' || rs[j] >= 'A' && rs[j] <= 'Z') {
		j++
	}
	return string(rs[i:j]), j
}

// resolveCurrency turns the markers found around the number into one currency.
func resolveCurrency(text, before, after, defaultCurrency string) (Currency, error) {
	var named []Currency
	for _, m := range []string{before, after} {
		if m == "" {
			continue
		}
		c, err := currencyOf(m, defaultCurrency)
		if err != nil {
			return Currency{}, err
		}
		named = append(named, c)
	}
	switch {
	case len(named) == 2 && named[0].Code != named[1].Code:
		return Currency{}, fmt.Errorf("%w: %q names two currencies, %s and %s", ErrMalformed, text, named[0].Code, named[1].Code)
	case len(named) > 0:
		return named[0], nil
	}
	c, ok := LookupCurrency(defaultCurrency)
	if !ok {
		return Currency{}, fmt.Errorf("%w %q", ErrUnknownCurrency, defaultCurrency)
	}
	return c, nil
}

func currencyOf(marker, defaultCurrency string) (Currency, error) {
	if c, ok := bySymbol[marker]; ok {
		return c, nil
	}
	switch strings.ToLower(marker) {
	case "euro", "euros":
		return currencies["EUR"], nil
	case "kr":
		if c, ok := LookupCurrency(defaultCurrency); ok && (c.Code == "SEK" || c.Code == "NOK" || c.Code == "DKK") {
			return c, nil
		}
		return Currency{}, fmt.Errorf("%w: \"kr\" could be SEK, NOK or DKK; write the code", ErrUnknownCurrency)
	}
	if c, ok := LookupCurrency(marker); ok {
		return c, nil
	}
	return Currency{}, fmt.Errorf("%w %q", ErrUnknownCurrency, marker)
}

func isNumberRune(r rune) bool {
	return r >= '0' && r <= '9' || r == '.' || r == ',' || isGroupOnly(r)
}

// isGroupOnly reports separators that can only group thousands.
func isGroupOnly(r rune) bool {
	switch r {
	case ' ', '\u00a0', '\u202f', '\u2009', '\u2007', '\'', '\u2019':
		return true
	}
	return false
}

// splitNumber applies the separator rules documented on Parse and returns the
// integer and fraction digits.
func splitNumber(num string) (whole, frac string, ok bool) {
	var groups []string
	var seps []rune // '.', ',' or ' ' for any grouping-only separator
	start := 0
	for i, r := range num {
		if r >= '0' && r <= '9' {
			continue
		}
		groups = append(groups, num[start:i])
		start = i + utf8.RuneLen(r)
		if isGroupOnly(r) {
			r = ' '
		}
		seps = append(seps, r)
	}
	groups = append(groups, num[start:])
	for _, g := range groups {
		if g == "" { // leading, trailing or doubled separator
			return "", "", false
		}
	}
	if len(seps) == 0 {
		return num, "", true
	}

	count := map[rune]int{}
	for _, r := range seps {
		count[r]++
	}
	last := seps[len(seps)-1]
	dec := -1 // index in seps of the decimal separator
	switch {
	case count['.'] > 0 && count[','] > 0, count[' '] > 0 && last != ' ':
		if last == ' ' || count[last] != 1 {
			return "", "", false
		}
		dec = len(seps) - 1
	case count[' '] > 0:
		// spaces only, or spaces mixed with a dot or comma that is not last
		// (a mix of grouping styles): checked below
	case len(seps) == 1:
		if len(groups[1]) != 3 || !leadingGroup(groups[0]) {
			dec = 0
		}
	}

	intGroups := groups
	if dec >= 0 {
		intGroups = groups[:dec+1]
		frac = groups[dec+1]
		seps = seps[:dec]
	}
	for _, r := range seps {
		if r != seps[0] { // one grouping style per number
			return "", "", false
		}
	}
	if len(intGroups) > 1 {
		if !leadingGroup(intGroups[0]) {
			return "", "", false
		}
		for _, g := range intGroups[1:] {
			if len(g) != 3 {
				return "", "", false
			}
		}
	}
	return strings.Join(intGroups, ""), frac, true
}

// leadingGroup reports whether g can start a number grouped by thousands.
func leadingGroup(g string) bool {
	return len(g) >= 1 && len(g) <= 3 && g[0] != '0'
}
