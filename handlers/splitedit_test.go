package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// editForm is the edit form of the pizza split as posted: equal between
// the people named, the title and total given.
func (p *pizza) editForm(title, total string, people ...string) url.Values {
	f := p.splitForm(title, total, "equal", people...)
	f.Set("date", time.Now().Format(time.DateOnly))
	return f
}

// Before anyone paid, the collector edits title, total and people; the
// thread says so, the page keeps the history; a friend may not edit.
func TestSplitEditBeforeMoney(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, _ := p.postSplit(t)
	page := p.org.get(split)
	wantBody(t, "split page", page, `data-testid="edit-split"`, `href="`+split+`/edit"`, `data-testid="split-history"`, "Posted by Olivia")
	form := p.org.get(split + "/edit")
	wantStatus(t, "edit form", form, 200)
	wantBody(t, "edit form", form, "Edit the split", `value="Pizza night"`, `value="30.00"`, "Save changes",
		`data-testid="delete-split"`, `href="`+split+`/cancel"`, `data-testid="edit-currency"`)
	if s := p.sam.get(split); s.status != 200 || strings.Contains(s.body, `data-testid="edit-split"`) {
		t.Errorf("Sam is offered to edit the split")
	}
	wantStatus(t, "Sam opens the edit form", p.sam.get(split+"/edit"), http.StatusForbidden)
	wantStatus(t, "Sam posts an edit", p.sam.post(split+"/edit", p.editForm("Mine", "1", "Sam")), http.StatusForbidden)

	f := p.editForm("Pizza & wine", "36", "Olivia", "Sam", "Léa")
	f.Set("note", "Wine was extra")
	wantStatus(t, "edit", p.org.post(split+"/edit", f), http.StatusSeeOther)
	page = p.org.get(split)
	wantBody(t, "edited split", page, "Pizza &amp; wine", "€12.00", "Wine was extra", `data-testid="history-entry"`,
		"Title: Pizza night → Pizza &amp; wine", "Total: €30.00 → €36.00", "Sam: €10.00 → €12.00", "Note changed")
	wantBody(t, "notice", p.org.get(split+"?notice=split.edit_saved"), "Changes saved.")
	wantBody(t, "thread", p.sam.get(p.thread), "Olivia changed Pizza &amp; wine: €30.00 → €36.00", "Pay €12.00")

	// Léa out, before anyone paid: gone from the split.
	wantStatus(t, "take Léa out", p.org.post(split+"/edit", p.editForm("Pizza & wine", "36", "Olivia", "Sam")), http.StatusSeeOther)
	wantBody(t, "Léa out", p.org.get(split), "Léa taken out (was €12.00)", "€18.00")
	if n := p.count(t, `SELECT count(*) FROM shares`); n != 2 {
		t.Errorf("%d share rows; want 2", n)
	}
}

// Bad edits are shown again with the sentence next to the field, in the
// reader's language, with a 4xx, and change nothing.
func TestSplitEditBadInput(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, _ := p.postSplit(t)
	unchanged := func(what string) {
		t.Helper()
		if n := p.count(t, `SELECT count(*) FROM split_edits`); n != 0 {
			t.Errorf("%s: %d edits recorded", what, n)
		}
		if n := p.count(t, `SELECT count(*) FROM splits WHERE title = 'Pizza night' AND total = 30`); n != 1 {
			t.Errorf("%s: the split changed", what)
		}
	}
	exact := p.splitForm("Pizza night", "30", "exact", "Olivia", "Sam", "Léa")
	exact.Set("value_"+p.ids["Olivia"], "10")
	exact.Set("value_"+p.ids["Sam"], "10")
	exact.Set("value_"+p.ids["Léa"], "5")
	res := p.org.post(split+"/edit", exact)
	wantStatus(t, "amounts short", res, http.StatusUnprocessableEntity)
	wantBody(t, "amounts short", res, "€5.00 short", `value="5"`, "Edit the split")
	unchanged("amounts short")

	stranger := p.editForm("Pizza night", "30", "Olivia", "Sam")
	stranger.Add("people", "999999")
	res = p.org.post(split+"/edit", stranger)
	wantStatus(t, "a stranger", res, http.StatusUnprocessableEntity)
	wantBody(t, "a stranger", res, `data-testid="problem-people"`, "Everyone in the split must be in the thread.")
	unchanged("a stranger")

	res = p.org.post(split+"/edit", p.editForm("", "30", "Olivia", "Sam", "Léa"))
	wantStatus(t, "no title", res, http.StatusUnprocessableEntity)
	wantBody(t, "no title", res, `data-testid="problem-title"`)
	unchanged("no title")

	other := p.editForm("Pizza night", "30", "Olivia", "Sam", "Léa")
	other.Set("currency", "USD")
	res = p.org.post(split+"/edit", other)
	wantStatus(t, "another currency", res, http.StatusUnprocessableEntity)
	wantBody(t, "another currency", res, `data-testid="problem-total"`, "The currency of a split stays EUR.")
	unchanged("another currency")

	if _, err := p.app.store.SQL().Exec(`UPDATE users SET locale = 'fr' WHERE display_name = 'Olivia'`); err != nil {
		t.Fatal(err)
	}
	res = p.org.post(split+"/edit", exact)
	wantStatus(t, "amounts short, in French", res, http.StatusUnprocessableEntity)
	wantBody(t, "amounts short, in French", res, "Modifier le partage", "manque")
	res = p.org.post(split+"/edit", stranger)
	wantBody(t, "a stranger, in French", res, "Toutes les personnes du partage doivent faire partie du fil.")
	unchanged("in French")
}

