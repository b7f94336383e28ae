package sandbox

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
)

var key = []byte("0123456789abcdef-sandbox-test")

// at returns a sandbox whose clock reads *now.
func at(t *testing.T, now *time.Time, settleAfter time.Duration) *Provider {
	t.Helper()
	p, err := New(key, settleAfter)
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return *now }
	return p
}

func eur(s string) money.Money {
	return money.Money{Amount: decimal.RequireFromString(s), Currency: "EUR"}
}

func TestLuhn(t *testing.T) {
	for _, tc := range []struct {
		number string
		ok     bool
	}{
		{"4242424242424242", true},
		{"4242 4242 4242 4242", true},
		{"4242-4242-4242-4242", true},
		{"4242424242424241", false},
		{"4242424242424224", false}, // two digits swapped
		{"378282246310005", true},
		{"0000000000000000", true},
		{"42424242424", false}, // too short
		{"42424242424242424242", false},
		{"4242x24242424242", false},
		{"", false},
	} {
		if _, ok := cardNumber(tc.number); ok != tc.ok {
			t.Errorf("cardNumber(%q) ok = %v, want %v", tc.number, ok, tc.ok)
		}
	}
}

func TestBrand(t *testing.T) {
	for number, want := range map[string]string{
		"4242424242424242": "visa",
		"5555555555554444": "mastercard",
		"2223003122003222": "mastercard",
		"378282246310005":  "amex",
		"6011111111111117": "discover",
		"3566002020360505": "jcb",
		"36227206271667":   "diners",
		"6200000000000005": "unionpay",
		"9000000000000008": "unknown",
	} {
		if got := brand(number); got != want {
			t.Errorf("brand(%s) = %q, want %q", number, got, want)
		}
	}
}

func TestTokenize(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)
	p := at(t, &now, time.Second)
	good := db.CardInput{Number: "4242 4242 4242 4242", ExpMonth: "6", ExpYear: "30", CVC: "123", Name: "Sam Payer"}
	c, err := p.Tokenize(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	if c.Brand != "visa" || c.Last4 != "4242" || c.ExpMonth != 6 || c.ExpYear != 2030 || !strings.HasPrefix(c.Token, "tok_") {
		t.Errorf("card = %+v", c)
	}
	// The token carries no card number, not even encoded.
	payload, _, _ := strings.Cut(strings.TrimPrefix(c.Token, "tok_"), ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	for _, s := range []string{c.Token, string(raw)} {
		if strings.Contains(s, "4242424242424242") || strings.Contains(s, "424242424242") || strings.Contains(s, "123|") {
			t.Errorf("token %q reveals the card", s)
		}
	}
	for name, edit := range map[string]func(*db.CardInput){
		"luhn":             func(c *db.CardInput) { c.Number = "4242424242424241" },
		"letters":          func(c *db.CardInput) { c.Number = "4242abcd42424242" },
		"expired":          func(c *db.CardInput) { c.ExpMonth, c.ExpYear = "5", "2030" },
		"expired long ago": func(c *db.CardInput) { c.ExpYear = "2029" },
		"month 13":         func(c *db.CardInput) { c.ExpMonth = "13" },
		"year 3 digits":    func(c *db.CardInput) { c.ExpYear = "203" },
		"far future":       func(c *db.CardInput) { c.ExpYear = "2099" },
		"cvc short":        func(c *db.CardInput) { c.CVC = "12" },
		"cvc amex":         func(c *db.CardInput) { c.Number = "378282246310005" },
		"no name":          func(c *db.CardInput) { c.Name = "  " },
	} {
		in := good
		edit(&in)
		_, err := p.Tokenize(ctx, in)
		if db.ErrorCode(err) != db.EINVALID {
			t.Errorf("%s: error = %v, want EINVALID", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "4242") {
			t.Errorf("%s: message %q repeats the number", name, err)
		}
	}
	amex := good
	amex.Number, amex.CVC, amex.ExpYear = "3782 822463 10005", "1234", "2031"
	if c, err := p.Tokenize(ctx, amex); err != nil || c.Brand != "amex" || c.Last4 != "0005" {
		t.Errorf("amex: %+v, %v", c, err)
	}
}

func TestChargeOutcomes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)
	p := at(t, &now, time.Hour)
	token := func(number string) string {
		c, err := p.Tokenize(ctx, db.CardInput{Number: number, ExpMonth: "12", ExpYear: "2031", CVC: "123", Name: "A"})
		if err != nil {
			t.Fatalf("tokenize %s: %v", number, err)
		}
		return c.Token
	}
	for number, want := range map[string]string{
		"4242424242424242": "",
		"5555555555554444": "",
		"4000000000000259": "",
		"4000000000000002": "card.declined",
		"4000000000009995": "card.insufficient_funds",
	} {
		ch, err := p.Charge(ctx, token(number), eur("12.50"), "key-1")
		if want == "" {
			if err != nil || !strings.HasPrefix(ch.ID, "ch_") || ch.Amount.String() != "12.50 EUR" || ch.Last4 != number[12:] {
				t.Errorf("%s: %+v, %v", number, ch, err)
			}
			continue
		}
		if db.ErrorCode(err) != db.EDECLINED || db.ReasonOf(err) != want {
			t.Errorf("%s: error = %v, want EDECLINED saying %q", number, err, want)
		}
	}
	tok := token("4242424242424242")
	other, _ := New([]byte("another-key-0123456789"), time.Hour)
	if _, err := other.Charge(ctx, tok, eur("1"), "k"); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("a token of another key: %v", err)
	}
	tampered := strings.Replace(tok, "tok_", "tok_A", 1)
	if _, err := p.Charge(ctx, tampered, eur("1"), "k"); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("a tampered token: %v", err)
	}
	if _, err := p.Charge(ctx, tok, eur("0"), "k"); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("a zero charge: %v", err)
	}
	if _, err := p.Charge(ctx, tok, eur("1.001"), "k"); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("a charge finer than a cent: %v", err)
	}
	// A card that expires between tokenizing and charging is declined.
	later := now.AddDate(2, 0, 0)
	q := at(t, &later, time.Hour)
	if _, err := q.Charge(ctx, tok, eur("1"), "k"); db.ErrorCode(err) != db.EDECLINED {
		t.Errorf("an expired card: %v", err)
	}
}

