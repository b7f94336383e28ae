package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// Cancelling asks first, on a page of its own that works without
// JavaScript, and says who gets what back.
func TestSplitCancelAsksFirst(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, _ := p.postSplit(t)
	page := p.org.get(split)
	wantBody(t, "split page", page, `href="`+split+`/cancel"`, "Cancel the split")
	if regexp.MustCompile(`<form[^>]+action="` + split + `/cancel"`).MatchString(page.body) {
		t.Errorf("the split page cancels with one tap")
	}
	ask := p.org.get(split + "/cancel")
	wantStatus(t, "confirmation", ask, 200)
	wantBody(t, "confirmation", ask, "Cancel “Pizza night”?", "Nobody has paid yet", `data-testid="cancel-confirm"`, "Keep the split")
	wantBody(t, "still open", p.org.get(p.thread), `data-status="open"`)
	wantStatus(t, "Sam asks to cancel", p.sam.get(split+"/cancel"), http.StatusForbidden)

	wantStatus(t, "cancel", p.org.post(split+"/cancel", nil), http.StatusSeeOther)
	wantBody(t, "cancelled", p.org.get(p.thread), `data-testid="split-cancelled"`)
	wantStatus(t, "confirmation of a cancelled split", p.org.get(split+"/cancel"), http.StatusSeeOther)
}

// After the collector withdrew the money, cancelling explains what cannot
// be refunded, in the app's look, with a 4xx, and refunds nothing.
func TestSplitCancelAfterWithdrawal(t *testing.T) {
	p := newPizza(t)
	split, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	time.Sleep(1100 * time.Millisecond) // the test provider settles after 1 s
	if _, _, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10); err != nil {
		t.Fatal(err)
	}
	p.setupPayments(t, p.org, "Olivia", "4242 4242 4242 4242", "482916", "/payments/setup?next=/money")
	w := url.Values{"payout_id": {"payout-cancel-test"}, "currency": {"EUR"}, "amount": {"8"}, "iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"482916"}}
	wantStatus(t, "withdraw", p.org.post("/money/withdraw", w), http.StatusSeeOther)

	ask := p.org.get(split + "/cancel")
	wantStatus(t, "confirmation", ask, 200)
	wantBody(t, "confirmation", ask, `data-testid="cancel-short"`, "needs €10.00 in your Divvy balance, and it holds €2.00", "Sam")
	res := p.org.post(split+"/cancel", nil)
	wantStatus(t, "cancel", res, http.StatusConflict)
	wantBody(t, "explained", res, `class="topbar"`, "Nothing was refunded", "€2.00", `data-testid="back-to-thread"`)
	var n int
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'reversal')`)
	if n != 0 {
		t.Errorf("%d refunds after a refused cancel; want 0", n)
	}
	wantBody(t, "still open", p.org.get(p.thread), `data-status="open"`)
}
