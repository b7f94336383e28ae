package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// removeRows counts Léa's payment profile and payments_removed rows.
func (p *pizza) removeRows(t *testing.T, name string) (profiles, removed int) {
	t.Helper()
	id := p.ids[name]
	profiles = p.count(t, `SELECT count(*) FROM payment_profiles WHERE user_id = `+id)
	removed = p.count(t, `SELECT count(*) FROM payments_removed WHERE user_id = `+id)
	return profiles, removed
}

// Léa turns payments off: refused while money is pending, then while it
// waits to be withdrawn; with a wrong PIN; then done with the PIN. Her pay
// link and request link say she is not accepting payments (EN and FR),
// paying them or sending her money is refused with a 409 and nothing is
// charged, a split she collects takes no card payment; she sets payments
// up again and is paid.
func TestPaymentsTurnedOff(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	lea := p.lea
	wantStatus(t, "handle", lea.post("/money/handle", url.Values{"handle": {"lea.pays"}}), http.StatusSeeOther)
	wantStatus(t, "request", lea.post("/money/requests", url.Values{"amount": {"5"}, "note": {"Cinema"}}), http.StatusSeeOther)
	reqLink := regexp.MustCompile(`http://divvy\.test(/r/[A-Za-z0-9_-]+)`).FindStringSubmatch(lea.get("/money").body)
	if reqLink == nil {
		t.Fatal("no request link on Léa's Money page")
	}
	wantBody(t, "settings", lea.get("/money"), `href="/payments/remove" data-testid="money-remove"`)

	// Sam sends Léa €20: pending until the provider settles it.
	send := url.Values{"payment_id": {sendForm(t, p.sam, direct+"/send")}, "to": {p.ids["Léa"]}, "amount": {"20"}, "pin": {"271828"}}
	wantStatus(t, "send", p.sam.post(direct+"/send", send), http.StatusSeeOther)
	page := lea.get("/payments/remove")
	wantStatus(t, "remove page", page, http.StatusOK)
	wantBody(t, "remove page, pending", page, `data-testid="remove-blocked"`, "€20.00 is still pending in your balance")
	res := lea.post("/payments/remove", url.Values{"pin": {"314159"}})
	wantStatus(t, "remove while pending", res, http.StatusConflict)
	wantBody(t, "remove while pending", res, "€20.00 is still pending")

	time.Sleep(1100 * time.Millisecond) // the test provider settles after 1 s
	if posted, _, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10); err != nil || posted != 1 {
		t.Fatalf("SettlePending = %d, %v", posted, err)
	}
	res = lea.post("/payments/remove", url.Values{"pin": {"314159"}})
	wantStatus(t, "remove before withdrawing", res, http.StatusConflict)
	wantBody(t, "remove before withdrawing", res, "You still have €20.00 in your balance. Withdraw it first")

	payout := regexp.MustCompile(`name="payout_id" value="([^"]+)"`).FindStringSubmatch(lea.get("/money").body)
	if payout == nil {
		t.Fatal("no withdraw form")
	}
	wantStatus(t, "withdraw", lea.post("/money/withdraw", url.Values{"payout_id": {payout[1]}, "currency": {"EUR"}, "amount": {"20"},
		"iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"314159"}}), http.StatusSeeOther)

	wantBody(t, "remove page, ready", lea.get("/payments/remove"), `data-testid="remove-form"`, "Turn payments off")
	res = lea.post("/payments/remove", url.Values{"pin": {"000000"}})
	wantStatus(t, "wrong PIN", res, http.StatusUnprocessableEntity)
	wantBody(t, "wrong PIN", res, `data-testid="problem-pin"`, "Wrong PIN")
	if prof, off := p.removeRows(t, "Léa"); prof != 1 || off != 0 {
		t.Fatalf("after a wrong PIN: %d profiles, %d removals", prof, off)
	}
	// A passkey of hers (as registration would leave it) goes too.
	if _, err := p.app.store.SQL().Exec(`INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, flags, created_at)
		VALUES ($1, decode(repeat('ab', 16), 'hex'), '\x01', 0, 0, now())`, p.ids["Léa"]); err != nil {
		t.Fatal(err)
	}
	res = lea.post("/payments/remove", url.Values{"pin": {"314159"}})
	wantStatus(t, "remove", res, http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != "/money?notice=payments.removed" {
		t.Fatalf("after removing: %q", loc)
	}
	wantBody(t, "Money page", lea.get(res.header.Get("Location")), "Payments are off. Your links say", `data-testid="payments-off"`,
		`data-testid="money-setup-again"`, `data-testid="handle-kept"`, "http://divvy.test/to/lea.pays")
	if prof, off := p.removeRows(t, "Léa"); prof != 0 || off != 1 {
		t.Fatalf("after removing: %d profiles, %d removals; want the profile gone", prof, off)
	}
	if n := p.count(t, `SELECT count(*) FROM passkeys WHERE user_id = `+p.ids["Léa"]); n != 0 {
		t.Errorf("%d passkeys left after turning payments off", n)
	}

	// Her links say so, in English and French; paying them is refused.
	anon := p.app.client()
	for _, path := range []string{"/to/lea.pays", reqLink[1]} {
		res := anon.get(path)
		wantStatus(t, path, res, http.StatusOK)
		wantBody(t, path, res, `data-testid="paylink-closed"`, "Léa is not accepting payments for now.")
	}
	fr := p.app.client()
	fr.lang = "fr"
	wantBody(t, "French", fr.get("/to/lea.pays"), "Léa n’accepte pas de paiements pour le moment.")
	charges := p.app.cards.charges.Load()
	link := p.sam.get("/to/lea.pays")
	if m := regexp.MustCompile(`name="payment_id"`).FindString(link.body); m != "" {
		t.Errorf("the pay link of someone not accepting payments offers to pay")
	}
	res = p.sam.post("/to/lea.pays", url.Values{"payment_id": {"link-pay-1234"}, "pin": {"271828"}, "amount": {"5"}})
	wantStatus(t, "pay link", res, http.StatusConflict)
	wantBody(t, "pay link", res, "not accepting payments")
	res = p.sam.post(reqLink[1], url.Values{"payment_id": {"link-pay-5678"}, "pin": {"271828"}})
	wantStatus(t, "request link", res, http.StatusConflict)

	// Sending her money is refused by the field, before the PIN.
	send = url.Values{"payment_id": {sendForm(t, p.sam, direct+"/send")}, "to": {p.ids["Léa"]}, "amount": {"5"}, "pin": {"000000"}}
	res = p.sam.post(direct+"/send", send)
	wantStatus(t, "send to Léa", res, http.StatusConflict)
	wantBody(t, "send to Léa", res, `data-testid="problem-to"`, "Léa turned payments off and is not accepting payments.")

	// A split she collects takes no card payment.
	split := url.Values{"title": {"Tickets"}, "total": {"10"}, "currency": {"EUR"}, "collector": {p.ids["Léa"]}, "mode": {"equal"},
		"people": {p.ids["Léa"], p.ids["Sam"]}}
	wantStatus(t, "Léa's split", lea.post(p.thread+"/splits", split), http.StatusSeeOther)
	splitURL := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindAllString(lea.get(p.thread).body, -1)
	if len(splitURL) == 0 {
		t.Fatal("no split in the thread")
	}
	payURL := splitURL[len(splitURL)-1] + "/pay"
	res = p.sam.post(payURL, url.Values{"payment_id": {payForm(t, p.sam, payURL)}, "pin": {"271828"}})
	wantStatus(t, "Sam pays Léa's split", res, http.StatusConflict)
	wantBody(t, "Sam pays Léa's split", res, "Léa turned payments off")
	if n := p.app.cards.charges.Load(); n != charges {
		t.Errorf("%d charges while Léa's payments are off", n-charges)
	}

	// She sets payments up again: paid again.
	p.setupPayments(t, lea, "Léa", "4242 4242 4242 4242", "314160", "/payments/setup?next=/money")
	if prof, off := p.removeRows(t, "Léa"); prof != 1 || off != 0 {
		t.Fatalf("after setting up again: %d profiles, %d removals", prof, off)
	}
	wantBody(t, "pay link again", p.sam.get("/to/lea.pays"), `data-testid="paylink-pay"`)
	send = url.Values{"payment_id": {sendForm(t, p.sam, direct+"/send")}, "to": {p.ids["Léa"]}, "amount": {"5"}, "pin": {"271828"}}
	wantStatus(t, "send again", p.sam.post(direct+"/send", send), http.StatusSeeOther)
}

// Other things that keep payments on: an open split one collects, money
// one sent that waits for someone; and without payments there is nothing
// to turn off.
func TestPaymentsTurnOffRefusals(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	p.setupPayments(t, p.org, "Olivia", "4242 4242 4242 4242", "482916", "/payments/setup?next=/money")
	split, _ := p.postSplit(t)
	res := p.org.post("/payments/remove", url.Values{"pin": {"482916"}})
	wantStatus(t, "collecting", res, http.StatusConflict)
	wantBody(t, "collecting", res, "You collect “Pizza night”, which is not paid in full yet.")
	wantStatus(t, "cancel", p.org.post(split+"/cancel", nil), http.StatusSeeOther)
	wantStatus(t, "remove after the cancel", p.org.post("/payments/remove", url.Values{"pin": {"482916"}}), http.StatusSeeOther)

	direct := p.openDirect(t, p.sam, "Léa")
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", direct+"/send")
	send := url.Values{"payment_id": {sendForm(t, p.sam, direct+"/send")}, "to": {p.ids["Léa"]}, "amount": {"8"}, "pin": {"271828"}}
	wantStatus(t, "send to Léa (waits for her)", p.sam.post(direct+"/send", send), http.StatusSeeOther)
	res = p.sam.post("/payments/remove", url.Values{"pin": {"271828"}})
	wantStatus(t, "waiting send", res, http.StatusConflict)
	wantBody(t, "waiting send", res, "Money you sent to Léa is waiting for them to set up payments.")
	p.sam.post("/locale", url.Values{"locale": {"fr"}, "next": {"/money"}})
	wantBody(t, "French", p.sam.post("/payments/remove", url.Values{"pin": {"271828"}}), "L’argent que vous avez envoyé à Léa attend")

	res = p.lea.get("/payments/remove")
	wantStatus(t, "no payments to turn off", res, http.StatusSeeOther)
	wantStatus(t, "no payments to turn off (post)", p.lea.post("/payments/remove", url.Values{"pin": {"314159"}}), http.StatusSeeOther)
}
