package money

import (
	"slices"
	"strings"
)

// Currency is an ISO 4217 currency.
type Currency struct {
	// Code is the ISO 4217 code, upper case: "EUR".
	Code string
	// Minor is the number of decimals of the minor unit: 2 for EUR (cents),
	// 0 for JPY. It fixes the scale of every amount in the currency.
	Minor int32
	// Symbol is the sign Format writes and Parse reads for the currency, or ""
	// when it has none that readers would take for this currency alone
	// ("$" is USD here, so CAD and AUD are written with their code).
	Symbol string
}

// currencies is the table every lookup goes through. Currencies whose minor
// unit has 3 decimals (KWD, BHD, ...) are deliberately absent: Parse reads
// "1,234" as one thousand two hundred thirty-four, so an amount such as
// "1.234 KWD" would be misread.
var currencies = map[string]Currency{
	"AUD": {Code: "AUD", Minor: 2},
	"CAD": {Code: "CAD", Minor: 2},
	"CHF": {Code: "CHF", Minor: 2},
	"DKK": {Code: "DKK", Minor: 2},
	"EUR": {Code: "EUR", Minor: 2, Symbol: "€"},
	"GBP": {Code: "GBP", Minor: 2, Symbol: "£"},
	"JPY": {Code: "JPY", Minor: 0, Symbol: "¥"},
	"MAD": {Code: "MAD", Minor: 2},
	"NGN": {Code: "NGN", Minor: 2},
	"NOK": {Code: "NOK", Minor: 2},
	"PLN": {Code: "PLN", Minor: 2},
	"SEK": {Code: "SEK", Minor: 2},
	"USD": {Code: "USD", Minor: 2, Symbol: "$"},
	"XAF": {Code: "XAF", Minor: 0},
	"XOF": {Code: "XOF", Minor: 0},
}

// bySymbol maps the symbols of the table back to their currency, for Parse.
var bySymbol = func() map[string]Currency {
	m := make(map[string]Currency)
	for _, c := range currencies {
		if c.Symbol != "" {
			m[c.Symbol] = c
		}
	}
	return m
}()

// LookupCurrency returns the currency with the given ISO code, in any case
// ("eur" finds EUR).
func LookupCurrency(code string) (Currency, bool) {
	c, ok := currencies[strings.ToUpper(code)]
	return c, ok
}

// Currencies returns every known currency, sorted by code, for pickers.
func Currencies() []Currency {
	list := make([]Currency, 0, len(currencies))
	for _, c := range currencies {
		list = append(list, c)
	}
	slices.SortFunc(list, func(a, b Currency) int { return strings.Compare(a.Code, b.Code) })
	return list
}
