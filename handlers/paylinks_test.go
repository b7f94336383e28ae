package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// payReady takes c through payment setup and activation (card 4242, pin),
// with next as the page to come back to, and returns where it lands.
func payReady(t *testing.T, app *testApp, c *client, name, pin, next string) {
	t.Helper()
	p := &pizza{app: app}
	p.setupPayments(t, c, name, "4242 4242 4242 4242", pin, "/payments/setup?"+url.Values{"next": {next}}.Encode())
}

// samWithHandle is a signed-up person with payments set up and the handle
// Sam.Martin.
func samWithHandle(t *testing.T, app *testApp) *client {
	t.Helper()
	sam := app.client()
	sam.signup("Sam Martin", "sam@example.com", "correct horse")
	payReady(t, app, sam, "Sam", "482913", "/money")
	res := sam.post("/money/handle", url.Values{"handle": {"Sam.Martin"}})
	wantStatus(t, "choose a handle", res, http.StatusSeeOther)
	return sam
}

// paymentID reads the payment id of a pay-link page.
func paymentID(t *testing.T, res response) string {
	t.Helper()
	m := regexp.MustCompile(`name="payment_id" value="([^"]+)"`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no payment id on the page\n%.2000s", res.body)
	}
	return m[1]
}

// A signed-out visitor pays a personal link with an amount and note in it:
// a name, payment setup and activation, then the PIN; the money is pending
// in the payee's balance and both histories say who paid whom.
func TestPersonalLinkGuestPays(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	sam := samWithHandle(t, app)

	visitor := app.client()
	page := visitor.get("/to/sam.martin?amount=12,50&note=pizza")
	wantStatus(t, "old spelling", page, http.StatusMovedPermanently)
	if loc := page.header.Get("Location"); loc != "/to/Sam.Martin?amount=12,50&note=pizza" {
		t.Fatalf("redirect to %q", loc)
	}
	page = visitor.get("/to/Sam.Martin?amount=12,50&note=pizza")
	wantStatus(t, "pay link", page, http.StatusOK)
	wantBody(t, "pay link", page, `data-testid="paylink-title">Pay Sam Martin`, `data-testid="paylink-avatar">SM`,
		`data-testid="paylink-amount">€12.50`, `data-testid="paylink-note">pizza`, `name="robots" content="noindex, nofollow"`,
		`property="og:title" content="Pay Sam Martin"`, `name="twitter:card" content="summary"`,
		`property="og:image" content="http://divvy.test/to/Sam.Martin/qr.png"`, `name="name"`)
	if page.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("Referrer-Policy %q", page.header.Get("Referrer-Policy"))
	}
	wantBody(t, "the form keeps the link's amount", page, `action="/to/Sam.Martin?amount=12,50&amp;note=pizza"`)
	if strings.Contains(page.body, `name="amount"`) {
		t.Errorf("the amount fixed by the link can be typed")
	}
	noName := visitor.post("/to/Sam.Martin?amount=12,50&note=pizza", url.Values{"name": {""}})
	wantStatus(t, "no name", noName, http.StatusUnprocessableEntity)
	wantBody(t, "no name", noName, `data-testid="problem-name"`)

	res := visitor.post("/to/Sam.Martin?amount=12,50&note=pizza", url.Values{"name": {"Nina"}})
	wantStatus(t, "guest", res, http.StatusSeeOther)
	loc, _ := url.Parse(res.header.Get("Location"))
	next := loc.Query().Get("next")
	if loc.Path != "/payments/setup" || next != "/to/Sam.Martin?amount=12.50&note=pizza" {
		t.Fatalf("after the name: %s", res.header.Get("Location"))
	}
	payReady(t, app, visitor, "Nina", "271828", next)
	page = visitor.get(next)
	wantBody(t, "PIN step", page, `data-testid="paylink-pay"`, "Visa ···· 4242")
	id := paymentID(t, page)
	wrong := visitor.post(next, url.Values{"payment_id": {id}, "pin": {"999999"}})
	wantStatus(t, "wrong PIN", wrong, http.StatusUnprocessableEntity)
	wantBody(t, "wrong PIN", wrong, `data-testid="problem-pin"`, "Wrong PIN")
	paid := visitor.post(next, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "pay", paid, http.StatusOK)
	wantBody(t, "paid", paid, `data-testid="paylink-done"`, "You paid €12.50 to Sam Martin", `data-testid="paylink-thread"`)
	thread := regexp.MustCompile(`href="(/threads/\d+)" data-testid="paylink-thread"`).FindStringSubmatch(paid.body)
	if thread == nil {
		t.Fatalf("no conversation link on the done page")
	}
	for who, c := range map[string]*client{"payer": visitor, "payee": sam} {
		res := c.get(thread[1])
		wantStatus(t, who+"'s conversation", res, http.StatusOK)
		wantBody(t, who+"'s conversation", res, `data-testid="msg-send"`, "Nina sent €12.50 to Sam Martin · pizza")
	}
	again := visitor.post(next, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "the same form again", again, http.StatusOK)
	if n := app.cards.charges.Load(); n != 1 {
		t.Errorf("%d charges, want 1", n)
	}
	var note string
	if err := app.store.SQL().Get(&note, `SELECT note FROM link_payments`); err != nil || note != "pizza" {
		t.Errorf("link payment note %q, %v", note, err)
	}
	wantBody(t, "payer's history", visitor.get("/money"), "Card payment to Sam Martin · pizza")
	wantBody(t, "payee's history", sam.get("/money"), "Card payment from Nina · pizza", "€12.50")
}

