package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"divvy/db/dbtest"
)

// The handler tests' BASE_URL is http://divvy.test: the RP id and origin a
// browser there would use.
const (
	testRPID   = "divvy.test"
	testOrigin = "http://divvy.test"
)

// postJSON sends a form as the passkeys script does (fetch, JSON answer).
func (c *client) postJSON(path string, form url.Values) response {
	c.app.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", c.app.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// jsonError is the sentence of a refusal the script shows.
func jsonError(t *testing.T, res response) string {
	t.Helper()
	var body struct{ Error string }
	if err := json.Unmarshal([]byte(res.body), &body); err != nil {
		t.Fatalf("not JSON: %v\n%.400s", err, res.body)
	}
	return body.Error
}

// addPasskey adds a passkey of auth to c's payment settings with the PIN.
func addPasskey(t *testing.T, c *client, auth *dbtest.Authenticator, name, pin string) {
	t.Helper()
	begin := c.postJSON("/payments/passkeys/begin", url.Values{"pin": {pin}})
	wantStatus(t, "begin adding a passkey", begin, http.StatusOK)
	cred, err := auth.Create([]byte(begin.body))
	if err != nil {
		t.Fatal(err)
	}
	res := c.postJSON("/payments/passkeys", url.Values{"name": {name}, "credential": {cred}})
	wantStatus(t, "add the passkey", res, http.StatusOK)
	wantBody(t, "add the passkey", res, `"location":"/payments/passkeys?notice=passkey.added_notice"`)
}

// passkeyPay is a pay form with its payment id and what it offers.
type passkeyPay struct {
	url, id, amount string
}

var offerRE = regexp.MustCompile(`data-passkey-pay data-payment-id="([^"]*)" data-amount="([^"]*)" data-currency="([^"]*)"`)

// payOffer reads a pay page and its passkey offer.
func payOffer(t *testing.T, c *client, payURL string) passkeyPay {
	t.Helper()
	page := c.get(payURL)
	wantStatus(t, "pay page", page, http.StatusOK)
	m := offerRE.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no passkey offer on %s\n%.2000s", payURL, page.body)
	}
	return passkeyPay{url: payURL, id: m[1], amount: m[2]}
}

// challenge asks for a passkey challenge of one payment; it returns the
// options.
func challenge(t *testing.T, c *client, paymentID, amount string) []byte {
	t.Helper()
	res := c.postJSON("/payments/passkeys/challenge", url.Values{"payment_id": {paymentID}, "amount": {amount}, "currency": {"EUR"}})
	wantStatus(t, "passkey challenge", res, http.StatusOK)
	return []byte(res.body)
}

