package sandbox

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"divvy/db"
)

// outcome is what the sandbox does with a card's charges.
type outcome string

const (
	approve   outcome = "ok"       // charged, settles after the delay
	decline   outcome = "decline"  // the charge is declined
	noFunds   outcome = "nsf"      // the charge fails for insufficient funds
	noSettle  outcome = "nosettle" // charged, then fails to settle: voided
	badNumber outcome = ""
)

// The test card numbers with a special behaviour; every other number that
// passes the Luhn check is approved and settles.
var testCards = map[string]outcome{
	"4000000000000002": decline,
	"4000000000009995": noFunds,
	"4000000000000259": noSettle,
}

// cardNumber returns the digits of a typed card number, without the spaces
// and dashes people type, and whether it can be a card number at all.
func cardNumber(typed string) (string, bool) {
	var b strings.Builder
	for _, r := range typed {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", false
		}
	}
	n := b.String()
	return n, len(n) >= 12 && len(n) <= 19 && luhn(n)
}

// luhn reports whether the digits pass the Luhn checksum every card
// number carries, which catches a mistyped digit and most swaps.
func luhn(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// brand tells the card network from the number's prefix (its IIN range).
func brand(n string) string {
	p := func(k int) int {
		v, _ := strconv.Atoi(n[:k])
		return v
	}
	switch {
	case n[0] == '4':
		return "visa"
	case p(2) >= 51 && p(2) <= 55, p(4) >= 2221 && p(4) <= 2720:
		return "mastercard"
	case p(2) == 34 || p(2) == 37:
		return "amex"
	case p(4) == 6011 || p(2) == 65 || (p(3) >= 644 && p(3) <= 649):
		return "discover"
	case p(4) >= 3528 && p(4) <= 3589:
		return "jcb"
	case p(2) == 36 || p(2) == 38 || p(2) == 39 || (p(3) >= 300 && p(3) <= 305):
		return "diners"
	case p(2) == 62:
		return "unionpay"
	}
	return "unknown"
}

// checkCard validates what was typed into the card form at now, and returns
// the card (without token) and what its charges will do. Messages never
// repeat the number.
func checkCard(in db.CardInput, now time.Time) (db.Card, outcome, error) {
	n, ok := cardNumber(in.Number)
	if !ok {
		return db.Card{}, badNumber, db.ErrCardNumber.New()
	}
	month, err := strconv.Atoi(strings.TrimSpace(in.ExpMonth))
	if err != nil || month < 1 || month > 12 {
		return db.Card{}, badNumber, db.ErrCardExpMonth.New()
	}
	ys := strings.TrimSpace(in.ExpYear)
	year, err := strconv.Atoi(ys)
	if err != nil || (len(ys) != 2 && len(ys) != 4) {
		return db.Card{}, badNumber, db.ErrCardExpYear.New()
	}
	if len(ys) == 2 {
		year += 2000
	}
	if expired(month, year, now) {
		return db.Card{}, badNumber, db.ErrCardExpired.New()
	}
	if year > now.Year()+20 {
		return db.Card{}, badNumber, db.ErrCardExpFar.New()
	}
	b := brand(n)
	want := 3
	if b == "amex" {
		want = 4
	}
	cvc := strings.TrimSpace(in.CVC)
	if _, err := strconv.Atoi(cvc); err != nil || len(cvc) != want {
		return db.Card{}, badNumber, db.ErrCardCVC.New(want)
	}
	if name := strings.TrimSpace(in.Name); name == "" || utf8.RuneCountInString(name) > 100 {
		return db.Card{}, badNumber, db.ErrCardName.New()
	}
	out, special := testCards[n]
	if !special {
		out = approve
	}
	return db.Card{Brand: b, Last4: n[len(n)-4:], ExpMonth: month, ExpYear: year}, out, nil
}

// expired reports whether a card valid through month/year has expired at
// now: it is good until the end of that month.
func expired(month, year int, now time.Time) bool {
	end := time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC)
	return !now.Before(end)
}
