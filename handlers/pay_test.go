package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
)

// setupPayments takes c through payment setup and activation with a card.
func (p *pizza) setupPayments(t *testing.T, c *client, name, card, pin string, payURL string) {
	t.Helper()
	res := c.post("/payments/setup", url.Values{"legal_name": {name}, "contact": {strings.ToLower(name) + "@example.com"},
		"card_number": {card}, "exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"}, "pin": {pin}, "pin_confirm": {pin}, "next": {payURL}})
	wantStatus(t, "setup "+name, res, http.StatusSeeOther)
	wantBody(t, "activation page", c.get(payURL), `data-testid="activate-form"`)
	var body string
	if err := p.app.store.SQL().Get(&body, `SELECT body FROM outbox WHERE kind = 'activation_code' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(body)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantStatus(t, "wrong code", c.post("/payments/activate", url.Values{"code": {wrong}, "next": {payURL}}), http.StatusUnprocessableEntity)
	wantStatus(t, "activate", c.post("/payments/activate", url.Values{"code": {code}, "next": {payURL}}), http.StatusSeeOther)
}

// payForm reads the pay page and returns its payment id.
func payForm(t *testing.T, c *client, payURL string) string {
	t.Helper()
	page := c.get(payURL)
	wantStatus(t, "pay page", page, 200)
	m := regexp.MustCompile(`name="payment_id" value="([^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no payment id on the pay page\n%.600s", page.body)
	}
	return m[1]
}

func (p *pizza) postSplit(t *testing.T) (split string, pay string) {
	t.Helper()
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "30", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	split = regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	return split, split + "/pay"
}

func TestPayByCardWithPIN(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)

	setup := p.sam.get(payURL)
	wantStatus(t, "first pay leads to setup", setup, 200)
	wantBody(t, "setup", setup, `data-testid="setup-form"`, "€10.00 to Olivia for Pizza night")

	bad := p.sam.post("/payments/setup", url.Values{"legal_name": {"Sam Martin"}, "contact": {"sam@example.com"},
		"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"},
		"pin": {"123456"}, "pin_confirm": {"123456"}, "next": {payURL}})
	wantStatus(t, "simple PIN", bad, http.StatusUnprocessableEntity)
	wantBody(t, "simple PIN", bad, `data-testid="problem-pin"`, `value="Sam Martin"`)
	if strings.Contains(bad.body, `value="4242`) || strings.Contains(bad.body, `value="123"`) {
		t.Errorf("the card number or CVC was echoed back")
	}
	badCard := p.sam.post("/payments/setup", url.Values{"legal_name": {"Sam Martin"}, "contact": {"sam@example.com"},
		"card_number": {"4242 4242 4242 4241"}, "exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"},
		"pin": {"271828"}, "pin_confirm": {"271828"}, "next": {payURL}})
	wantStatus(t, "card failing Luhn", badCard, http.StatusUnprocessableEntity)
	wantBody(t, "card failing Luhn", badCard, `data-testid="problem-card_number"`)

	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantBody(t, "pay page shows the card", p.sam.get(payURL), "Visa ···· 4242")

	res := p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"999999"}})
	wantStatus(t, "wrong PIN", res, http.StatusUnprocessableEntity)
	wantBody(t, "wrong PIN", res, "Wrong PIN, 4 tries left")
	for _, left := range []string{"3 tries left", "2 tries left", "1 try left."} {
		res = p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"999999"}})
		wantBody(t, "wrong PIN again", res, "Wrong PIN, "+left)
	}

	res = p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "pay", res, http.StatusSeeOther)
	// The back button and a retry: same id, no second charge.
	wantStatus(t, "pay again with the same id", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	var n int
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`)
	if n != 1 {
		t.Fatalf("%d card payments; want 1", n)
	}
	wantBody(t, "organizer sees it", p.org.get(p.thread), "1 of 2 paid", "Sam paid €10.00 · Pizza night")

	var olivia int64
	p.app.store.SQL().Get(&olivia, `SELECT id FROM users WHERE display_name = 'Olivia'`)
	b, err := p.app.store.Balance(t.Context(), olivia, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	if !b.Pending.Amount.Equal(decimal.NewFromInt(10)) {
		t.Errorf("Olivia's pending balance = %v, want 10.00 until the provider settles", b.Pending)
	}
	// A new id for an already paid share is refused.
	wantStatus(t, "pay a paid share", p.sam.post(payURL, url.Values{"payment_id": {"pay-another-one-123"}, "pin": {"271828"}}), http.StatusConflict)
}

func TestPayDeclinedCapAndLock(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)

	// Declined: says so, share stays due, the id stays failed.
	p.setupPayments(t, p.lea, "Lea", "4000 0000 0000 0002", "314159", payURL)
	id := payForm(t, p.lea, payURL)
	res := p.lea.post(payURL, url.Values{"payment_id": {id}, "pin": {"314159"}})
	wantStatus(t, "declined", res, http.StatusPaymentRequired)
	wantBody(t, "declined", res, "declined")
	wantBody(t, "share still due", p.org.get(p.thread), "0 of 2 paid")

	// Caps: a 5 EUR per-payment cap refuses a 10 EUR share, with the limit named.
	if err := p.app.store.SetLimits(t.Context(), db.Limits{
		PerTransfer: map[string]decimal.Decimal{"EUR": decimal.NewFromInt(5)},
		Rolling30:   map[string]decimal.Decimal{"EUR": decimal.NewFromInt(50)}}); err != nil {
		t.Fatal(err)
	}
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id = payForm(t, p.sam, payURL)
	res = p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "over the cap", res, http.StatusUnprocessableEntity)
	wantBody(t, "over the cap", res, "limited to €5.00 each")

	// Five wrong PINs lock payments; the right one is then refused too.
	for i := 4; i >= 1; i-- {
		wantStatus(t, "wrong PIN", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"000001"}}), http.StatusUnprocessableEntity)
	}
	res = p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"000001"}})
	wantBody(t, "fifth wrong PIN", res, "locked")
	res = p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "right PIN while locked", res, http.StatusTooManyRequests)
	wantBody(t, "right PIN while locked", res, "locked for 15 minutes more (until")
	var n int
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`)
	if n != 0 {
		t.Errorf("%d card payments went through; want none", n)
	}

	// Sam left a contact with his payment setup: a reminder is mailed there.
	var share string
	p.app.store.SQL().Get(&share, `SELECT id FROM shares WHERE user_id = $1`, p.ids["Sam"])
	split := strings.TrimSuffix(payURL, "/pay")
	wantStatus(t, "remind Sam", p.org.post(split+"/shares/"+share+"/remind", nil), http.StatusSeeOther)
	var to, body string
	if err := p.app.store.SQL().QueryRow(`SELECT recipient, body FROM outbox WHERE kind = 'reminder'`).Scan(&to, &body); err != nil {
		t.Fatalf("no reminder mail: %v", err)
	}
	if to != "sam@example.com" || !strings.Contains(body, "€10.00") || !strings.Contains(body, "http://divvy.test"+payURL) {
		t.Errorf("reminder mail to %q: %q", to, body)
	}
}
