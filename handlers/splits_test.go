package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// pizzaThread: Olivia organizes, Sam and Léa join as guests.
type pizza struct {
	app           *testApp
	org, sam, lea *client
	thread        string
	ids           map[string]string // name -> user id
}

func newPizza(t *testing.T) *pizza { return newPizzaOn(t, newApp(t)) }

func newPizzaOn(t *testing.T, app *testApp) *pizza {
	p := &pizza{app: app, org: app.client(), ids: map[string]string{}}
	p.org.signup("Olivia", "olivia@example.com", "correct horse")
	p.thread = p.org.newThread("Pizza Friday")
	invite := p.org.inviteURL(p.thread)
	p.sam = app.joinAsGuest(invite, "Sam")
	p.lea = app.joinAsGuest(invite, "Léa")
	rows, err := app.store.SQL().Query(`SELECT display_name, id FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, id string
		rows.Scan(&name, &id)
		p.ids[name] = id
	}
	return p
}

func (p *pizza) splitForm(title, total, mode string, people ...string) url.Values {
	f := url.Values{"title": {title}, "total": {total}, "currency": {"EUR"}, "collector": {p.ids["Olivia"]}, "mode": {mode}}
	for _, name := range people {
		f.Add("people", p.ids[name])
	}
	return f
}

func TestSplitFormPreviewAndCreate(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	form := p.org.get(p.thread + "/splits/new")
	wantStatus(t, "split form", form, 200)
	wantBody(t, "split form", form, `data-testid="split-form"`, "Sam", "Léa", `value="EUR" selected`)

	// The preview is the allocation the save will use.
	f := p.splitForm("Pizza night", "47,50", "equal", "Olivia", "Sam", "Léa")
	f.Add("people", p.ids["Olivia"]) // a repeated box counts once
	prev := p.org.post(p.thread+"/splits/preview", f)
	wantStatus(t, "preview", prev, 200)
	wantBody(t, "preview", prev, "€15.84", "€15.83", "€47.50")

	bad := p.splitForm("", "47,5055 €", "equal", "Sam")
	res := p.org.post(p.thread+"/splits", bad)
	wantStatus(t, "bad split", res, http.StatusUnprocessableEntity)
	wantBody(t, "bad split", res, `data-testid="problem-title"`, `value="47,5055 €"`, "Too many decimals")

	exact := p.splitForm("Drinks", "30", "exact", "Olivia", "Sam", "Léa")
	exact.Set("value_"+p.ids["Olivia"], "10")
	exact.Set("value_"+p.ids["Sam"], "10")
	exact.Set("value_"+p.ids["Léa"], "7,50")
	res = p.org.post(p.thread+"/splits", exact)
	wantStatus(t, "exact amounts short", res, http.StatusUnprocessableEntity)
	wantBody(t, "exact amounts short", res, "€27.50", "€2.50 short", `value="7,50"`)

	res = p.org.post(p.thread+"/splits", f)
	wantStatus(t, "create split", res, http.StatusSeeOther)
	page := p.sam.get(p.thread)
	wantBody(t, "thread with split", page, `data-testid="split-card"`, "Pizza night", "0 of 2 paid", "Pay €15.83", "I paid another way")
	var sum string
	p.app.store.SQL().Get(&sum, `SELECT sum(amount)::text FROM shares`)
	if sum != "47.50" {
		t.Errorf("shares add up to %s, want 47.50", sum)
	}

	// French reader, French money.
	p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}})
	wantBody(t, "French card", p.lea.get(p.thread), "Payer 15,83\u00a0€", "0 sur 2 payé")
}

func TestSplitModes(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	percent := p.splitForm("Groceries", "100", "percent", "Olivia", "Sam", "Léa")
	percent.Set("value_"+p.ids["Olivia"], "50")
	percent.Set("value_"+p.ids["Sam"], "25%")
	percent.Set("value_"+p.ids["Léa"], "25")
	wantBody(t, "percent preview", p.org.post(p.thread+"/splits/preview", percent), "€50.00", "€25.00")

	shares := p.splitForm("Cabin", "90", "shares", "Olivia", "Sam", "Léa")
	shares.Set("value_"+p.ids["Sam"], "2")
	wantBody(t, "shares preview", p.org.post(p.thread+"/splits/preview", shares), "€22.50", "€45.00")

	items := p.splitForm("Dinner", "", "itemized", "Olivia", "Sam", "Léa")
	items.Set("item_name_0", "Pizza")
	items.Set("item_amount_0", "20")
	items["item_people_0"] = []string{p.ids["Sam"], p.ids["Léa"]}
	items.Set("item_name_1", "Wine")
	items.Set("item_amount_1", "10")
	items["item_people_1"] = []string{p.ids["Olivia"]}
	items.Set("tip", "10%")
	prev := p.org.post(p.thread+"/splits/preview", items)
	wantBody(t, "itemized preview", prev, "€11.00", "€33.00")

	items.Set("total", "40")
	prev = p.org.post(p.thread+"/splits/preview", items)
	wantBody(t, "itemized total mismatch", prev, `data-testid="preview-problem"`, "€7.00 short")
}

// Cash: the friend says they paid another way, the collector confirms; the
// ledger records it, the card counts it, and the last share closes the split.
func TestSplitCashRemindAndClose(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "30", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	shareOf := func(name string) string {
		var id string
		p.app.store.SQL().Get(&id, `SELECT s.id FROM shares s JOIN users u ON u.id = s.user_id WHERE u.display_name = $1`, name)
		return split + "/shares/" + id
	}

	// Only Sam may claim Sam's share; only the collector confirms.
	wantStatus(t, "Léa claims Sam's share", p.lea.post(shareOf("Sam")+"/cash", nil), http.StatusForbidden)
	wantStatus(t, "Sam claims cash", p.sam.post(shareOf("Sam")+"/cash", nil), http.StatusSeeOther)
	wantBody(t, "pending", p.org.get(p.thread), "paid another way, to confirm", "Confirm payment", "Sam says they paid €10.00 another way · Pizza night")
	// A claimed share waits for the collector's answer, not a reminder.
	if card := p.org.get(p.thread).body; regexp.MustCompile(`(?s)data-name="Sam".*?</li>`).MatchString(card) &&
		strings.Contains(regexp.MustCompile(`(?s)data-name="Sam".*?</li>`).FindString(card), `data-testid="remind"`) {
		t.Errorf("a share claimed as paid another way offers Remind")
	}
	wantStatus(t, "Sam confirms own cash", p.sam.post(shareOf("Sam")+"/confirm", nil), http.StatusForbidden)

	// Confirm twice at once (a double tap): one cash transfer.
	done := make(chan int, 2)
	for range 2 {
		go func() { done <- p.org.post(shareOf("Sam")+"/confirm", nil).status }()
	}
	<-done
	<-done
	var n int
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'cash'`)
	if n != 1 {
		t.Fatalf("%d cash transfers after a double confirm; want 1", n)
	}
	wantBody(t, "after confirm", p.org.get(p.thread), "1 of 2 paid", "Sam paid €10.00 another way")

	// Remind Léa: once per day.
	req, _ := http.NewRequest(http.MethodPost, p.app.srv.URL+shareOf("Léa")+"/remind", nil)
	req.Header.Set("HX-Request", "true")
	res := p.org.do(req)
	wantStatus(t, "remind", res, 200)
	wantBody(t, "remind answers with the card", res, `data-testid="split-card"`, "Reminded today",
		"Reminded in the thread only: this person left no email")
	wantBody(t, "notice after a reminder without JavaScript", p.org.get(p.thread+"?notice=remind.thread_only"), "Reminded in the thread only")
	if strings.Contains(p.org.get(p.thread+"?notice=home.title").body, `data-testid="notice"`) {
		t.Errorf("a link put words of its choosing on the thread page")
	}
	wantStatus(t, "remind again", p.org.post(shareOf("Léa")+"/remind", nil), http.StatusTooManyRequests)
	wantStatus(t, "Sam reminds", p.sam.post(shareOf("Léa")+"/remind", nil), http.StatusForbidden)
	wantBody(t, "reminder in thread", p.lea.get(p.thread), "Olivia reminded Léa: €10.00 for Pizza night")
	// Léa, a guest with no contact, gets no mail; the thread has it.
	var mails int
	p.app.store.SQL().Get(&mails, `SELECT count(*) FROM outbox WHERE kind = 'reminder'`)
	if mails != 0 {
		t.Errorf("%d reminder mails for a person without a contact", mails)
	}

	// Léa pays cash too: the split closes, once.
	p.lea.post(shareOf("Léa")+"/cash", nil)
	wantStatus(t, "confirm Léa", p.org.post(shareOf("Léa")+"/confirm", nil), http.StatusSeeOther)
	page := p.org.get(p.thread)
	p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}})
	wantBody(t, "French agreement", p.lea.get(p.thread), "2 sur 2 payés")
	wantBody(t, "closed", page, "2 of 2 paid", `data-testid="split-all-paid"`, "Pizza night: all paid")
	if strings.Count(page.body, "Pizza night: all paid") != 1 {
		t.Errorf("\"all paid\" posted %d times", strings.Count(page.body, "Pizza night: all paid"))
	}
	wantStatus(t, "claim on a closed split", p.sam.post(shareOf("Sam")+"/cash", nil), http.StatusConflict)

	// Cancelling gives the cash records back through reversing transfers.
	wantStatus(t, "cancel", p.org.post(split+"/cancel", nil), http.StatusSeeOther)
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'reversal'`)
	if n != 2 {
		t.Errorf("%d reversals after cancelling a split with 2 cash payments; want 2", n)
	}
	wantBody(t, "cancelled", p.org.get(p.thread), `data-testid="split-cancelled"`)
}

// Splits, shares and their actions are invisible outside the thread.
func TestSplitRoutesHideFromNonMembers(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "30", "equal", "Olivia", "Sam"))
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	var share string
	p.app.store.SQL().Get(&share, `SELECT id FROM shares WHERE user_id = $1`, p.ids["Sam"])

	eve := p.app.client()
	eve.signup("Eve", "eve@example.com", "correct horse")
	other := eve.newThread("Eve's")
	for _, path := range []string{split, split + "/card", split + "/qr.svg", p.thread + "/splits/new"} {
		wantStatus(t, "stranger GET "+path, eve.get(path), http.StatusNotFound)
	}
	for _, path := range []string{split + "/cancel", split + "/shares/" + share + "/cash", split + "/shares/" + share + "/confirm",
		split + "/shares/" + share + "/remind", p.thread + "/splits"} {
		wantStatus(t, "stranger POST "+path, eve.post(path, nil), http.StatusNotFound)
	}
	// A real split id under Eve's own thread is not found either.
	cross := other + split[strings.Index(split, "/splits"):]
	wantStatus(t, "split through another thread", eve.get(cross), http.StatusNotFound)
	wantStatus(t, "share through another thread", eve.post(cross+"/shares/"+share+"/cash", nil), http.StatusNotFound)
	// Sam is a member but not the collector.
	wantStatus(t, "member cancels", p.sam.post(split+"/cancel", nil), http.StatusForbidden)
}
