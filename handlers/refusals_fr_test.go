package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/views"
)

// paris is the time zone the French browsers of these tests report.
const paris = "Europe/Paris"

// frenchPizza is the pizza thread with Sam and Léa on French browsers in
// Paris (Accept-Language fr, the time zone cookie app.js sets); Olivia,
// who collects, reads English.
func frenchPizza(t *testing.T) *pizza {
	t.Helper()
	app := newApp(t)
	p := &pizza{app: app, org: app.client(), ids: map[string]string{}}
	p.org.signup("Olivia", "olivia@example.com", "correct horse")
	p.thread = p.org.newThread("Pizza Friday")
	invite := p.org.inviteURL(p.thread)
	join := func(name string) *client {
		c := app.client()
		c.lang = "fr-FR,fr;q=0.9,en;q=0.5"
		u, _ := url.Parse(app.srv.URL)
		c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "divvy-tz", Value: paris}})
		wantStatus(t, "open invite", c.get(invite), 200)
		wantStatus(t, "join "+name, c.post(invite, url.Values{"name": {name}}), http.StatusSeeOther)
		return c
	}
	p.sam, p.lea = join("Sam"), join("Léa")
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

// inParis is a French reader's context in Paris, to word expected times.
func inParis(t *testing.T) context.Context {
	t.Helper()
	loc, err := time.LoadLocation(paris)
	if err != nil {
		t.Fatal(err)
	}
	return views.WithZone(views.WithLocale(context.Background(), "fr"), loc)
}

func wantFrench(t *testing.T, what string, res response, status int, parts ...string) {
	t.Helper()
	wantStatus(t, what, res, status)
	wantBody(t, what, res, append([]string{`<html lang="fr"`}, parts...)...)
}

func setLimits(t *testing.T, p *pizza, per, rolling int64) {
	t.Helper()
	if err := p.app.store.SetLimits(t.Context(), db.Limits{
		PerTransfer: map[string]decimal.Decimal{"EUR": decimal.NewFromInt(per)},
		Rolling30:   map[string]decimal.Decimal{"EUR": decimal.NewFromInt(rolling)}}); err != nil {
		t.Fatal(err)
	}
}

func TestFrenchRefusalCapPerPayment(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	_, payURL := p.postSplit(t)
	setLimits(t, p, 5, 50)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	res := p.sam.post(payURL, url.Values{"payment_id": {payForm(t, p.sam, payURL)}, "pin": {"271828"}})
	wantFrench(t, "over the per-payment cap", res, http.StatusUnprocessableEntity,
		"Les paiements par carte sont limités à 5,00\u00a0€ chacun ; celui-ci est de 10,00\u00a0€.")
}

func TestFrenchRefusalCap30Days(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	_, first := p.postSplit(t)
	second := p.postAnotherSplit(t, "Drinks")
	setLimits(t, p, 50, 15)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", first)
	wantStatus(t, "first payment", p.sam.post(first, url.Values{"payment_id": {payForm(t, p.sam, first)}, "pin": {"271828"}}), http.StatusSeeOther)
	var paid time.Time
	if err := p.app.store.SQL().Get(&paid, `SELECT created_at FROM ledger_transfers WHERE kind = 'card_payment'`); err != nil {
		t.Fatal(err)
	}
	frees := views.DateTime(inParis(t), paid.Add(30*24*time.Hour))
	res := p.sam.post(second, url.Values{"payment_id": {payForm(t, p.sam, second)}, "pin": {"271828"}})
	wantFrench(t, "over the 30-day cap", res, http.StatusUnprocessableEntity,
		"limités à 15,00\u00a0€ sur 30 jours ; 10,00\u00a0€ ont été payés ces 30 derniers jours",
		"Ce paiement sera possible à partir du "+frees+".")
	if !strings.Contains(frees, " à ") || strings.ContainsAny(frees, "APM") {
		t.Errorf("the date %q is not in French form", frees)
	}
}