// Bad links and input: unknown handles are the 404 page, an amount in the
// link that is not one (or over the cap) is said and typed instead, the
// payee's own link does not offer to pay, reserved handles are refused.
func TestPersonalLinkRefusals(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	sam := samWithHandle(t, app)

	anon := app.client()
	for _, path := range []string{"/to/nobody-here", "/to/s%D0%BEm", "/to/a"} {
		res := anon.get(path)
		wantStatus(t, path, res, http.StatusNotFound)
		wantBody(t, path, res, `data-testid="error-message"`)
	}
	for amount, says := range map[string]string{"abc": "not valid", "-5": "not valid", "12.345": "not valid", "900": "limited to"} {
		res := anon.get("/to/Sam.Martin?amount=" + url.QueryEscape(amount))
		wantStatus(t, "amount "+amount, res, http.StatusOK)
		wantBody(t, "amount "+amount, res, `data-testid="form-error"`, says, `name="amount"`)
	}
	lea := app.client()
	lea.signup("Léa", "lea@example.com", "correct horse")
	payReady(t, app, lea, "Lea", "739164", "/money")
	page := lea.get("/to/Sam.Martin")
	bad := lea.post("/to/Sam.Martin", url.Values{"payment_id": {paymentID(t, page)}, "pin": {"739164"}, "amount": {"1,234"}})
	wantStatus(t, "too many decimals", bad, http.StatusUnprocessableEntity)
	wantBody(t, "too many decimals", bad, `data-testid="problem-amount"`, `value="1,234"`)
	long := lea.post("/to/Sam.Martin", url.Values{"payment_id": {paymentID(t, page)}, "pin": {"739164"}, "amount": {"5"},
		"note": {strings.Repeat("x", 81)}})
	wantStatus(t, "long note", long, http.StatusUnprocessableEntity)
	wantBody(t, "long note", long, `data-testid="problem-note"`)
	over := lea.post("/to/Sam.Martin", url.Values{"payment_id": {paymentID(t, page)}, "pin": {"739164"}, "amount": {"600"}})
	wantStatus(t, "over the cap", over, http.StatusUnprocessableEntity)
	if n := app.cards.charges.Load(); n != 0 {
		t.Errorf("%d charges for refused forms", n)
	}
	ok := lea.post("/to/Sam.Martin", url.Values{"payment_id": {paymentID(t, page)}, "pin": {"739164"}, "amount": {"7"}, "note": {"Taxi"}})
	wantStatus(t, "typed amount", ok, http.StatusOK)
	wantBody(t, "typed amount", ok, "You paid €7.00 to Sam Martin")

	own := sam.get("/to/Sam.Martin")
	wantBody(t, "own link", own, `data-testid="paylink-own"`)
	for handle, reason := range map[string]string{"threads": "keeps for itself", "Admin": "keeps for itself", "s\u043em.x": "3 to 30 characters"} {
		res := lea.post("/money/handle", url.Values{"handle": {handle}})
		wantStatus(t, "handle "+handle, res, http.StatusUnprocessableEntity)
		wantBody(t, "handle "+handle, res, `data-testid="problem-handle"`, reason)
	}
	taken := lea.post("/money/handle", url.Values{"handle": {"SAM.MARTIN"}})
	wantStatus(t, "taken", taken, http.StatusUnprocessableEntity)
	wantBody(t, "taken", taken, "already someone’s handle")
	soon := sam.post("/money/handle", url.Values{"handle": {"sam2"}})
	wantStatus(t, "too soon", soon, http.StatusUnprocessableEntity)
	wantBody(t, "too soon", soon, "once a month")

	fr := app.client()
	fr.lang = "fr"
	wantBody(t, "French", fr.get("/to/Sam.Martin?amount=x"), "Payer Sam Martin", "Le montant de ce lien n’est pas valable")
}

