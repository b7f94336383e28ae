package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// postRequest: Sam asks Léa in their two-person thread; it returns the
// request's split path.
func postRequest(t *testing.T, p *pizza, direct, amount, note string) string {
	t.Helper()
	res := p.sam.post(direct+"/request", url.Values{"to": {p.ids["Léa"]}, "amount": {amount}, "note": {note}})
	wantStatus(t, "request", res, http.StatusSeeOther)
	m := regexp.MustCompile(`#split-(\d+)$`).FindStringSubmatch(res.header.Get("Location"))
	if m == nil {
		t.Fatalf("request went to %q", res.header.Get("Location"))
	}
	return direct + "/splits/" + m[1]
}

func TestRequestPaidWithPIN(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	form := p.sam.get(direct + "/request")
	wantBody(t, "request form", form, `data-testid="request-form"`, "From Léa", `data-testid="tab-request"`)
	if strings.Contains(form.body, `name="pin"`) {
		t.Errorf("the request form asks for a PIN")
	}
	events, _ := p.lea.openStream(t.Context(), p.app.srv.URL, direct, "")
	req := postRequest(t, p, direct, "12", "Pizza")
	for ev := next(t, events, "message", 5e9); !strings.Contains(ev.data, "request-card"); ev = next(t, events, "message", 5e9) {
	}
	lea := p.lea.get(direct)
	wantBody(t, "Léa's card", lea, `data-testid="request-card"`, "Sam asks Léa for €12.00", "Pizza", `data-testid="pay"`, `data-testid="decline"`)
	if strings.Contains(lea.body, `data-testid="cancel-request"`) {
		t.Errorf("Léa is offered to cancel Sam's request")
	}
	sam := p.sam.get(direct)
	wantBody(t, "Sam's card", sam, `data-testid="cancel-request"`, "Waiting for Léa")
	if strings.Contains(sam.body, `data-testid="decline"`) || strings.Contains(sam.body, `data-testid="pay"`) {
		t.Errorf("Sam is offered to pay or decline his own request")
	}

	id := payForm(t, p.lea, req+"/pay")
	res := p.lea.post(req+"/pay", url.Values{"payment_id": {id}, "pin": {"314159"}})
	wantStatus(t, "Léa pays", res, http.StatusSeeOther)
	// The card turns paid, live on Sam's... (and Léa's) page.
	for ev := next(t, events, "split", 5e9); !strings.Contains(ev.data, "Paid by Léa"); ev = next(t, events, "split", 5e9) {
	}
	wantBody(t, "Sam sees it paid", p.sam.get(direct), "Paid by Léa", "Léa paid €12.00")
	wantStatus(t, "pay again", p.lea.post(req+"/pay", url.Values{"payment_id": {payFormOrNone(p.lea, req+"/pay")}, "pin": {"314159"}}), http.StatusConflict)
	wantStatus(t, "decline once paid", p.lea.post(req+"/decline", nil), http.StatusConflict)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 1 {
		t.Errorf("%d card payments, want 1", n)
	}
	// A request paid says so once: its card and the payment, no "All paid".
	if n := p.count(t, `SELECT count(*) FROM messages WHERE data->>'event' = 'split_closed'`); n != 0 {
		t.Errorf("a paid request posted %d 'All paid' messages", n)
	}
	if strings.Contains(p.sam.get(direct).body, "All paid") {
		t.Errorf("Sam's thread says All paid after a request was paid")
	}
	// Both histories show it.
	wantBody(t, "Sam's history", p.sam.get("/money"), "€12.00")
	wantBody(t, "Léa's history", p.lea.get("/money"), "€12.00")
}

// payFormOrNone is a fresh payment id, whether or not the pay page still
// offers one (a paid share's page goes back to the thread).
func payFormOrNone(c *client, payURL string) string {
	m := regexp.MustCompile(`name="payment_id" value="([^"]+)"`).FindStringSubmatch(c.get(payURL).body)
	if m == nil {
		return "pay-after-paid-0001"
	}
	return m[1]
}

