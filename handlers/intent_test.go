package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The process dies right after the card was charged, before the ledger
// recorded the payment (a panic that net/http treats as an aborted
// handler, as pay_faults_test does). A new pay form then charges nothing
// while the first charge is open; a minute later reconciliation records
// that charge, once, and the share is paid.
func TestPayKilledAfterChargeNoSecondCharge(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	ctx := t.Context()
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	first := payForm(t, p.sam, payURL)
	p.app.cards.mu.Lock()
	p.app.cards.afterCharge = func() { panic(http.ErrAbortHandler) } // the process dies here
	p.app.cards.mu.Unlock()
	req, _ := http.NewRequest(http.MethodPost, p.app.srv.URL+payURL, strings.NewReader(url.Values{"payment_id": {first}, "pin": {"271828"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.app.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if res, err := p.sam.hc.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("the killed request answered %d", res.StatusCode)
	}
	if n := p.app.cards.charges.Load(); n != 1 {
		t.Fatalf("%d charges; want 1", n)
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 0 {
		t.Fatalf("%d card payments recorded; want none yet", n)
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_intents_open`); n != 1 {
		t.Fatalf("%d open intents; want the charge's", n)
	}

	// A new form while the charge is open: nothing charged.
	second := payForm(t, p.sam, payURL)
	res := p.sam.post(payURL, url.Values{"payment_id": {second}, "pin": {"271828"}})
	wantStatus(t, "a new form while the charge is open", res, http.StatusServiceUnavailable)
	wantBody(t, "a new form while the charge is open", res, "being checked with the card provider")
	if n := p.app.cards.charges.Load(); n != 1 {
		t.Fatalf("%d charges after a new form; want 1", n)
	}

	time.Sleep(61 * time.Second) // reconciliation looks at intents a minute old
	if n, err := p.app.store.ReconcileIntents(ctx, p.app.cards, 10); err != nil || n != 1 {
		t.Fatalf("ReconcileIntents = %d, %v; want 1", n, err)
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 1 {
		t.Fatalf("%d card payments after reconciliation; want 1", n)
	}
	wantStatus(t, "the pay page of a paid share", p.sam.get(payURL), http.StatusSeeOther)
	wantStatus(t, "the second form again", p.sam.post(payURL, url.Values{"payment_id": {second}, "pin": {"271828"}}), http.StatusConflict)
	if n := p.app.cards.charges.Load(); n != 1 {
		t.Errorf("%d charges in all; want 1", n)
	}
	checks, err := p.app.store.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Errorf("audit %s: %d violations", c.Name, c.Violations)
		}
	}
}
