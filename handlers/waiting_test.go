package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Sam sends money to Olivia, who has not set up payments: it waits for
// her; she is told in the thread and by e-mail; when she finishes setting
// up, it is hers, and the thread says so.
func TestSendWaitsForSetup(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	direct := p.openDirect(t, p.sam, "Olivia")
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", direct+"/send")
	form := p.sam.get(direct + "/send")
	wantBody(t, "send form", form, "Olivia has not set up payments yet: the money will wait for them for 14 days")
	id := sendForm(t, p.sam, direct+"/send")
	res := p.sam.post(direct+"/send", url.Values{"payment_id": {id}, "to": {p.ids["Olivia"]}, "amount": {"20"}, "note": {"Taxi"}, "pin": {"271828"}})
	wantStatus(t, "send", res, http.StatusSeeOther)
	wantBody(t, "Olivia's thread", p.org.get(direct), "Sam sent €20.00 to Olivia · Taxi",
		"It waits for Olivia to set up payments; after 14 days it goes back to Sam.")
	if n := p.count(t, `SELECT count(*) FROM outbox WHERE kind = 'money_waiting' AND recipient = 'olivia@example.com' AND body LIKE '%Sam sent you €20.00%'`); n != 1 {
		t.Errorf("%d 'money waiting' mails to Olivia, want 1", n)
	}
	// A retry of the same form tells nobody again.
	wantStatus(t, "same form again", p.sam.post(direct+"/send", url.Values{"payment_id": {id}, "to": {p.ids["Olivia"]}, "amount": {"20"},
		"note": {"Taxi"}, "pin": {"271828"}}), http.StatusSeeOther)
	if n := p.count(t, `SELECT count(*) FROM outbox WHERE kind = 'money_waiting'`); n != 1 {
		t.Errorf("%d 'money waiting' mails after a retry, want 1", n)
	}

	p.setupPayments(t, p.org, "Olivia", "5555 5555 5555 4444", "583920", "/payments/setup?next="+direct)
	wantBody(t, "claimed", p.sam.get(direct), "Olivia set up payments and received €20.00 from Sam")
	if strings.Contains(p.sam.get(direct).body, "It waits for Olivia") {
		t.Errorf("the claimed send's card still says it waits")
	}
	if n := p.count(t, `SELECT count(*) FROM waiting_sends WHERE claimed_at IS NOT NULL`); n != 1 {
		t.Errorf("%d claimed sends, want 1", n)
	}
	wantStatus(t, "Olivia speaks French", p.org.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	wantBody(t, "en français", p.org.get(direct), "Olivia a configuré les paiements et reçu 20,00")
}

// A send that waited and then did not go through (the card payment was
// voided) no longer says it waits: its card says nothing was sent, in each
// reader's language; one that was claimed says nothing more (the thread's
// message says it was received).
func TestWaitingSendCardFollowsItsOutcome(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	direct := p.openDirect(t, p.sam, "Olivia")
	p.setupPayments(t, p.sam, "Sam", "4000 0000 0000 0259", "271828", direct+"/send") // approved, then fails to settle
	id := sendForm(t, p.sam, direct+"/send")
	wantStatus(t, "send", p.sam.post(direct+"/send", url.Values{"payment_id": {id}, "to": {p.ids["Olivia"]}, "amount": {"20"}, "pin": {"271828"}}),
		http.StatusSeeOther)
	wantBody(t, "waiting", p.org.get(direct), "It waits for Olivia to set up payments")
	time.Sleep(1100 * time.Millisecond) // the test provider answers after 1 s
	if _, voided, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10); err != nil || voided != 1 {
		t.Fatalf("settle: %d voided, %v", voided, err)
	}
	for _, c := range []*client{p.org, p.sam} {
		b := c.get(direct).body
		if strings.Contains(b, "It waits for Olivia") || !strings.Contains(b, "The card payment did not go through: nothing was sent.") {
			t.Errorf("the voided send's card still waits or does not say it did not go through")
		}
	}
	wantStatus(t, "Olivia speaks French", p.org.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	wantBody(t, "en français", p.org.get(direct), "Le paiement par carte n’a pas abouti : rien n’a été envoyé.")
}