// Two pay forms of one request sent at once (two tabs): one payment.
func TestRequestPaidOnceUnderConcurrency(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	req := postRequest(t, p, direct, "15,50", "Taxi")
	ids := []string{payForm(t, p.lea, req+"/pay"), payForm(t, p.lea, req+"/pay"), payForm(t, p.lea, req+"/pay"), payForm(t, p.lea, req+"/pay")}
	var wg sync.WaitGroup
	statuses := make([]int, len(ids))
	start := make(chan struct{})
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = p.lea.post(req+"/pay", url.Values{"payment_id": {id}, "pin": {"314159"}}).status
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		switch s {
		case http.StatusSeeOther:
			ok++
		case http.StatusConflict, http.StatusServiceUnavailable:
			// Already paid, or the first payment's charge is being
			// checked: "try again in a minute".
		default:
			t.Errorf("pay %d: status %d", i, s)
		}
	}
	if ok != 1 {
		t.Errorf("%d payments went through, want 1 (statuses %v)", ok, statuses)
	}
	if n := p.count(t, `SELECT count(*) FROM share_payments p JOIN shares sh ON sh.id = p.share_id
		WHERE sh.split_id = $1 AND p.undone_by IS NULL`, regexp.MustCompile(`\d+$`).FindString(req)); n != 1 {
		t.Errorf("%d payments of the request, want 1 (statuses %v)", n, statuses)
	}
	charged, refunded := p.app.cards.charges.Load(), p.app.cards.refunds.Load()
	if charged-refunded != 1 {
		t.Errorf("%d charges, %d refunds: %d kept, want 1", charged, refunded, charged-refunded)
	}
	if n := p.count(t, `SELECT count(*) FROM messages WHERE kind = 'payment'`); n != 1 {
		t.Errorf("%d payment messages, want 1", n)
	}
}

func TestRequestDeclineAndCancel(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	req := postRequest(t, p, direct, "8", "")
	wantBody(t, "no note", p.lea.get(direct), "Sam asks Léa for €8.00", "Request")
	wantStatus(t, "Sam cannot decline his own", p.sam.post(req+"/decline", nil), http.StatusForbidden)
	wantStatus(t, "Léa declines", p.lea.post(req+"/decline", nil), http.StatusSeeOther)
	sam := p.sam.get(direct)
	wantBody(t, "Sam sees it declined", sam, "Léa declined", "Léa declined the request · Request")
	if strings.Contains(sam.body, `data-testid="cancel-request"`) {
		t.Errorf("a declined request offers Cancel")
	}
	wantStatus(t, "decline twice", p.lea.post(req+"/decline", nil), http.StatusConflict)
	res := p.lea.get(req + "/pay")
	if res.status == 200 && strings.Contains(res.body, `data-testid="pay-form"`) {
		t.Errorf("a declined request can be paid")
	}

	req2 := postRequest(t, p, direct, "9", "Cinema")
	wantStatus(t, "Léa cannot cancel Sam's request", p.lea.post(req2+"/cancel", nil), http.StatusForbidden)
	wantStatus(t, "Sam cancels", p.sam.post(req2+"/cancel", nil), http.StatusSeeOther)
	wantBody(t, "Léa sees it cancelled", p.lea.get(direct), "Cancelled")
	wantStatus(t, "decline a cancelled request", p.lea.post(req2+"/decline", nil), http.StatusConflict)

	// A split is not a request: it cannot be declined.
	f := url.Values{"title": {"Taxi"}, "total": {"20"}, "currency": {"EUR"}, "collector": {p.ids["Sam"]}, "mode": {"equal"},
		"people": {p.ids["Sam"], p.ids["Léa"]}}
	wantStatus(t, "a split", p.sam.post(direct+"/splits", f), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/(\d+)`).FindAllString(p.sam.get(direct).body, -1)
	last := split[len(split)-1]
	if last != req && last != req2 {
		wantStatus(t, "decline a split", p.lea.post(last+"/decline", nil), http.StatusUnprocessableEntity)
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('card_payment', 'cash')`); n != 0 {
		t.Errorf("%d transfers, want 0", n)
	}
}

