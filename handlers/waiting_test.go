package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
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
	if n := p.count(t, `SELECT count(*) FROM waiting_sends WHERE claimed_at IS NOT NULL`); n != 1 {
		t.Errorf("%d claimed sends, want 1", n)
	}
	wantStatus(t, "Olivia speaks French", p.org.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	wantBody(t, "en français", p.org.get(direct), "Olivia a configuré les paiements et reçu 20,00")
}