// After Sam paid, an edit that changes his share refunds his card payment
// and asks for the new amount; a title edit leaves it alone. Once the
// collector withdrew the money, such an edit is refused next to the total,
// with a 409, and nothing changes.
func TestSplitEditAfterPayment(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	pay := func() {
		t.Helper()
		id := payForm(t, p.sam, payURL)
		wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	}
	pay()
	wantBody(t, "edit form after a payment", p.org.get(split+"/edit"), `data-testid="edit-money-moved"`)

	wantStatus(t, "rename", p.org.post(split+"/edit", p.editForm("Pizza!", "30", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'refund'`); n != 0 {
		t.Fatalf("a new title refunded %d payments", n)
	}
	wantBody(t, "renamed", p.sam.get(p.thread), "Olivia renamed Pizza night to Pizza!", "1 of 2 paid")

	// Sam's share grows: the payment stays, only the difference is asked.
	wantStatus(t, "grow", p.org.post(split+"/edit", p.editForm("Pizza!", "36", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'part_refund')`); n != 0 {
		t.Fatalf("%d refunds after Sam's share grew; want none", n)
	}
	wantBody(t, "asked the difference", p.sam.get(p.thread), "Pay €2.00", "0 of 2 paid", "Olivia changed Pizza!: €30.00 → €36.00",
		"Sam has €2.00 left to pay · Pizza!", "paid €10.00, €2.00 left")
	wantBody(t, "history", p.org.get(split), "Sam: €10.00 → €12.00")
	wantBody(t, "pay page", p.sam.get(payURL), "€2.00")

	// The difference paid, settled and withdrawn: shrinking it back cannot
	// refund it.
	pay()
	wantBody(t, "paid in full", p.sam.get(p.thread), "1 of 2 paid")
	time.Sleep(1100 * time.Millisecond) // the test provider settles after 1 s
	if _, _, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10); err != nil {
		t.Fatal(err)
	}
	p.setupPayments(t, p.org, "Olivia", "4242 4242 4242 4242", "482916", "/payments/setup?next=/money")
	w := url.Values{"payout_id": {"payout-edit-test"}, "currency": {"EUR"}, "amount": {"12"}, "iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"482916"}}
	wantStatus(t, "withdraw", p.org.post("/money/withdraw", w), http.StatusSeeOther)
	edits := p.count(t, `SELECT count(*) FROM split_edits`)
	res := p.org.post(split+"/edit", p.editForm("Pizza!", "30", "Olivia", "Sam", "Léa"))
	wantStatus(t, "shrink after the withdrawal", res, http.StatusConflict)
	wantBody(t, "shrink after the withdrawal", res, `data-testid="problem-total"`, "no longer holds", `value="30"`)
	if n := p.count(t, `SELECT count(*) FROM split_edits`); n != edits {
		t.Errorf("a refused edit was recorded")
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'part_refund')`); n != 0 {
		t.Errorf("%d refunds after a refused edit; want none", n)
	}
	wantBody(t, "still 36", p.org.get(split), "€36.00")
}

// The thread's message about an edit is worded for each reader: French
// amounts for French readers.
func TestSplitEditMessageInFrench(t *testing.T) {
	p := frenchPizza(t)
	t.Parallel()
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Soirée pizza", "47,50", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	var id string
	p.app.store.SQL().Get(&id, `SELECT id FROM splits`)
	split := p.thread + "/splits/" + id
	wantStatus(t, "edit", p.org.post(split+"/edit", p.editForm("Soirée pizza", "52", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	wantBody(t, "French", p.sam.get(p.thread), "Olivia a modifié Soirée pizza : 47,50\u00a0€ → 52,00\u00a0€")
	wantBody(t, "English", p.org.get(p.thread), "Olivia changed Soirée pizza: €47.50 → €52.00")
}

// A paid share lowered by an edit stays paid and only the difference goes
// back to the card: the thread says so to each reader in their language,
// the split still counts the share as paid.
func TestSplitEditLowersPaidShare(t *testing.T) {
	p := frenchPizza(t)
	t.Parallel()
	split, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)

	wantStatus(t, "lower", p.org.post(split+"/edit", p.editForm("Pizza night", "24", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'refund'`); n != 0 {
		t.Errorf("%d payments refunded whole; only the difference goes back", n)
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'part_refund' AND amount = 2`); n != 1 {
		t.Errorf("%d partial refunds of 2.00; want 1", n)
	}
	wantBody(t, "English", p.org.get(p.thread), "Olivia changed Pizza night: €30.00 → €24.00", "€2.00 refunded to Sam · Pizza night", "1 of 2 paid")
	wantBody(t, "French", p.sam.get(p.thread), "Olivia a modifié Pizza night : 30,00\u00a0€ → 24,00\u00a0€",
		"2,00\u00a0€ remboursés à Sam · Pizza night", "1 sur 2")
}