func TestRequestRefusals(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	form := p.sam.get(p.thread + "/request")
	wantBody(t, "group request form", form, `name="to"`, "Choose a person", ">Léa<")
	base := url.Values{"to": {p.ids["Léa"]}, "amount": {"20"}, "note": {"Taxi"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range base {
			f[kk] = append([]string(nil), vv...)
		}
		f.Set(k, v)
		return f
	}
	for _, c := range []struct {
		what, field string
		form        url.Values
	}{
		{"nobody", "to", with("to", "")},
		{"zero", "amount", with("amount", "0")},
		{"negative", "amount", with("amount", "-3")},
		{"decimals", "amount", with("amount", "1.2345")},
		{"long note", "note", with("note", strings.Repeat("n", 81))},
		{"yourself", "to", with("to", p.ids["Sam"])},
	} {
		res := p.sam.post(p.thread+"/request", c.form)
		wantStatus(t, c.what, res, http.StatusUnprocessableEntity)
		wantBody(t, c.what, res, `data-testid="problem-`+c.field+`"`, `data-testid="request-form"`)
	}
	stranger := p.app.client()
	stranger.signup("Zoé", "zoe@example.com", "correct horse")
	var zoe string
	if err := p.app.store.SQL().Get(&zoe, `SELECT id FROM users WHERE display_name = 'Zoé'`); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "from a stranger", p.sam.post(p.thread+"/request", with("to", zoe)), http.StatusNotFound)
	if n := p.count(t, `SELECT count(*) FROM splits`); n != 0 {
		t.Errorf("%d splits after refusals, want 0", n)
	}
	// French.
	wantStatus(t, "Sam speaks French", p.sam.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	res := p.sam.post(p.thread+"/request", with("to", p.ids["Sam"]))
	wantStatus(t, "vous-même", res, http.StatusUnprocessableEntity)
	wantBody(t, "vous-même", res, "Vous ne pouvez pas vous demander de l’argent à vous-même.")
}

// A request is not a split: it cannot be edited into one.
func TestRequestNotEditable(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	req := postRequest(t, p, direct, "10", "Taxi")
	f := url.Values{"title": {"Taxi"}, "total": {"30"}, "currency": {"EUR"}, "collector": {p.ids["Sam"]}, "mode": {"equal"},
		"people": {p.ids["Sam"], p.ids["Léa"]}, "date": {time.Now().Format(time.DateOnly)}}
	res := p.sam.post(req+"/edit", f)
	wantStatus(t, "edit a request", res, http.StatusUnprocessableEntity)
	wantBody(t, "edit a request", res, "A request cannot be edited: cancel it and ask again.")
	wantBody(t, "still the request", p.lea.get(direct), "Sam asks Léa for €10.00")
}

// A request cancelled while it is being paid: whichever commits first, no
// money is kept for a cancelled request, a paid one stays paid, nobody
// gets a 500, and the ledger audits clean.
func TestRequestCancelledWhilePaid(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	for round := range 6 {
		req := postRequest(t, p, direct, "7", "Race")
		id := payForm(t, p.lea, req+"/pay")
		var wg sync.WaitGroup
		var pay, cancel int
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			pay = p.lea.post(req+"/pay", url.Values{"payment_id": {id}, "pin": {"314159"}}).status
		}()
		go func() {
			defer wg.Done()
			<-start
			// From at once to after the payment: both orders happen.
			time.Sleep(time.Duration(round*round) * 40 * time.Millisecond)
			cancel = p.sam.post(req+"/cancel", nil).status
		}()
		close(start)
		wg.Wait()
		if pay >= 500 || cancel >= 500 {
			t.Fatalf("round %d: pay %d, cancel %d", round, pay, cancel)
		}
		splitID := req[strings.LastIndex(req, "/")+1:]
		kept := p.count(t, `SELECT count(*) FROM share_payments sp JOIN shares sh ON sh.id = sp.share_id
			WHERE sh.split_id = $1 AND sp.undone_by IS NULL`, splitID)
		status := ""
		p.app.store.SQL().QueryRow(`SELECT status FROM splits WHERE id = $1`, splitID).Scan(&status)
		switch status {
		case "cancelled":
			if kept != 0 {
				t.Errorf("round %d: cancelled, with %d payments kept", round, kept)
			}
		case "complete":
			if kept != 1 || cancel == http.StatusSeeOther {
				t.Errorf("round %d: paid, %d payments kept, cancel answered %d", round, kept, cancel)
			}
		default:
			t.Errorf("round %d: request %s after pay %d and cancel %d", round, status, pay, cancel)
		}
		t.Logf("round %d: pay %d, cancel %d: %s", round, pay, cancel, status)
	}
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

// A request covered by a settle-up closes as paid, with no "All paid"
// message either.
func TestRequestCoveredBySettleUp(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	postRequest(t, p, direct, "12", "Pizza")
	settle := direct + "/settle?currency=EUR&to=" + p.ids["Sam"]
	id := payForm(t, p.lea, settle)
	form := url.Values{"payment_id": {id}, "pin": {"314159"}, "to": {p.ids["Sam"]}, "currency": {"EUR"}, "amount": {"12.00"}}
	wantStatus(t, "Léa settles up", p.lea.post(direct+"/settle", form), http.StatusSeeOther)
	if n := p.count(t, `SELECT count(*) FROM splits WHERE status = 'complete'`); n != 1 {
		t.Errorf("%d requests closed by the settle-up, want 1", n)
	}
	if n := p.count(t, `SELECT count(*) FROM messages WHERE data->>'event' = 'split_closed'`); n != 0 {
		t.Errorf("a request covered by a settle-up posted %d 'All paid' messages", n)
	}
}
