package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

func lastCode(t *testing.T, p *pizza) string {
	t.Helper()
	var body string
	if err := p.app.store.SQL().Get(&body, `SELECT body FROM outbox WHERE kind = 'activation_code' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`\b\d{6}\b`).FindString(body)
}

// The card and the PIN change from the Money page, each proven with the
// current PIN and a one-time code.
func TestChangeCardAndPIN(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", "/payments/setup?next=/money")
	money := p.sam.get("/money")
	wantBody(t, "money page", money, "Payments use Visa ···· 4242", `href="/payments/card"`, `href="/payments/pin"`)
	var sent int
	count := func() int {
		p.app.store.SQL().Get(&sent, `SELECT count(*) FROM outbox WHERE kind = 'activation_code'`)
		return sent
	}
	before := count()

	card := url.Values{"card_number": {"5555 5555 5555 4444"}, "exp_month": {"11"}, "exp_year": {"34"}, "cvc": {"321"}, "pin": {"000000"}}
	res := p.sam.post("/payments/card", card)
	wantStatus(t, "card change with a wrong PIN", res, http.StatusUnprocessableEntity)
	wantBody(t, "card change with a wrong PIN", res, `data-testid="problem-pin"`, "Wrong PIN")
	if count() != before {
		t.Errorf("a code was sent for a wrong PIN")
	}
	card.Set("pin", "271828")
	res = p.sam.post("/payments/card", card)
	wantStatus(t, "card change", res, http.StatusSeeOther)
	wantBody(t, "code page", p.sam.get("/payments/confirm?next=/money"), "To use Mastercard ···· 4444 for payments, type the code sent to sam@example.com")
	wantBody(t, "still the old card", p.sam.get("/money"), "Visa ···· 4242")
	code := lastCode(t, p)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantStatus(t, "wrong code", p.sam.post("/payments/confirm", url.Values{"code": {wrong}, "next": {"/money"}}), http.StatusUnprocessableEntity)
	res = p.sam.post("/payments/confirm", url.Values{"code": {code}, "next": {"/money"}})
	wantStatus(t, "confirm", res, http.StatusSeeOther)
	wantBody(t, "new card", p.sam.get(res.header.Get("Location")), "Your new card is saved", "Mastercard ···· 4444")
	wantStatus(t, "code used once", p.sam.post("/payments/confirm", url.Values{"code": {code}, "next": {"/money"}}), http.StatusSeeOther)

	pin := url.Values{"pin": {"271828"}, "new_pin": {"582914"}, "new_pin_confirm": {"582915"}}
	wantStatus(t, "PIN change, confirmation differs", p.sam.post("/payments/pin", pin), http.StatusUnprocessableEntity)
	pin.Set("new_pin_confirm", "582914")
	pin.Set("pin", "111111")
	wantStatus(t, "PIN change, wrong current PIN", p.sam.post("/payments/pin", pin), http.StatusUnprocessableEntity)
	pin.Set("pin", "271828")
	wantStatus(t, "PIN change", p.sam.post("/payments/pin", pin), http.StatusSeeOther)
	res = p.sam.post("/payments/confirm", url.Values{"code": {lastCode(t, p)}, "next": {"/money"}})
	wantStatus(t, "confirm PIN", res, http.StatusSeeOther)
	var sam int64
	p.app.store.SQL().Get(&sam, `SELECT id FROM users WHERE display_name = 'Sam'`)
	if err := p.app.store.CheckPIN(t.Context(), sam, "582914"); err != nil {
		t.Errorf("the new PIN does not work: %v", err)
	}
	if err := p.app.store.CheckPIN(t.Context(), sam, "271828"); err == nil {
		t.Errorf("the old PIN still works")
	}

	// Every payment page leads back to the thread, and the pay page to
	// another card.
	_, payURL := p.postSplit(t)
	wantBody(t, "pay page", p.sam.get(payURL), `data-testid="back-to-thread"`, `href="/payments/card?next=`+payURL+`"`)
	wantBody(t, "setup page", p.lea.get(payURL), `data-testid="setup-form"`, `data-testid="back-to-thread"`)

	// Without active payments, the forms lead to setting them up.
	wantStatus(t, "Léa changes a card she never set up", p.lea.get("/payments/card"), http.StatusSeeOther)
}

// A wrong activation code keeps "€10.00 to Olivia for Pizza night".
func TestActivationKeepsWhatIsPaid(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	res := p.sam.post("/payments/setup", url.Values{"legal_name": {"Sam"}, "contact": {"sam@example.com"},
		"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"}, "pin": {"271828"}, "pin_confirm": {"271828"}, "next": {payURL}})
	wantStatus(t, "setup", res, http.StatusSeeOther)
	wrong := p.sam.post("/payments/activate", url.Values{"code": {"12"}, "next": {payURL}})
	wantStatus(t, "wrong code", wrong, http.StatusUnprocessableEntity)
	wantBody(t, "wrong code", wrong, "€10.00 to Olivia for Pizza night", `data-testid="back-to-thread"`)
}
