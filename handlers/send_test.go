package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// sendForm reads a Send form and returns its payment id.
func sendForm(t *testing.T, c *client, path string) string {
	t.Helper()
	page := c.get(path)
	wantStatus(t, "send form", page, 200)
	m := regexp.MustCompile(`name="payment_id" value="([^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no payment id on the send form\n%.1500s", page.body)
	}
	return m[1]
}

// sendReady: Sam and Léa in their two-person thread, both with payments
// set up (Sam's PIN 271828, Léa's 314159).
func sendReady(t *testing.T) (*pizza, string) {
	p := newPizza(t)
	direct := p.openDirect(t, p.sam, "Léa")
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", direct+"/send")
	p.setupPayments(t, p.lea, "Léa", "4242 4242 4242 4242", "314159", direct+"/send")
	return p, direct
}

func TestSendInTwoPersonThread(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	form := p.sam.get(direct + "/send")
	wantBody(t, "send form", form, `data-testid="send-form"`, `data-testid="money-tabs"`, "To Léa", "Visa ···· 4242")
	id := sendForm(t, p.sam, direct+"/send")

	// Léa's page is open: the card reaches it live.
	events, _ := p.lea.openStream(t.Context(), p.app.srv.URL, direct, "")
	f := url.Values{"payment_id": {id}, "to": {p.ids["Léa"]}, "amount": {"20"}, "note": {"Taxi"}, "pin": {"999999"}}
	wrong := p.sam.post(direct+"/send", f)
	wantStatus(t, "wrong PIN", wrong, http.StatusUnprocessableEntity)
	wantBody(t, "wrong PIN", wrong, `data-testid="problem-pin"`, `value="20"`, `value="Taxi"`)

	f.Set("pin", "271828")
	res := p.sam.post(direct+"/send", f)
	wantStatus(t, "send", res, http.StatusSeeOther)
	if !regexp.MustCompile(`^/threads/\d+#m\d+$`).MatchString(res.header.Get("Location")) {
		t.Errorf("send went to %q", res.header.Get("Location"))
	}
	for ev := next(t, events, "message", 5e9); !strings.Contains(ev.data, "msg-send"); ev = next(t, events, "message", 5e9) {
	}
	wantBody(t, "Léa's thread", p.lea.get(direct), `data-testid="msg-send"`, "Sam sent €20.00 to Léa · Taxi")

	// A double submit or a retry sends once.
	wantStatus(t, "same form again", p.sam.post(direct+"/send", f), http.StatusSeeOther)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 1 {
		t.Errorf("%d card payments, want 1", n)
	}
	if n := p.count(t, `SELECT count(*) FROM messages WHERE data->>'method' = 'send'`); n != 1 {
		t.Errorf("%d send cards, want 1", n)
	}
	if got := p.app.cards.charges.Load(); got != 1 {
		t.Errorf("%d charges, want 1", got)
	}
	// The money waits in Léa's balance, pending until the provider settles.
	var pending string
	if err := p.app.store.SQL().Get(&pending, `SELECT a.balance::text FROM ledger_accounts a WHERE a.user_id = $1 AND a.kind = 'user_pending'`, p.ids["Léa"]); err != nil {
		t.Fatal(err)
	}
	if pending != "20.00" {
		t.Errorf("Léa's pending balance %s, want 20.00", pending)
	}

	// Over the per-payment cap: refused before any charge, the form back
	// with a new id.
	over := url.Values{"payment_id": {sendForm(t, p.sam, direct+"/send")}, "to": {p.ids["Léa"]}, "amount": {"501"}, "pin": {"271828"}}
	res = p.sam.post(direct+"/send", over)
	wantStatus(t, "over the cap", res, http.StatusUnprocessableEntity)
	wantBody(t, "over the cap", res, "500", `value="501"`)
	if strings.Contains(res.body, over.Get("payment_id")) {
		t.Errorf("the refused payment id is offered again")
	}
	if got := p.app.cards.charges.Load(); got != 1 {
		t.Errorf("%d charges, want 1", got)
	}

	// French.
	wantStatus(t, "Léa speaks French", p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {direct}}), http.StatusSeeOther)
	wantBody(t, "Léa in French", p.lea.get(direct), "Sam a envoyé 20,00", "€ à Léa · Taxi")
}