// passkeyReady: Sam has payments set up (PIN 271828) and a passkey; three
// splits in Pizza Friday where Sam owes €10.00 each.
func passkeyReady(t *testing.T) (*pizza, *dbtest.Authenticator, []string) {
	t.Helper()
	p := newPizza(t)
	var pays []string
	for _, title := range []string{"Pizza night", "Cinema", "Taxi"} {
		wantStatus(t, "create "+title, p.org.post(p.thread+"/splits", p.splitForm(title, "30", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	}
	for _, split := range regexp.MustCompile(`/threads/\d+/splits/\d+`).FindAllString(p.org.get(p.thread).body, -1) {
		if !slices.Contains(pays, split+"/pay") {
			pays = append(pays, split+"/pay")
		}
	}
	if len(pays) != 3 {
		t.Fatalf("splits %v; want 3", pays)
	}
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", pays[0])
	auth := dbtest.NewAuthenticator(testRPID, testOrigin)
	addPasskey(t, p.sam, auth, "Sam’s phone", "271828")
	return p, auth, pays
}

// Adding a passkey: after the PIN, only with JavaScript; the options ask a
// platform authenticator with user verification for this RP; then every
// pay page offers it, and a payment confirmed with it goes through once.
func TestPasskeyAddAndPay(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	_, pay := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", pay)

	page := p.sam.get(pay)
	if strings.Contains(page.body, "data-passkey-pay") {
		t.Fatal("the pay page offers a passkey before there is one")
	}
	wantBody(t, "payment settings link", p.sam.get("/money"), `href="/payments/passkeys"`)
	list := p.sam.get("/payments/passkeys")
	wantStatus(t, "passkeys page", list, http.StatusOK)
	wantBody(t, "no passkey yet", list, `data-testid="passkeys-none"`, `data-testid="passkey-add-form"`)

	// Without JavaScript the form says it needs it, and nothing starts.
	noJS := p.sam.post("/payments/passkeys/begin", url.Values{"pin": {"271828"}, "name": {"Phone"}})
	wantStatus(t, "add without JavaScript", noJS, http.StatusUnprocessableEntity)
	wantBody(t, "add without JavaScript", noJS, "Adding a passkey needs JavaScript")
	// The PIN proves it is Sam; a wrong one counts.
	wrong := p.sam.postJSON("/payments/passkeys/begin", url.Values{"pin": {"999999"}})
	wantStatus(t, "wrong PIN", wrong, http.StatusUnprocessableEntity)
	if got := jsonError(t, wrong); got != "Wrong PIN, 4 tries left." {
		t.Errorf("wrong PIN said %q", got)
	}
	begin := p.sam.postJSON("/payments/passkeys/begin", url.Values{"pin": {"271828"}})
	wantStatus(t, "begin", begin, http.StatusOK)
	var opts struct {
		PublicKey struct {
			RP                     struct{ ID string }
			AuthenticatorSelection struct {
				AuthenticatorAttachment string
				ResidentKey             string
				UserVerification        string
			}
		}
	}
	json.Unmarshal([]byte(begin.body), &opts)
	sel := opts.PublicKey.AuthenticatorSelection
	if opts.PublicKey.RP.ID != testRPID || sel.AuthenticatorAttachment != "platform" || sel.UserVerification != "required" || sel.ResidentKey != "required" {
		t.Errorf("creation options %s", begin.body)
	}
	auth := dbtest.NewAuthenticator(testRPID, testOrigin)
	cred, err := auth.Create([]byte(begin.body))
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "add", p.sam.postJSON("/payments/passkeys", url.Values{"name": {"Sam’s phone"}, "credential": {cred}}), http.StatusOK)
	// Its challenge was used: the same answer again adds nothing.
	again := p.sam.postJSON("/payments/passkeys", url.Values{"name": {"again"}, "credential": {cred}})
	wantStatus(t, "add with a used challenge", again, http.StatusUnprocessableEntity)
	wantBody(t, "passkeys listed", p.sam.get("/payments/passkeys?notice=passkey.added_notice"), "Sam’s phone", "Passkey added")
	if n := p.count(t, `SELECT count(*) FROM passkeys`); n != 1 {
		t.Fatalf("%d passkeys; want 1", n)
	}

	offer := payOffer(t, p.sam, pay)
	wantBody(t, "pay page", p.sam.get(pay), "Confirm with fingerprint or face", `data-testid="passkey-confirm"`, `name="pin"`)
	if offer.amount != "10.00" {
		t.Errorf("offer amount %q; want 10.00", offer.amount)
	}
	assertion, err := auth.Get(challenge(t, p.sam, offer.id, offer.amount))
	if err != nil {
		t.Fatal(err)
	}
	res := p.sam.post(pay, url.Values{"payment_id": {offer.id}, "passkey": {assertion}})
	if m := regexp.MustCompile(`data-testid="problem-pin">([^<]*)`).FindStringSubmatch(res.body); m != nil {
		t.Logf("problem: %s", m[1])
	}
	wantStatus(t, "pay with the passkey", res, http.StatusSeeOther)
	wantBody(t, "paid", p.org.get(p.thread), "Sam paid €10.00 · Pizza night")
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 1 {
		t.Fatalf("%d card payments; want 1", n)
	}
	var count int64
	p.app.store.SQL().Get(&count, `SELECT sign_count FROM passkeys`)
	if count != 2 {
		t.Errorf("stored counter %d; want 2 (the assertion's)", count)
	}
	wantBody(t, "last used", p.sam.get("/payments/passkeys"), "last used")
}

// A replayed assertion, another payment's challenge, a challenge for
// another amount, an expired one, another origin or RP id, no user
// verification: each refused, with a sentence by the PIN field.
func TestPasskeyAssertionRules(t *testing.T) {
	t.Parallel()
	p, auth, pays := passkeyReady(t)
	first, second, third := payOffer(t, p.sam, pays[0]), payOffer(t, p.sam, pays[1]), payOffer(t, p.sam, pays[2])

	opts := challenge(t, p.sam, first.id, first.amount)
	assertion, _ := auth.Get(opts)
	wantStatus(t, "pay", p.sam.post(first.url, url.Values{"payment_id": {first.id}, "passkey": {assertion}}), http.StatusSeeOther)

	refused := func(what string, pay passkeyPay, assertion, want string) {
		t.Helper()
		res := p.sam.post(pay.url, url.Values{"payment_id": {pay.id}, "passkey": {assertion}})
		wantStatus(t, what, res, http.StatusUnprocessableEntity)
		wantBody(t, what, res, `data-testid="problem-pin"`, want)
	}
	// The same assertion again, on another payment: its challenge is spent.
	refused("replayed assertion", second, assertion, "already used")
	// A fresh challenge made for the second payment, sent with the third.
	other, _ := auth.Get(challenge(t, p.sam, second.id, second.amount))
	refused("another payment's challenge", third, other, "made for another payment or amount")
	// A challenge for this payment id but another amount.
	cheap, _ := auth.Get(challenge(t, p.sam, third.id, "1.00"))
	refused("another amount", third, cheap, "made for another payment or amount")
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 1 {
		t.Fatalf("%d card payments; want 1", n)
	}
	// Reset the tries (a right PIN does), to go on.
	wantStatus(t, "right PIN on the second", p.sam.post(second.url, url.Values{"payment_id": {second.id}, "pin": {"271828"}}), http.StatusSeeOther)

	// An expired challenge is refused and not counted.
	late, _ := auth.Get(challenge(t, p.sam, third.id, third.amount))
	p.app.store.SQL().MustExec(`UPDATE passkey_challenges SET created_at = now() - interval '10 minutes', expires_at = now() - interval '5 minutes' WHERE used_at IS NULL`)
	refused("expired challenge", third, late, "has expired")

	evil := *auth
	evil.Origin = "http://evil.test"
	a, _ := evil.Get(challenge(t, p.sam, third.id, third.amount))
	refused("another origin", third, a, "did not confirm this payment. 4 tries left")
	evil = *auth
	evil.RPID = "evil.test"
	a, _ = evil.Get(challenge(t, p.sam, third.id, third.amount))
	refused("another RP id", third, a, "did not confirm this payment. 3 tries left")
	noUV := *auth
	noUV.UserVerified = false
	a, _ = noUV.Get(challenge(t, p.sam, third.id, third.amount))
	refused("no user verification", third, a, "did not confirm this payment. 2 tries left")
	stranger := dbtest.NewAuthenticator(testRPID, testOrigin)
	stranger.CredentialID = auth.CredentialID // a copy of the id, not of the key
	a, _ = stranger.Get(challenge(t, p.sam, third.id, third.amount))
	refused("another key", third, a, "did not confirm this payment. 1 try left")
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 2 {
		t.Fatalf("%d card payments; want 2", n)
	}
	// The real passkey still works (the forged ones used no counter).
	auth.Counter = 50
	a, _ = auth.Get(challenge(t, p.sam, third.id, third.amount))
	wantStatus(t, "the real passkey", p.sam.post(third.url, url.Values{"payment_id": {third.id}, "passkey": {a}}), http.StatusSeeOther)
}

// A counter that goes backwards locks the passkey and says so; the pay
// pages stop offering it; the PIN still pays.
func TestPasskeyCounterBackwardsLocks(t *testing.T) {
	t.Parallel()
	p, auth, pays := passkeyReady(t)
	first, second := payOffer(t, p.sam, pays[0]), payOffer(t, p.sam, pays[1])
	auth.Counter = 10
	a, _ := auth.Get(challenge(t, p.sam, first.id, first.amount))
	wantStatus(t, "pay", p.sam.post(first.url, url.Values{"payment_id": {first.id}, "passkey": {a}}), http.StatusSeeOther)

	copied := *auth
	copied.Counter = 4 // a copy of the key, behind the original
	a, _ = copied.Get(challenge(t, p.sam, second.id, second.amount))
	res := p.sam.post(second.url, url.Values{"payment_id": {second.id}, "passkey": {a}})
	wantStatus(t, "counter backwards", res, http.StatusUnprocessableEntity)
	wantBody(t, "counter backwards", res, "counter went backwards", "now locked", "4 tries left")
	wantBody(t, "settings say it is locked", p.sam.get("/payments/passkeys"), `data-testid="passkey-locked"`)
	if strings.Contains(p.sam.get(second.url).body, "data-passkey-pay") {
		t.Error("a locked passkey is still offered")
	}
	// Even the original, ahead again, is refused now.
	auth.Counter = 100
	a, _ = auth.Sign("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	res = p.sam.postJSON("/payments/passkeys/challenge", url.Values{"payment_id": {second.id}, "amount": {second.amount}, "currency": {"EUR"}})
	wantStatus(t, "no passkey left to confirm with", res, http.StatusUnprocessableEntity)
	if got := jsonError(t, res); !strings.Contains(got, "no passkey") {
		t.Errorf("challenge without a usable passkey said %q", got)
	}
	wantStatus(t, "the PIN pays", p.sam.post(second.url, url.Values{"payment_id": {second.id}, "pin": {"271828"}}), http.StatusSeeOther)
	_ = a
}

// Refused assertions and wrong PINs count together toward the lock-out;
// while payments are locked, even a good assertion is refused.
func TestPasskeyFailuresCountWithWrongPINs(t *testing.T) {
	t.Parallel()
	p, auth, pays := passkeyReady(t)
	pay := payOffer(t, p.sam, pays[0])
	evil := *auth
	evil.Origin = "http://evil.test"
	post := func(f url.Values) response {
		f.Set("payment_id", pay.id)
		return p.sam.post(pay.url, f)
	}
	a, _ := evil.Get(challenge(t, p.sam, pay.id, pay.amount))
	wantBody(t, "refused assertion", post(url.Values{"passkey": {a}}), "4 tries left")
	wantBody(t, "wrong PIN", post(url.Values{"pin": {"999999"}}), "Wrong PIN, 3 tries left")
	a, _ = evil.Get(challenge(t, p.sam, pay.id, pay.amount))
	wantBody(t, "refused assertion", post(url.Values{"passkey": {a}}), "2 tries left")
	wantBody(t, "wrong PIN", post(url.Values{"pin": {"999999"}}), "Wrong PIN, 1 try left")
	a, _ = evil.Get(challenge(t, p.sam, pay.id, pay.amount))
	last := post(url.Values{"passkey": {a}})
	wantStatus(t, "the fifth failure", last, http.StatusUnprocessableEntity)
	wantBody(t, "the fifth failure", last, "That was the last try: payments are locked for 15 minutes")
	good, _ := auth.Get(challenge(t, p.sam, pay.id, pay.amount))
	locked := post(url.Values{"passkey": {good}})
	wantStatus(t, "good passkey while locked", locked, http.StatusTooManyRequests)
	wantBody(t, "good passkey while locked", locked, "payments are locked")
	wantStatus(t, "right PIN while locked", post(url.Values{"pin": {"271828"}}), http.StatusTooManyRequests)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 0 {
		t.Fatalf("%d card payments; want 0", n)
	}
}

// The list shows only one's own passkeys; removing one needs the PIN (a
// wrong one counts) and someone else's is not found.
func TestPasskeyListAndRemove(t *testing.T) {
	t.Parallel()
	p, _, pays := passkeyReady(t)
	p.setupPayments(t, p.lea, "Léa", "4242 4242 4242 4242", "314159", pays[0])
	leaKey := dbtest.NewAuthenticator(testRPID, testOrigin)
	addPasskey(t, p.lea, leaKey, "Léa’s laptop", "314159")

	sams := p.sam.get("/payments/passkeys")
	wantBody(t, "Sam's list", sams, "Sam’s phone")
	if strings.Contains(sams.body, "Léa’s laptop") {
		t.Error("Sam's list shows Léa's passkey")
	}
	leas := p.lea.get("/payments/passkeys")
	wantBody(t, "Léa's list", leas, "Léa’s laptop")
	// In French too, and her pay page offers it.
	p.lea.post("/locale", url.Values{"locale": {"fr"}})
	wantBody(t, "Léa's list in French", p.lea.get("/payments/passkeys"), "Vos clés d’accès", "Ajouter une clé d’accès")
	wantBody(t, "Léa's pay page in French", p.lea.get(pays[0]), "Confirmer avec l’empreinte ou le visage", "ou avec votre code PIN")
	evil := *leaKey
	evil.Origin = "http://evil.test"
	offer := payOffer(t, p.lea, pays[0])
	a, _ := evil.Get(challenge(t, p.lea, offer.id, offer.amount))
	wantBody(t, "refusal in French", p.lea.post(pays[0], url.Values{"payment_id": {offer.id}, "passkey": {a}}),
		"Votre clé d’accès n’a pas confirmé ce paiement. 4 essais restants.")
	if strings.Contains(leas.body, "Sam’s phone") {
		t.Error("Léa's list shows Sam's passkey")
	}
	var samKey, leaKeyID string
	p.app.store.SQL().Get(&samKey, `SELECT id FROM passkeys WHERE name = 'Sam’s phone'`)
	p.app.store.SQL().Get(&leaKeyID, `SELECT id FROM passkeys WHERE name = 'Léa’s laptop'`)

	remove := "/payments/passkeys/" + samKey + "/remove"
	wantStatus(t, "Léa removes Sam's passkey", p.lea.post(remove, url.Values{"pin": {"314159"}}), http.StatusNotFound)
	noPIN := p.sam.post(remove, url.Values{})
	wantStatus(t, "remove without the PIN", noPIN, http.StatusUnprocessableEntity)
	wantBody(t, "remove without the PIN", noPIN, "Your PIN has 6 digits")
	wrong := p.sam.post(remove, url.Values{"pin": {"999999"}})
	wantStatus(t, "remove with a wrong PIN", wrong, http.StatusUnprocessableEntity)
	wantBody(t, "remove with a wrong PIN", wrong, "Wrong PIN, 4 tries left", "Sam’s phone")
	if n := p.count(t, `SELECT count(*) FROM passkeys`); n != 2 {
		t.Fatalf("%d passkeys after refused removals; want 2", n)
	}
	res := p.sam.post(remove, url.Values{"pin": {"271828"}})
	wantStatus(t, "remove", res, http.StatusSeeOther)
	wantBody(t, "removed", p.sam.get(res.header.Get("Location")), "Passkey removed", `data-testid="passkeys-none"`)
	wantStatus(t, "remove again", p.sam.post(remove, url.Values{"pin": {"271828"}}), http.StatusNotFound)
	if strings.Contains(p.sam.get(pays[0]).body, "data-passkey-pay") {
		t.Error("the pay page still offers a removed passkey")
	}
	if n := p.count(t, `SELECT count(*) FROM passkeys`); n != 1 {
		t.Fatalf("%d passkeys; want Léa's only", n)
	}
	_ = leaKeyID
}

// Every payment form takes the passkey the same way: a send with a typed
// amount (the challenge reads it as the payment does), a settle-up line, a
// personal pay link with the amount typed and one fixed by the link; a
// challenge for another typed amount is refused.
func TestPasskeyEveryPaymentKind(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	wantStatus(t, "Olivia's split", p.org.post(p.thread+"/splits", p.splitForm("Pizza", "30 €", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	direct := p.openDirect(t, p.sam, "Léa")
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", direct+"/send")
	payReady(t, p.app, p.lea, "Léa", "314159", "/money")
	wantStatus(t, "Léa's handle", p.lea.post("/money/handle", url.Values{"handle": {"lea.b"}}), http.StatusSeeOther)
	auth := dbtest.NewAuthenticator(testRPID, testOrigin)
	addPasskey(t, p.sam, auth, "", "271828")
	cards := func() int { return p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`) }

	// Send: the amount is typed; the offer says the thread's currency.
	send := p.sam.get(direct + "/send")
	wantBody(t, "send form", send, `data-amount="" data-currency="EUR"`, "Confirm with fingerprint or face")
	id := sendForm(t, p.sam, direct+"/send")
	f := url.Values{"payment_id": {id}, "to": {p.ids["Léa"]}, "amount": {"20,50"}, "note": {"Taxi"}}
	wrongAmount, _ := auth.Get(challenge(t, p.sam, id, "2,05"))
	f.Set("passkey", wrongAmount)
	res := p.sam.post(direct+"/send", f)
	wantStatus(t, "send, challenge for another amount", res, http.StatusUnprocessableEntity)
	wantBody(t, "send, challenge for another amount", res, "made for another payment or amount", `value="20,50"`)
	a, _ := auth.Get(challenge(t, p.sam, id, "20,50"))
	f.Set("passkey", a)
	wantStatus(t, "send with the passkey", p.sam.post(direct+"/send", f), http.StatusSeeOther)
	wantBody(t, "sent", p.lea.get(direct), "Sam sent €20.50 to Léa · Taxi")

	// Settle-up: the plan's line, its amount fixed in the form.
	settle := p.thread + "/settle?currency=EUR&to=" + p.ids["Olivia"]
	offer := payOffer(t, p.sam, settle)
	if offer.amount != "10.00" {
		t.Errorf("settle offer amount %q; want 10.00", offer.amount)
	}
	a, _ = auth.Get(challenge(t, p.sam, offer.id, offer.amount))
	res = p.sam.post(p.thread+"/settle", url.Values{"payment_id": {offer.id}, "passkey": {a}, "to": {p.ids["Olivia"]},
		"currency": {"EUR"}, "amount": {"10.00"}})
	wantStatus(t, "settle with the passkey", res, http.StatusSeeOther)
	wantBody(t, "settled", p.sam.get(p.thread), "Sam paid Olivia €10.00 to settle up")

	// A personal pay link, the amount typed, then fixed by the link.
	link := p.sam.get("/to/lea.b")
	wantBody(t, "pay link", link, `data-amount="" data-currency="EUR"`)
	id = paymentID(t, link)
	a, _ = auth.Get(challenge(t, p.sam, id, "7"))
	res = p.sam.post("/to/lea.b", url.Values{"payment_id": {id}, "amount": {"7"}, "note": {"Film"}, "passkey": {a}})
	wantStatus(t, "pay link with the passkey", res, http.StatusOK)
	wantBody(t, "pay link with the passkey", res, `data-testid="paylink-done"`)
	fixed := p.sam.get("/to/lea.b?amount=12,50&note=pizza")
	wantBody(t, "fixed pay link", fixed, `data-amount="12.50" data-currency="EUR"`)
	id = paymentID(t, fixed)
	a, _ = auth.Get(challenge(t, p.sam, id, "12.50"))
	res = p.sam.post("/to/lea.b?amount=12,50&note=pizza", url.Values{"payment_id": {id}, "passkey": {a}})
	wantStatus(t, "fixed pay link with the passkey", res, http.StatusOK)
	wantBody(t, "fixed pay link with the passkey", res, `data-testid="paylink-done"`, "You paid €12.50 to Léa")
	if n := cards(); n != 4 {
		t.Fatalf("%d card payments; want 4 (send, settle-up, two pay links)", n)
	}
	// Only refused assertions counted: the right ones gave every try back.
	left, _, err := p.app.store.PINStatus(t.Context(), mustInt(t, p.ids["Sam"]))
	if err != nil || left != 5 {
		t.Errorf("PIN tries left %d (%v); want 5 after a right confirmation", left, err)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
