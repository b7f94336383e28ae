package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"divvy/db/money"
)

// The collector's money: pending after a card payment, available once the
// provider settles, withdrawn to a bank with the PIN.
func TestMoneySettleAndWithdraw(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)

	page := p.org.get("/money")
	wantStatus(t, "money page", page, 200)
	wantBody(t, "pending", page, "€0.00", "€10.00 pending", "Card payment from Sam · Pizza night", `data-testid="money-setup"`,
		`hx-get="/money?live=1"`)
	wantBody(t, "Sam's history", p.sam.get("/money"), "-€10.00", "Card payment to Olivia · Pizza night")

	time.Sleep(1100 * time.Millisecond) // the test provider settles after 1 s
	posted, _, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10)
	if err != nil || posted != 1 {
		t.Fatalf("SettlePending = %d, %v; want 1 posted", posted, err)
	}
	settled := p.org.get("/money")
	wantBody(t, "settled", settled, "€10.00")
	if strings.Contains(settled.body, "€0.00 pending") || strings.Contains(settled.body, `hx-get="/money?live=1"`) {
		t.Errorf("the settled page still shows or polls pending money")
	}
	// The page that was open refreshes its figures: the refresh answers
	// with the settled balance and history.
	req, _ := http.NewRequest(http.MethodGet, p.app.srv.URL+"/money?live=1", nil)
	req.Header.Set("HX-Request", "true")
	live := p.org.do(req)
	wantStatus(t, "live refresh", live, 200)
	wantBody(t, "live refresh", live, `id="money-balances"`, `id="money-history" hx-swap-oob="true"`, "€10.00")
	if strings.Contains(live.body, "<html") || strings.Contains(live.body, "pending") {
		t.Errorf("the live refresh is not the settled fragment:\n%.500s", live.body)
	}

	// Withdrawing needs payment setup and its PIN.
	setupURL := "/payments/setup?next=/money"
	wantBody(t, "standalone setup", p.org.get(setupURL), `data-testid="setup-form"`)
	p.setupPayments(t, p.org, "Olivia", "4242 4242 4242 4242", "482916", setupURL)
	wantStatus(t, "setup done goes back", p.org.get(setupURL), http.StatusSeeOther)

	form := p.org.get("/money")
	m := regexp.MustCompile(`name="payout_id" value="([^"]+)"`).FindStringSubmatch(form.body)
	if m == nil {
		t.Fatalf("no withdraw form\n%.500s", form.body)
	}
	w := url.Values{"payout_id": {m[1]}, "currency": {"EUR"}, "amount": {"4"}, "iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"000000"}}
	wantStatus(t, "withdraw with a wrong PIN", p.org.post("/money/withdraw", w), http.StatusUnprocessableEntity)
	w.Set("pin", "482916")
	w.Set("amount", "40")
	res := p.org.post("/money/withdraw", w)
	wantStatus(t, "withdraw more than available", res, http.StatusUnprocessableEntity)
	w.Set("amount", "4")
	w.Set("payout_id", "payout-second-try-1")
	wantStatus(t, "withdraw", p.org.post("/money/withdraw", w), http.StatusSeeOther)
	wantStatus(t, "withdraw again (double submit)", p.org.post("/money/withdraw", w), http.StatusSeeOther)
	wantBody(t, "after withdrawal", p.org.get("/money"), "€6.00", "Withdrawal", "-€4.00")
	var n int
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'payout'`)
	if n != 1 {
		t.Errorf("%d payouts after a double submit; want 1", n)
	}
}

// The history pages past 50, and money paid another way is listed as
// outside the balance, without "No money yet" above it.
func TestMoneyHistoryPagesAndCash(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	shares := func() []string {
		var ids []string
		if err := p.app.store.SQL().Select(&ids, `SELECT s.id::text FROM shares s
			WHERE s.user_id <> (SELECT payee_id FROM splits WHERE id = s.split_id) ORDER BY s.id`); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for i := 0; i < 26; i++ {
		wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm(fmt.Sprintf("Round %d", i), "10", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	}
	for _, id := range shares() {
		var split, who string
		p.app.store.SQL().Get(&split, `SELECT split_id::text FROM shares WHERE id = $1`, id)
		p.app.store.SQL().Get(&who, `SELECT u.display_name FROM shares s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, id)
		c := p.sam
		if who == "Léa" {
			c = p.lea
		}
		path := p.thread + "/splits/" + split + "/shares/" + id
		wantStatus(t, "claim", c.post(path+"/cash", nil), http.StatusSeeOther)
		wantStatus(t, "confirm", p.org.post(path+"/confirm", nil), http.StatusSeeOther)
	}
	page := p.org.get("/money")
	wantBody(t, "money page", page, "Paid another way from Sam", "Paid outside Divvy: not in your balance", `data-testid="history-older"`)
	if strings.Contains(page.body, "No money yet") {
		t.Errorf("\"No money yet\" above the history of money paid another way")
	}
	if n := strings.Count(page.body, `data-testid="history-item"`); n != 50 {
		t.Errorf("first page lists %d transfers, want 50", n)
	}
	older := regexp.MustCompile(`href="(/money\?[^"]+)" data-testid="history-older"`).FindStringSubmatch(page.body)
	if older == nil {
		t.Fatal("no link to older transfers")
	}
	next := p.org.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	wantStatus(t, "older page", next, 200)
	if n := strings.Count(next.body, `data-testid="history-item"`); n != 2 {
		t.Errorf("second page lists %d transfers, want 2", n)
	}
	if strings.Contains(next.body, `data-testid="history-older"`) {
		t.Errorf("the last page links to older transfers")
	}
}

