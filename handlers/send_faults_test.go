package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A send whose card payment the provider fails to settle is voided, and
// its thread says so, live, in the reader's language.
func TestSendVoidedIsSaidInThread(t *testing.T) {
	p := newPizza(t)
	direct := p.openDirect(t, p.sam, "Léa")
	p.setupPayments(t, p.sam, "Sam", "4000 0000 0000 0259", "271828", direct+"/send")
	wantStatus(t, "Léa speaks French", p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	events, _ := p.lea.openStream(t.Context(), p.app.srv.URL, direct, "")
	id := sendForm(t, p.sam, direct+"/send")
	f := url.Values{"payment_id": {id}, "to": {p.ids["Léa"]}, "amount": {"20"}, "note": {"Taxi"}, "pin": {"271828"}}
	wantStatus(t, "send", p.sam.post(direct+"/send", f), http.StatusSeeOther)

	time.Sleep(1100 * time.Millisecond) // the test sandbox settles after a second
	posted, voided, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10)
	if err != nil || posted != 0 || voided != 1 {
		t.Fatalf("settle: %d posted, %d voided, %v", posted, voided, err)
	}
	ev := next(t, events, "n’a pas pu envoyer", 5*time.Second)
	wantIn(t, "Léa's live notice", ev.data, "Sam n’a pas pu envoyer 20,00 € à Léa : le paiement par carte a échoué, rien n’a été envoyé.")
	wantBody(t, "Sam's thread", p.sam.get(direct), "Sam could not send €20.00 to Léa: the card payment failed, so nothing was sent.")
	if n := p.count(t, `SELECT count(*) FROM messages WHERE data->>'event' = 'send_failed'`); n != 1 {
		t.Errorf("%d send_failed messages, want 1", n)
	}
	// Settling again does nothing more.
	if _, voided, _ := p.app.store.SettlePending(t.Context(), p.app.provider, 10); voided != 0 {
		t.Errorf("a second settle voided %d", voided)
	}
	if strings.Count(p.sam.get(direct).body, "could not send") != 1 {
		t.Errorf("the notice is not there exactly once")
	}
	// Léa had not set up payments, so the money was waiting for her:
	// setting up now claims nothing that was voided.
	if n := p.count(t, `SELECT count(*) FROM waiting_sends`); n != 1 {
		t.Fatalf("%d waiting sends, want 1", n)
	}
	p.setupPayments(t, p.lea, "Léa", "4242 4242 4242 4242", "314159", direct+"/send")
	if n := p.count(t, `SELECT count(*) FROM messages WHERE data->>'event' = 'send_claimed'`); n != 0 {
		t.Errorf("%d 'received' messages for a voided send", n)
	}
}

// Both histories say whom a send went to or came from, and what for.
func TestSendInBothHistories(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	id := sendForm(t, p.sam, direct+"/send")
	f := url.Values{"payment_id": {id}, "to": {p.ids["Léa"]}, "amount": {"20"}, "note": {"Taxi"}, "pin": {"271828"}}
	wantStatus(t, "send", p.sam.post(direct+"/send", f), http.StatusSeeOther)
	wantBody(t, "Sam's history", p.sam.get("/money"), "Card payment to Léa · Taxi")
	wantBody(t, "Léa's history", p.lea.get("/money"), "Card payment from Sam · Taxi")
}