func TestSettlementAfterDelay(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)
	const delay = 3 * time.Second
	p := at(t, &now, delay)
	charge := func(number string) string {
		c, _ := p.Tokenize(ctx, db.CardInput{Number: number, ExpMonth: "12", ExpYear: "2031", CVC: "123", Name: "A"})
		ch, err := p.Charge(ctx, c.Token, eur("5"), "k")
		if err != nil {
			t.Fatal(err)
		}
		return ch.ID
	}
	ok, bad := charge("4242424242424242"), charge("4000000000000259")
	start := now
	// Another process, same key, its own clock: it agrees, sharing nothing.
	elsewhere := at(t, &now, delay)
	for _, step := range []struct {
		at       time.Duration
		ok, fail db.SettlementStatus
	}{
		{0, db.SettlementPending, db.SettlementPending},
		{delay - time.Millisecond, db.SettlementPending, db.SettlementPending},
		{delay, db.SettlementSettled, db.SettlementFailed},
		{time.Hour, db.SettlementSettled, db.SettlementFailed},
	} {
		now = start.Add(step.at)
		for _, prov := range []*Provider{p, elsewhere} {
			if s, err := prov.SettlementStatus(ctx, ok); err != nil || s != step.ok {
				t.Errorf("at %v: good card %q, %v; want %q", step.at, s, err, step.ok)
			}
			if s, err := prov.SettlementStatus(ctx, bad); err != nil || s != step.fail {
				t.Errorf("at %v: failing card %q, %v; want %q", step.at, s, err, step.fail)
			}
		}
	}
	if _, err := p.SettlementStatus(ctx, "ch_bogus.x"); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("a bogus charge: %v", err)
	}
	if err := p.Refund(ctx, ok, eur("5"), "r1"); err != nil {
		t.Errorf("refund: %v", err)
	}
	if err := p.Refund(ctx, ok, eur("5.01"), "r2"); db.ErrorCode(err) != db.EINVALID {
		t.Errorf("refund more than charged: %v", err)
	}
	if _, err := New([]byte("short"), 0); err == nil {
		t.Error("a short key was accepted")
	}
}

