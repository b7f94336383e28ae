package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
	"time"
)

// squatter is a stranger from another thread with payments set up and
// nothing to withdraw: each withdrawal they send is refused, and before ids
// had namespaces a refused id stayed failed for everyone.
type squatter struct {
	p *pizza
	c *client
}

func newSquatter(t *testing.T, p *pizza) *squatter {
	t.Helper()
	c := p.app.client()
	c.signup("Mallory", "mallory@example.com", "correct horse")
	c.newThread("Elsewhere")
	p.setupPayments(t, c, "Mallory", "4242 4242 4242 4242", "385172", "/payments/setup?next=/money")
	return &squatter{p: p, c: c}
}

// squat sends one refused withdrawal under id.
func (s *squatter) squat(t *testing.T, id string) {
	t.Helper()
	res := s.c.post("/money/withdraw", url.Values{"payout_id": {id}, "currency": {"EUR"}, "amount": {"1"},
		"iban": {"FR76 3000 6000 0112 3456 7890 189"}, "pin": {"385172"}})
	wantStatus(t, "withdrawal under "+id, res, http.StatusUnprocessableEntity)
}

// shareIDOf returns the id of name's share of the only split.
func (p *pizza) shareIDOf(t *testing.T, name string) string {
	t.Helper()
	var id string
	if err := p.app.store.SQL().Get(&id, `SELECT s.id FROM shares s JOIN users u ON u.id = s.user_id WHERE u.display_name = $1`, name); err != nil {
		t.Fatal(err)
	}
	return id
}

// cardPay pays Sam's share with card and returns the payment's ledger id.
func (p *pizza) cardPay(t *testing.T, payURL, card string) string {
	t.Helper()
	p.setupPayments(t, p.sam, "Sam", card, "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "Sam pays", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	var tid string
	if err := p.app.store.SQL().Get(&tid, `SELECT id FROM ledger_transfers WHERE kind = 'card_payment'`); err != nil {
		t.Fatal(err)
	}
	return tid
}

// A stranger's refused withdrawal under an id the server derives for a
// share (the cash mark, the refund and the reversal of a cancel) no longer
// blocks the collector.
func TestSquatShareIDs(t *testing.T) {
	t.Run("cash-share", func(t *testing.T) {
		p := newPizza(t)
		split, _ := p.postSplit(t)
		sam := p.shareIDOf(t, "Sam")
		newSquatter(t, p).squat(t, "cash-share-"+sam)
		wantStatus(t, "Sam claims cash", p.sam.post(split+"/shares/"+sam+"/cash", nil), http.StatusSeeOther)
		wantStatus(t, "Olivia confirms", p.org.post(split+"/shares/"+sam+"/confirm", nil), http.StatusSeeOther)
		if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'cash'`); n != 1 {
			t.Errorf("%d cash transfers; want 1", n)
		}
	})
	t.Run("refund-share", func(t *testing.T) {
		p := newPizza(t)
		split, payURL := p.postSplit(t)
		p.cardPay(t, payURL, "4242 4242 4242 4242")
		newSquatter(t, p).squat(t, "refund-share-"+p.shareIDOf(t, "Sam"))
		wantStatus(t, "Olivia cancels", p.org.post(split+"/cancel", nil), http.StatusSeeOther)
		if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'refund'`); n != 1 {
			t.Errorf("%d refunds after the cancel; want 1", n)
		}
	})
	t.Run("reverse-share", func(t *testing.T) {
		p := newPizza(t)
		split, _ := p.postSplit(t)
		lea := p.shareIDOf(t, "Léa")
		wantStatus(t, "Léa claims cash", p.lea.post(split+"/shares/"+lea+"/cash", nil), http.StatusSeeOther)
		wantStatus(t, "Olivia confirms", p.org.post(split+"/shares/"+lea+"/confirm", nil), http.StatusSeeOther)
		newSquatter(t, p).squat(t, "reverse-share-"+lea)
		wantStatus(t, "Olivia cancels", p.org.post(split+"/cancel", nil), http.StatusSeeOther)
		if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'reversal'`); n != 1 {
			t.Errorf("%d reversals after the cancel; want 1", n)
		}
	})
}

// A stranger who learnt a card payment's id (it travels in the thread's
// messages) cannot keep it pending forever by burning the id of its
// settlement or void.
func TestSquatSettlementIDs(t *testing.T) {
	for _, tc := range []struct {
		prefix, card, kind string
	}{
		{"settle:", "4242 4242 4242 4242", "settlement"},
		{"void:", "4000 0000 0000 0259", "void"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			p := newPizza(t)
			_, payURL := p.postSplit(t)
			pay := p.cardPay(t, payURL, tc.card)
			if !regexp.MustCompile(`^[A-Za-z0-9._:-]{1,57}$`).MatchString(pay) {
				t.Fatalf("payment id %q cannot travel in a form id", pay)
			}
			newSquatter(t, p).squat(t, tc.prefix+pay)
			time.Sleep(1100 * time.Millisecond) // the test provider settles after 1 s
			posted, voided, err := p.app.store.SettlePending(t.Context(), p.app.provider, 10)
			if err != nil || posted+voided != 1 {
				t.Fatalf("SettlePending = %d posted, %d voided, %v; want the payment resolved", posted, voided, err)
			}
			if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = '`+tc.kind+`'`); n != 1 {
				t.Errorf("%d %s transfers; want 1", n, tc.kind)
			}
		})
	}
}
