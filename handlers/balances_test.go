package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Two splits with different collectors: the thread's summary and the
// Balances page say who owes whom, in each reader's words and language,
// and only members see them.
func TestBalancesWhoOwesWhom(t *testing.T) {
	p := newPizza(t)
	wantStatus(t, "Olivia's split", p.org.post(p.thread+"/splits", p.splitForm("Pizza", "30 €", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	f := p.splitForm("Drinks", "12 €", "equal", "Sam", "Léa")
	f.Set("collector", p.ids["Sam"])
	wantStatus(t, "Sam's split", p.sam.post(p.thread+"/splits", f), http.StatusSeeOther)
	// Olivia +20; Sam -10 +12 -6 = -4; Léa -10 -6 = -16.
	wantBody(t, "Olivia's summary", p.org.get(p.thread), `data-testid="balances"`, "Sam owes you €4.00", "Léa owes you €16.00")
	wantBody(t, "Sam's summary", p.sam.get(p.thread), "You owe Olivia €4.00")
	page := p.lea.get(p.thread + "/balances")
	wantStatus(t, "Léa's balances page", page, http.StatusOK)
	wantBody(t, "Léa's balances page", page, "You owe Olivia €16.00", "Sam owes Olivia €4.00", "owes €16.00", "is owed €20.00")
	p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {p.thread}})
	wantBody(t, "Léa in French", p.lea.get(p.thread+"/balances"), "Vous devez 16,00\u00a0€ à Olivia", "Sam doit 4,00\u00a0€ à Olivia")

	stranger := p.app.client()
	stranger.signup("Mallory", "mallory@example.com", "correct horse")
	wantStatus(t, "a stranger", stranger.get(p.thread+"/balances"), http.StatusNotFound)
}

// Balances move live: a new split reaches the summary on a thread page
// and the whole body on a Balances page, each in its reader's words.
func TestBalancesLive(t *testing.T) {
	p := newPizza(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	thread, _ := p.org.openStream(ctx, p.app.srv.URL, p.thread, "")
	// The Balances page's stream says view=balances (the trailing
	// parameter swallows the "/events" openStream appends).
	page, _ := p.lea.openStream(ctx, p.app.srv.URL, p.thread+"/events?view=balances&x=", "")
	wantStatus(t, "Olivia's split", p.org.post(p.thread+"/splits", p.splitForm("Pizza", "30 €", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	ev := next(t, thread, "Léa owes you €10.00", 5*time.Second)
	if ev.name != "balances" || !strings.Contains(ev.data, `id="balances"`) || !strings.Contains(ev.data, `hx-swap-oob="true"`) {
		t.Errorf("thread page balances event: %s %.300s", ev.name, ev.data)
	}
	ev = next(t, page, "You owe Olivia €10.00", 5*time.Second)
	if ev.name != "balances" || !strings.Contains(ev.data, `id="balances-page"`) || !strings.Contains(ev.data, "Sam owes Olivia €10.00") {
		t.Errorf("balances page event: %s %.300s", ev.name, ev.data)
	}
}

// A bill paid by two people: the positions say what each fronted. Amounts
// that do not add up, a payer who is not a member, or payers without the
// collector get a sentence next to the field (in the reader's language),
// a 422, and nothing saved.
func TestSeveralPayers(t *testing.T) {
	p := newPizza(t)
	stranger := p.app.client()
	stranger.signup("Mallory", "mallory@example.com", "correct horse")
	var mallory string
	p.app.store.SQL().Get(&mallory, `SELECT id::text FROM users WHERE display_name = 'Mallory'`)
	form := func(paid map[string]string) url.Values {
		f := p.splitForm("Dinner", "30 €", "equal", "Olivia", "Sam", "Léa")
		for who, amount := range paid {
			id := p.ids[who]
			if who == "Mallory" {
				id = mallory
			}
			f.Set("paid_"+id, amount)
		}
		return f
	}
	bad := []struct {
		name string
		paid map[string]string
		want string
	}{
		{"short", map[string]string{"Olivia": "10", "Sam": "15"}, "The amounts paid add up to €25.00: €5.00 short of €30.00."},
		{"over", map[string]string{"Olivia": "10", "Sam": "25"}, "The amounts paid add up to €35.00: €5.00 over €30.00."},
		{"not a member", map[string]string{"Olivia": "10", "Mallory": "20"}, "Only members of the thread can have paid the bill."},
		{"without the collector", map[string]string{"Sam": "30", "Léa": "0"}, "The person who collects must be one of the payers"},
		{"not an amount", map[string]string{"Olivia": "10", "Sam": "twenty"}, `id="f-paid_` + p.ids["Sam"] + `"`},
	}
	for _, c := range bad {
		res := p.org.post(p.thread+"/splits", form(c.paid))
		wantStatus(t, c.name, res, http.StatusUnprocessableEntity)
		wantBody(t, c.name, res, c.want, `data-testid="payers" open`)
	}
	p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {p.thread}})
	res := p.lea.post(p.thread+"/splits", form(map[string]string{"Olivia": "10", "Sam": "15"}))
	wantStatus(t, "short, in French", res, http.StatusUnprocessableEntity)
	wantBody(t, "short, in French", res, "Les montants payés font 25,00\u00a0€ : il manque 5,00\u00a0€ pour arriver à 30,00\u00a0€.")
	var splits int
	p.app.store.SQL().Get(&splits, `SELECT count(*) FROM splits`)
	if splits != 0 {
		t.Fatalf("%d splits saved from refused forms", splits)
	}

	wantStatus(t, "two payers", p.org.post(p.thread+"/splits", form(map[string]string{"Olivia": "10", "Sam": "20,00"})), http.StatusSeeOther)
	// Olivia 10 - 10 = 0; Sam 20 - 10 = +10; Léa -10.
	wantBody(t, "Sam's summary", p.sam.get(p.thread), "Léa owes you €10.00")
	wantBody(t, "Olivia's summary", p.org.get(p.thread), "You are even.")
	// The card says who paid, the collector first, "you" for the reader,
	// in the reader's language, on the thread and the split's page.
	wantBody(t, "Olivia's card", p.org.get(p.thread), `data-testid="split-payers">Paid by you €10.00 and Sam €20.00<`)
	wantBody(t, "Sam's card", p.sam.get(p.thread), `data-testid="split-payers">Paid by Olivia €10.00 and you €20.00<`)
	wantBody(t, "Léa's card, in French", p.lea.get(p.thread), `data-testid="split-payers">Payé par Olivia 10,00`+"\u00a0"+`€ et Sam 20,00`+"\u00a0"+`€<`)
	var split string
	p.app.store.SQL().Get(&split, `SELECT id::text FROM splits`)
	wantBody(t, "the split's page", p.lea.get(p.thread+"/splits/"+split), "Payé par Olivia 10,00")
	checks, err := p.app.store.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Errorf("audit %s: %d violations", c.Name, c.Violations)
		}
	}
}

// Settling up in one tap: Léa owes Olivia and Sam across two splits; she
// pays Olivia the plan's line by card with her PIN (a retried form pays
// once), which settles her shares in both splits; Sam pays Olivia another
// way and Olivia confirms; everyone is even and both splits are "All paid".
func TestSettleUpInOneTap(t *testing.T) {
	p := newPizza(t)
	wantStatus(t, "Olivia's split", p.org.post(p.thread+"/splits", p.splitForm("Pizza", "30 €", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	f := p.splitForm("Drinks", "12 €", "equal", "Sam", "Léa")
	f.Set("collector", p.ids["Sam"])
	wantStatus(t, "Sam's split", p.sam.post(p.thread+"/splits", f), http.StatusSeeOther)
	page := p.lea.get(p.thread + "/balances")
	wantBody(t, "Léa's plan", page, "You owe Olivia €16.00", `data-testid="settle-pay"`, "Pay €16.00")
	settle := p.thread + "/settle?currency=EUR&to=" + p.ids["Olivia"]
	p.setupPayments(t, p.lea, "Léa", "4242 4242 4242 4242", "314159", settle)
	id := payForm(t, p.lea, settle)
	form := url.Values{"payment_id": {id}, "pin": {"000000"}, "to": {p.ids["Olivia"]}, "currency": {"EUR"}, "amount": {"16.00"}}
	wantStatus(t, "wrong PIN", p.lea.post(p.thread+"/settle", form), http.StatusUnprocessableEntity)
	form.Set("amount", "20.00")
	form.Set("pin", "314159")
	res := p.lea.post(p.thread+"/settle", form)
	wantStatus(t, "more than owed", res, http.StatusUnprocessableEntity)
	wantBody(t, "more than owed", res, "That is more than you owe: at most €16.00.")
	id = payForm(t, p.lea, settle)
	form.Set("payment_id", id)
	form.Set("amount", "16.00")
	wantStatus(t, "Léa settles", p.lea.post(p.thread+"/settle", form), http.StatusSeeOther)
	wantStatus(t, "the same form again", p.lea.post(p.thread+"/settle", form), http.StatusSeeOther)
	var cards int
	p.app.store.SQL().Get(&cards, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`)
	if cards != 1 {
		t.Fatalf("%d card payments, want 1", cards)
	}
	wantBody(t, "Léa is even", p.lea.get(p.thread), "You are even.", "Léa paid Olivia €16.00 to settle up")
	wantBody(t, "Sam's split all paid", p.sam.get(p.thread), "Drinks: all paid", "You owe Olivia €4.00")

	// Sam paid another way; Léa cannot confirm it, Olivia does.
	wantStatus(t, "Sam: another way", p.sam.post(p.thread+"/settle/claim", url.Values{"to": {p.ids["Olivia"]}, "currency": {"EUR"}, "amount": {"4.00"}}), http.StatusSeeOther)
	wantBody(t, "Olivia is asked", p.org.get(p.thread+"/balances"), "Sam says they paid you €4.00 another way", `data-testid="claim-confirm"`)
	var claim string
	p.app.store.SQL().Get(&claim, `SELECT id::text FROM settle_claims`)
	wantStatus(t, "Léa confirms Sam's", p.lea.post(p.thread+"/settle/claims/"+claim+"/confirm", nil), http.StatusForbidden)
	wantStatus(t, "Olivia confirms", p.org.post(p.thread+"/settle/claims/"+claim+"/confirm", nil), http.StatusSeeOther)
	wantStatus(t, "Olivia confirms twice", p.org.post(p.thread+"/settle/claims/"+claim+"/confirm", nil), http.StatusNotFound)
	done := p.org.get(p.thread)
	wantBody(t, "all settled", done, "All settled up.", "Pizza: all paid", "Drinks: all paid")

	// A payment outside splits, refused then recorded: it moves both positions.
	res = p.sam.post(p.thread+"/settle/claim", url.Values{"to": {p.ids["Léa"]}, "amount": {"twenty"}})
	wantStatus(t, "not an amount", res, http.StatusUnprocessableEntity)
	wantBody(t, "not an amount", res, `data-testid="problem-amount"`)
	wantStatus(t, "Sam gave Léa 20", p.sam.post(p.thread+"/settle/claim", url.Values{"to": {p.ids["Léa"]}, "amount": {"20 €"}}), http.StatusSeeOther)
	p.app.store.SQL().Get(&claim, `SELECT id::text FROM settle_claims WHERE transfer_id IS NULL`)
	wantStatus(t, "Léa confirms", p.lea.post(p.thread+"/settle/claims/"+claim+"/confirm", nil), http.StatusSeeOther)
	wantBody(t, "Léa owes Sam", p.lea.get(p.thread), "You owe Sam €20.00")
	checks, err := p.app.store.Audit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Errorf("audit %s: %d violations", c.Name, c.Violations)
		}
	}
}

// A settlement that covers shares across splits tells open pages which
// splits changed in one event, and each page asks for the cards it shows:
// drawn for its reader, a request's as a request.
func TestLiveSettleUpNamesCoveredSplits(t *testing.T) {
	p := newPizza(t)
	wantStatus(t, "Olivia's split", p.org.post(p.thread+"/splits", p.splitForm("Pizza", "30 €", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	f := p.splitForm("Drinks", "12 €", "equal", "Sam", "Léa")
	f.Set("collector", p.ids["Sam"])
	wantStatus(t, "Sam's split", p.sam.post(p.thread+"/splits", f), http.StatusSeeOther)
	var pizza, drinks string
	p.app.store.SQL().Get(&pizza, `SELECT id::text FROM splits WHERE title = 'Pizza'`)
	p.app.store.SQL().Get(&drinks, `SELECT id::text FROM splits WHERE title = 'Drinks'`)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, _ := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "")
	wantStatus(t, "Léa: another way", p.lea.post(p.thread+"/settle/claim", url.Values{"to": {p.ids["Olivia"]}, "currency": {"EUR"}, "amount": {"16.00"}}), http.StatusSeeOther)
	var claim string
	p.app.store.SQL().Get(&claim, `SELECT id::text FROM settle_claims`)
	wantStatus(t, "Olivia confirms", p.org.post(p.thread+"/settle/claims/"+claim+"/confirm", nil), http.StatusSeeOther)
	ev := next(t, events, "data-split-ids", 5*time.Second)
	if ev.name != "splits" || !strings.Contains(ev.data, `data-split-ids="`+pizza+`,`+drinks+`"`) {
		t.Errorf("splits event = %s %.300s; want both splits named", ev.name, ev.data)
	}
	for _, id := range []string{pizza, drinks} {
		card := p.sam.get(p.thread + "/splits/" + id + "/card")
		wantStatus(t, "card", card, http.StatusOK)
		wantBody(t, "Léa settled up on the card", card, `id="split-`+id+`"`, `data-name="Léa"`, "settled up")
	}
	wantBody(t, "Drinks closed", p.sam.get(p.thread), "Drinks: all paid")

	// A request's card is drawn as a request.
	wantStatus(t, "Olivia asks Sam", p.org.post(p.thread+"/request", url.Values{"to": {p.ids["Sam"]}, "amount": {"5"}, "note": {"Taxi"}}), http.StatusSeeOther)
	var req string
	p.app.store.SQL().Get(&req, `SELECT id::text FROM splits WHERE request`)
	wantBody(t, "request card", p.sam.get(p.thread+"/splits/"+req+"/card"), `data-testid="request-card"`)
}