func TestPayout(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	p := at(t, &now, 0)
	if id, err := p.Payout(ctx, "DE89 3704 0044 0532 0130 00", eur("10"), "k"); err != nil || !strings.HasPrefix(id, "po_") {
		t.Errorf("payout: %q, %v", id, err)
	}
	if id, err := p.Payout(ctx, "FR7630006000011234567890189", eur("10"), "k"); err != nil || id == "" {
		t.Errorf("payout to a French IBAN: %q, %v", id, err)
	}
	for _, bad := range []string{"DE89370400440532013001", "DE8937040044", "not an iban at all", "1289370400440532013000"} {
		if _, err := p.Payout(ctx, bad, eur("10"), "k"); db.ErrorCode(err) != db.EINVALID {
			t.Errorf("payout to %q: %v, want EINVALID", bad, err)
		}
	}
	if _, err := p.Payout(ctx, RefusedIBAN, eur("10"), "k"); db.ErrorCode(err) != db.EDECLINED {
		t.Errorf("payout to the refused IBAN: %v", err)
	}
}

// Asked what became of an idempotency key, the sandbox answers from the
// signed token: charged (at the time given, settling from then) for a card
// that approves, not charged for one that declines; a payout's id is the
// one Payout gave, and a refused account has none.
func TestFindChargeAndPayout(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)
	p := at(t, &now, time.Hour)
	token := func(number string) string {
		c, err := p.Tokenize(ctx, db.CardInput{Number: number, ExpMonth: "12", ExpYear: "2031", CVC: "123", Name: "A"})
		if err != nil {
			t.Fatal(err)
		}
		return c.Token
	}
	since := now.Add(-2 * time.Minute)
	ch, err := p.FindCharge(ctx, token("4242424242424242"), eur("12.50"), "pay:u1:abc", since)
	if err != nil || !ch.CreatedAt.Equal(since) || ch.Amount.String() != "12.50 EUR" || ch.Last4 != "4242" {
		t.Fatalf("FindCharge = %+v, %v", ch, err)
	}
	if again, _ := p.FindCharge(ctx, token("4242424242424242"), eur("12.50"), "pay:u1:abc", since); again.ID != ch.ID {
		t.Errorf("the same question got another charge: %s, %s", again.ID, ch.ID)
	}
	if s, err := p.SettlementStatus(ctx, ch.ID); err != nil || s != db.SettlementPending {
		t.Errorf("status before the delay: %s, %v", s, err)
	}
	now = since.Add(time.Hour)
	if s, err := p.SettlementStatus(ctx, ch.ID); err != nil || s != db.SettlementSettled {
		t.Errorf("status after the delay from since: %s, %v", s, err)
	}
	for _, number := range []string{"4000000000000002", "4000000000009995"} {
		if _, err := p.FindCharge(ctx, token(number), eur("5"), "k-12345678", since); db.ErrorCode(err) != db.ENOTFOUND {
			t.Errorf("a declining card %s: %v; want not found", number, err)
		}
	}
	if _, err := p.FindCharge(ctx, "tok_forged", eur("5"), "k-12345678", since); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("a forged token: %v; want not found", err)
	}
	sent, err := p.Payout(ctx, "DE89 3704 0044 0532 0130 00", eur("10"), "payout:u1:k")
	if err != nil {
		t.Fatal(err)
	}
	if found, err := p.FindPayout(ctx, "DE89370400440532013000", eur("10"), "payout:u1:k"); err != nil || found != sent {
		t.Errorf("FindPayout = %q, %v; want %q", found, err, sent)
	}
	if _, err := p.FindPayout(ctx, RefusedIBAN, eur("10"), "payout:u1:k"); db.ErrorCode(err) != db.ENOTFOUND {
		t.Errorf("a refused account: %v; want not found", err)
	}
}