// Pay-link pages are counted per address, so handles cannot be walked.
func TestPersonalLinkLookupsLimited(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	c := app.client()
	limited := false
	for i := 0; i < 70 && !limited; i++ {
		res := c.get("/to/handle-" + strings.Repeat("x", i%5+1))
		switch res.status {
		case http.StatusNotFound:
		case http.StatusTooManyRequests:
			limited = i >= 60
			if !limited {
				t.Fatalf("limited after %d lookups", i)
			}
			if res.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		default:
			t.Fatalf("lookup %d: %d", i, res.status)
		}
	}
	if !limited {
		t.Fatal("70 lookups from one address, none refused")
	}
}

// A request link from the Money page: paid once (of two payers at once,
// one pays and the other is told), then it says paid; another is revoked.
func TestRequestLinkFromMoneyPage(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	sam := samWithHandle(t, app)
	bad := sam.post("/money/requests", url.Values{"amount": {"-3"}, "note": {"Pizza"}})
	wantStatus(t, "negative request", bad, http.StatusUnprocessableEntity)
	wantBody(t, "negative request", bad, `data-testid="problem-amount"`, `value="Pizza"`)
	wantStatus(t, "request", sam.post("/money/requests", url.Values{"amount": {"12,50"}, "note": {"Pizza"}}), http.StatusSeeOther)
	money := sam.get("/money")
	link := regexp.MustCompile(`http://divvy\.test(/r/[A-Za-z0-9_-]+)`).FindStringSubmatch(money.body)
	if link == nil {
		t.Fatalf("no request link on the Money page\n%.3000s", money.body)
	}
	path := link[1]

	payers := make([]*client, 2)
	ids := make([]string, 2)
	for i, name := range []string{"Lea", "Nina"} {
		c := app.client()
		c.signup(name, strings.ToLower(name)+"@example.com", "correct horse")
		payReady(t, app, c, name, "739164", path)
		page := c.get(path)
		wantBody(t, "request page", page, "Pay Sam Martin", `data-testid="paylink-amount">€12.50`, `data-testid="paylink-note">Pizza`)
		if page.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("Referrer-Policy %q", page.header.Get("Referrer-Policy"))
		}
		payers[i], ids[i] = c, paymentID(t, page)
	}
	var wg sync.WaitGroup
	got := make([]response, 2)
	for i := range payers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = payers[i].post(path, url.Values{"payment_id": {ids[i]}, "pin": {"739164"}, "amount": {"999"}})
		}()
	}
	wg.Wait()
	statuses := map[int]int{}
	for _, r := range got {
		statuses[r.status]++
		if r.status == http.StatusConflict && !strings.Contains(r.body, "already paid") {
			t.Errorf("the second payer is not told it is paid:\n%.2000s", r.body)
		}
	}
	if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != 1 {
		t.Fatalf("two payers at once: statuses %v, want one 200 and one 409", statuses)
	}
	var n int
	if err := app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment' AND amount = 12.50`); err != nil || n != 1 {
		t.Fatalf("%d card payments of 12.50 (%v), want 1 (the typed 999 is ignored)", n, err)
	}
	wantBody(t, "paid link", app.client().get(path), `data-testid="paylink-closed"`, "already paid")
	wantBody(t, "Money page", sam.get("/money"), `data-status="paid"`, "Paid by")

	wantStatus(t, "second request", sam.post("/money/requests", url.Values{"amount": {"5"}}), http.StatusSeeOther)
	m := regexp.MustCompile(`data-status="open" data-id="(\d+)"`).FindStringSubmatch(sam.get("/money").body)
	if m == nil {
		t.Fatal("no open request")
	}
	wantStatus(t, "someone else revokes", payers[0].post("/money/requests/"+m[1]+"/revoke", nil), http.StatusNotFound)
	wantStatus(t, "revoke", sam.post("/money/requests/"+m[1]+"/revoke", nil), http.StatusSeeOther)
	wantBody(t, "revoked", sam.get("/money"), `data-status="revoked"`)
	wantStatus(t, "unknown request", app.client().get("/r/nope"), http.StatusNotFound)
}
