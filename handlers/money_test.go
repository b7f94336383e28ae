package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// The collector's money: pending after a card payment, available once the
// provider settles, withdrawn to a bank with the PIN.
func TestMoneySettleAndWithdraw(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)

	page := p.org.get("/money")
	wantStatus(t, "money page", page, 200)
	wantBody(t, "pending", page, "€0.00", "€10.00 pending", "Card payment · Pizza night", `data-testid="money-setup"`)
	wantBody(t, "Sam's history", p.sam.get("/money"), "-€10.00")

	time.Sleep(1100 * time.Millisecond) // the test provider settles after 1 s
	posted, _, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10)
	if err != nil || posted != 1 {
		t.Fatalf("SettlePending = %d, %v; want 1 posted", posted, err)
	}
	wantBody(t, "settled", p.org.get("/money"), "€10.00", "€0.00 pending")

	// Withdrawing needs payment setup and its PIN.
	setupURL := "/payments/setup?next=/money"
	wantBody(t, "standalone setup", p.org.get(setupURL), `data-testid="setup-form"`)
	p.setupPayments(t, p.org, "Olivia", "4242 4242 4242 4242", "482916", setupURL)
	wantStatus(t, "setup done goes back", p.org.get(setupURL), http.StatusSeeOther)

	form := p.org.get("/money")
	m := regexp.MustCompile(`name="payout_id" value="([^"]+)"`).FindStringSubmatch(form.body)
	if m == nil {
		t.Fatalf("no withdraw form\n%.500s", form.body)
	}
	w := url.Values{"payout_id": {m[1]}, "currency": {"EUR"}, "amount": {"4"}, "iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"000000"}}
	wantStatus(t, "withdraw with a wrong PIN", p.org.post("/money/withdraw", w), http.StatusUnprocessableEntity)
	w.Set("pin", "482916")
	w.Set("amount", "40")
	res := p.org.post("/money/withdraw", w)
	wantStatus(t, "withdraw more than available", res, http.StatusUnprocessableEntity)
	w.Set("amount", "4")
	w.Set("payout_id", "payout-second-try-1")
	wantStatus(t, "withdraw", p.org.post("/money/withdraw", w), http.StatusSeeOther)
	wantStatus(t, "withdraw again (double submit)", p.org.post("/money/withdraw", w), http.StatusSeeOther)
	wantBody(t, "after withdrawal", p.org.get("/money"), "€6.00", "Withdrawal", "-€4.00")
	var n int
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'payout'`)
	if n != 1 {
		t.Errorf("%d payouts after a double submit; want 1", n)
	}
}
