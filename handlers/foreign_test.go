package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"divvy/db"
)

// ecbDay is a day of the ECB's eurofxref-daily.xml, cut short.
const ecbDay = `<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
	<Cube><Cube time='2026-11-27'><Cube currency='USD' rate='1.0512'/><Cube currency='JPY' rate='158.31'/></Cube></Cube>
</gesmes:Envelope>`

func (p *pizza) loadRates(t *testing.T) {
	t.Helper()
	asOf, rates, err := db.ParseECBRates(strings.NewReader(ecbDay))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.app.store.SetRates(t.Context(), "ecb", asOf, rates); err != nil {
		t.Fatal(err)
	}
}

// A split paid in yen is entered in the thread's euros: choosing the yen
// prefills the reference rate (and says whose), the total is the amount at
// the rate typed, in decimal, and the split keeps what was paid and the
// rate: "¥5,000 at 0.0061 = €30.50".
func TestSplitInAnotherCurrency(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	p.loadRates(t)
	f := p.splitForm("Ramen", "", "equal", "Olivia", "Sam")
	f.Set("orig_amount", "5 000")
	f.Set("orig_currency", "JPY")
	prev := p.org.post(p.thread+"/splits/preview", f)
	wantStatus(t, "preview", prev, 200)
	// 1 / 158.31 to 6 significant digits; 5 000 of it is 31.5836.
	wantBody(t, "preview", prev, `id="rate-field" hx-swap-oob="true"`, `value="0.00631672"`, `name="rate_for" value="JPY"`,
		"European Central Bank, November 27, 2026", "¥5,000 at 0.00631672 = €31.58")

	// The rate typed for the yen is kept, not prefilled again.
	f.Set("rate", "0.0061")
	f.Set("rate_for", "JPY")
	prev = p.org.post(p.thread+"/splits/preview", f)
	wantBody(t, "preview at the typed rate", prev, "¥5,000 at 0.0061 = €30.50", "€15.25")
	if strings.Contains(prev.body, "hx-swap-oob") {
		t.Errorf("the typed rate was replaced")
	}
	wantStatus(t, "create", p.org.post(p.thread+"/splits", f), http.StatusSeeOther)
	var orig, cur, rate, total string
	if err := p.app.store.SQL().QueryRow(`SELECT original_amount, original_currency, rate, to_char(total, 'FM990.00') FROM splits`).Scan(&orig, &cur, &rate, &total); err != nil {
		t.Fatal(err)
	}
	if orig != "5000" || cur != "JPY" || rate != "0.0061" || total != "30.50" {
		t.Errorf("stored %s %s at %s = %s; want 5000 JPY at 0.0061 = 30.50", orig, cur, rate, total)
	}
	wantBody(t, "the card", p.sam.get(p.thread), `data-testid="split-converted"`, "¥5,000 at 0.0061 = €30.50", "Pay €15.25")

	// Edited to another rate: the history says so.
	var id string
	p.app.store.SQL().Get(&id, `SELECT id FROM splits`)
	split := p.thread + "/splits/" + id
	wantBody(t, "edit form", p.org.get(split+"/edit"), `name="orig_amount" type="text" value="5 000"`, `value="0.0061"`, `<details class="foreign" open`)
	f.Set("rate", "0.0062")
	f.Set("date", time.Now().Format(time.DateOnly))
	wantStatus(t, "edit the rate", p.org.post(split+"/edit", f), http.StatusSeeOther)
	wantBody(t, "edited", p.org.get(split), "¥5,000 at 0.0062 = €31.00", "Paid as ¥5,000 at 0.0062", "Total: €30.50 → €31.00")
}

// Without reference rates the rate field is empty and required; a bad rate
// or the split's own currency is said next to its field, in French too;
// nothing is saved.
func TestSplitInAnotherCurrencyRefusals(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	f := p.splitForm("Ramen", "", "equal", "Olivia", "Sam")
	f.Set("orig_amount", "5000")
	f.Set("orig_currency", "JPY")
	prev := p.org.post(p.thread+"/splits/preview", f)
	wantBody(t, "no rates", prev, `name="rate" type="text" value=""`, "No reference rate is known for JPY")
	res := p.org.post(p.thread+"/splits", f)
	wantStatus(t, "no rate", res, http.StatusUnprocessableEntity)
	wantBody(t, "no rate", res, `data-testid="problem-rate"`, "Type the exchange rate.", `value="5000"`)

	f.Set("rate", "-2")
	f.Set("rate_for", "JPY")
	res = p.org.post(p.thread+"/splits", f)
	wantStatus(t, "negative rate", res, http.StatusUnprocessableEntity)
	wantBody(t, "negative rate", res, `data-testid="problem-rate"`, "The rate is a positive number")

	f.Set("orig_currency", "EUR")
	res = p.org.post(p.thread+"/splits", f)
	wantStatus(t, "same currency", res, http.StatusUnprocessableEntity)
	wantBody(t, "same currency", res, `data-testid="problem-orig_currency"`, "the split’s own currency")

	f.Set("orig_currency", "JPY")
	f.Set("rate", "0.0000001")
	res = p.org.post(p.thread+"/splits", f)
	wantStatus(t, "rounds to nothing", res, http.StatusUnprocessableEntity)
	wantBody(t, "rounds to nothing", res, `data-testid="problem-orig_amount"`, "the total is zero")

	if _, err := p.app.store.SQL().Exec(`UPDATE users SET locale = 'fr' WHERE display_name = 'Olivia'`); err != nil {
		t.Fatal(err)
	}
	f.Set("rate", "")
	res = p.org.post(p.thread+"/splits", f)
	wantStatus(t, "no rate, in French", res, http.StatusUnprocessableEntity)
	wantBody(t, "no rate, in French", res, "Saisissez le taux de change.")
	if n := p.count(t, `SELECT count(*) FROM splits`); n != 0 {
		t.Errorf("%d splits saved", n)
	}
}