// Send in a group thread: choose the person; every refusal is a sentence
// next to its field, a 4xx, and nothing is charged or written.
func TestSendRefusals(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", p.thread+"/send")
	form := p.sam.get(p.thread + "/send")
	wantBody(t, "group send form", form, `name="to"`, "Choose a person", "Olivia (payments not set up yet: the money will wait)",
		"Léa (payments not set up yet: the money will wait)")
	id := sendForm(t, p.sam, p.thread+"/send")
	base := url.Values{"payment_id": {id}, "to": {p.ids["Léa"]}, "amount": {"20"}, "note": {"Taxi"}, "pin": {"271828"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range base {
			f[kk] = append([]string(nil), vv...)
		}
		f.Set(k, v)
		return f
	}
	cases := []struct {
		what   string
		form   url.Values
		status int
		field  string
		says   string
	}{
		{"nobody chosen", with("to", ""), 422, "to", "Choose who gets the money."},
		{"zero", with("amount", "0"), 422, "amount", ""},
		{"negative", with("amount", "-5"), 422, "amount", ""},
		{"too many decimals", with("amount", "20.5555"), 422, "amount", "decimals"},
		{"not a number", with("amount", "twenty"), 422, "amount", ""},
		{"long note", with("note", strings.Repeat("x", 81)), 422, "note", "at most 80 characters"},
		{"yourself", with("to", p.ids["Sam"]), 422, "to", "You cannot pay yourself."},
	}
	for _, c := range cases {
		res := p.sam.post(p.thread+"/send", c.form)
		wantStatus(t, c.what, res, c.status)
		if c.field != "" {
			wantBody(t, c.what, res, `data-testid="problem-`+c.field+`"`)
		}
		if c.says != "" {
			wantBody(t, c.what, res, c.says)
		}
		wantBody(t, c.what+" keeps the note", res, `data-testid="send-form"`)
	}
	// Nobody outside the thread: a stranger's id is a 404.
	stranger := p.app.client()
	stranger.signup("Zoé", "zoe@example.com", "correct horse")
	var zoe string
	if err := p.app.store.SQL().Get(&zoe, `SELECT id FROM users WHERE display_name = 'Zoé'`); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "to a stranger", p.sam.post(p.thread+"/send", with("to", zoe)), http.StatusNotFound)
	wantStatus(t, "a stranger sends", stranger.post(p.thread+"/send", with("to", p.ids["Sam"])), http.StatusNotFound)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 0 {
		t.Errorf("%d card payments after refusals, want 0", n)
	}
	if n := p.count(t, `SELECT count(*) FROM messages WHERE kind = 'payment'`); n != 0 {
		t.Errorf("%d payment cards after refusals, want 0", n)
	}
	if got := p.app.cards.charges.Load(); got != 0 {
		t.Errorf("%d charges after refusals, want 0", got)
	}

	// In French, a refusal.
	wantStatus(t, "Sam speaks French", p.sam.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	res := p.sam.post(p.thread+"/send", with("to", p.ids["Sam"]))
	wantStatus(t, "vous-même", res, http.StatusUnprocessableEntity)
	wantBody(t, "vous-même", res, "Vous ne pouvez pas vous payer vous-même.")
}

// Someone without payments set up is led through setup and activation,
// and comes back to the Send form.
func TestSendLeadsThroughSetup(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	direct := p.openDirect(t, p.sam, "Léa")
	wantBody(t, "first send", p.sam.get(direct+"/send"), `data-testid="setup-form"`, `value="`+direct+`/send"`)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", direct+"/send")
	wantBody(t, "after setup", p.sam.get(direct+"/send"), `data-testid="send-form"`, "has not set up payments yet")
}

// Two submits of one form at once send once (the payment id is the
// idempotency key; the second waits or is told it is in progress).
func TestSendDoubleSubmit(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	id := sendForm(t, p.sam, direct+"/send")
	f := url.Values{"payment_id": {id}, "to": {p.ids["Léa"]}, "amount": {"12,50"}, "pin": {"271828"}}
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = p.sam.post(direct+"/send", f).status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != http.StatusSeeOther && s != http.StatusConflict {
			t.Errorf("submit %d: status %d", i, s)
		}
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 1 {
		t.Errorf("%d card payments, want 1", n)
	}
	if got := p.app.cards.charges.Load(); got != 1 {
		t.Errorf("%d charges, want 1", got)
	}
}