func TestFrenchRefusalWrongPIN(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wrong := func() response { return p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"000001"}}) }
	wantFrench(t, "first wrong PIN", wrong(), http.StatusUnprocessableEntity, "Code PIN erroné, 4 essais restants.")
	wrong()
	wantFrench(t, "third wrong PIN", wrong(), http.StatusUnprocessableEntity, "Code PIN erroné, 2 essais restants.")
	wantFrench(t, "fourth wrong PIN", wrong(), http.StatusUnprocessableEntity, "Code PIN erroné, 1 essai restant.")
}

func TestFrenchRefusalLockedPIN(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	for range 4 {
		p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"000001"}})
	}
	last := p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"000001"}})
	var sam int64
	p.app.store.SQL().Get(&sam, `SELECT id FROM users WHERE display_name = 'Sam'`)
	_, until, err := p.app.store.PINStatus(t.Context(), sam)
	if err != nil || until.IsZero() {
		t.Fatalf("payments not locked after five wrong PINs: %v, %v", until, err)
	}
	clock := views.Clock(inParis(t), until)
	wantFrench(t, "fifth wrong PIN", last, http.StatusUnprocessableEntity,
		"C’était le dernier essai : les paiements sont bloqués pendant 15 minutes (jusqu’à "+clock+").")
	res := p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantFrench(t, "right PIN while locked", res, http.StatusTooManyRequests,
		"Trop de codes PIN erronés : les paiements sont bloqués encore 15 minutes (jusqu’à "+clock+").")
}

func TestFrenchRefusalDeclinedCard(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.lea, "Lea", "4000 0000 0000 0002", "314159", payURL)
	res := p.lea.post(payURL, url.Values{"payment_id": {payForm(t, p.lea, payURL)}, "pin": {"314159"}})
	wantFrench(t, "declined", res, http.StatusPaymentRequired,
		"Votre carte a été refusée. Rien n’a été débité ; essayez une autre carte.")
}

func TestFrenchRefusalInsufficientFunds(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.lea, "Lea", "4000 0000 0000 9995", "314159", payURL)
	res := p.lea.post(payURL, url.Values{"payment_id": {payForm(t, p.lea, payURL)}, "pin": {"314159"}})
	wantFrench(t, "insufficient funds", res, http.StatusPaymentRequired,
		"Votre carte a été refusée pour provision insuffisante. Rien n’a été débité ; essayez une autre carte.")
}

func TestFrenchRefusalSplitCancelled(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	split, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "cancel", p.org.post(split+"/cancel", nil), http.StatusSeeOther)
	res := p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantFrench(t, "pay into a cancelled split", res, http.StatusConflict, "Ce partage a été annulé.")
	var n int
	p.app.store.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`)
	if n != 0 {
		t.Errorf("%d card payments into a cancelled split; want none", n)
	}
}

func TestFrenchRefusalAlreadyPaid(t *testing.T) {
	t.Parallel()
	p := frenchPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {payForm(t, p.sam, payURL)}, "pin": {"271828"}}), http.StatusSeeOther)
	res := p.sam.post(payURL, url.Values{"payment_id": {"pay-another-one-123"}, "pin": {"271828"}})
	wantFrench(t, "pay a paid share", res, http.StatusConflict, "Cette part est déjà payée.")
}

// postAnotherSplit posts a second split and returns its pay URL.
func (p *pizza) postAnotherSplit(t *testing.T, title string) string {
	t.Helper()
	wantStatus(t, "create "+title, p.org.post(p.thread+"/splits", p.splitForm(title, "30", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	var id, thread int64
	if err := p.app.store.SQL().QueryRow(`SELECT id, group_id FROM splits WHERE title = $1`, title).Scan(&id, &thread); err != nil {
		t.Fatal(err)
	}
	return "/threads/" + strconv.FormatInt(thread, 10) + "/splits/" + strconv.FormatInt(id, 10) + "/pay"
}