// A withdrawal is refused before anything is written when the typed amount
// names another currency than the form's, when the IBAN fails its mod-97
// check, or when the person's payments are not activated.
func TestWithdrawRefusedBeforeWriting(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	ctx := t.Context()
	org, _ := strconv.ParseInt(p.ids["Olivia"], 10, 64)
	sam, _ := strconv.ParseInt(p.ids["Sam"], 10, 64)
	for _, m := range []string{"20 EUR", "20 USD"} {
		amount, _ := money.Parse(m, "")
		for _, u := range []int64{org, sam} {
			if _, err := p.app.store.Deposit(ctx, "fund-"+strconv.FormatInt(u, 10)+"-"+amount.Currency, u, amount); err != nil {
				t.Fatal(err)
			}
		}
	}
	p.setupPayments(t, p.org, "Olivia", "4242 4242 4242 4242", "482916", "/payments/setup?next=/money")
	payouts := func() (n int) {
		t.Helper()
		if err := p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('payout', 'reversal')`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	w := url.Values{"payout_id": {"payout-refusals-1"}, "currency": {"EUR"}, "amount": {"1 USD"}, "iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"482916"}}
	res := p.org.post("/money/withdraw", w)
	wantStatus(t, "1 USD in a EUR withdrawal", res, http.StatusUnprocessableEntity)
	wantBody(t, "1 USD in a EUR withdrawal", res, "The amount is in USD but the withdrawal is in EUR")

	w.Set("amount", "1")
	w.Set("iban", "FR76 3000 6000 0112 3456 7890 188") // one digit off
	w.Set("payout_id", "payout-refusals-2")
	res = p.org.post("/money/withdraw", w)
	wantStatus(t, "an IBAN failing mod-97", res, http.StatusUnprocessableEntity)
	wantBody(t, "an IBAN failing mod-97", res, "This IBAN is not valid")
	if n := payouts(); n != 0 {
		t.Fatalf("%d payouts or reversals written for refused withdrawals; want none", n)
	}

	// Sam sets up payments but never types the activation code.
	res = p.sam.post("/payments/setup", url.Values{"legal_name": {"Sam"}, "contact": {"sam@example.com"},
		"card_number": {"4242 4242 4242 4242"}, "exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"}, "pin": {"271828"}, "pin_confirm": {"271828"}, "next": {payURL}})
	wantStatus(t, "setup without activation", res, http.StatusSeeOther)
	w = url.Values{"payout_id": {"payout-refusals-3"}, "currency": {"EUR"}, "amount": {"5"}, "iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"271828"}}
	res = p.sam.post("/money/withdraw", w)
	wantStatus(t, "withdraw without activated payments", res, http.StatusForbidden)
	wantBody(t, "withdraw without activated payments", res, "Withdrawing needs your payment setup")
	if n := payouts(); n != 0 {
		t.Fatalf("%d payouts or reversals written for refused withdrawals; want none", n)
	}
	if b, _ := p.app.store.Balance(ctx, sam, "EUR"); b.Available.String() != "20.00 EUR" {
		t.Errorf("Sam's balance after a refused withdrawal: %s", b.Available)
	}
}
