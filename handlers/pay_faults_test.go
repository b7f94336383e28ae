package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func (p *pizza) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := p.app.store.SQL().Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// A pay form loaded before the collector cancels the split is refused when
// posted after, before the card is charged (issue 12.2).
func TestPayAfterCancelIsRefused(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "cancel", p.org.post(split+"/cancel", nil), http.StatusSeeOther)

	res := p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "pay a cancelled split", res, http.StatusConflict)
	wantBody(t, "pay a cancelled split", res, "cancelled")
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 0 {
		t.Errorf("%d card payments on a cancelled split; want none", n)
	}
	if n := p.app.cards.charges.Load(); n != 0 {
		t.Errorf("the card was charged %d times; want none", n)
	}
}

// A cancel that lands while a payment is between its charge and its record
// gets the charge refunded and the payment refused: the split's state is
// checked again under its lock, in the transaction that records the money
// (issue 12.2).
func TestCancelDuringPaymentRefundsTheCharge(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	var cancel response
	p.app.cards.mu.Lock()
	p.app.cards.afterCharge = func() { cancel = p.org.post(split+"/cancel", nil) }
	p.app.cards.mu.Unlock()

	res := p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "cancel during the payment", cancel, http.StatusSeeOther)
	wantStatus(t, "payment racing a cancel", res, http.StatusConflict)
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 0 {
		t.Errorf("%d card payments recorded on a cancelled split; want none", n)
	}
	if c, r := p.app.cards.charges.Load(), p.app.cards.refunds.Load(); c != 1 || r != 1 {
		t.Errorf("%d charges, %d refunds; want the one charge refunded", c, r)
	}
	// The id stays refused, and says why.
	res = p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
	wantStatus(t, "the same form again", res, http.StatusConflict)
	if c := p.app.cards.charges.Load(); c != 1 {
		t.Errorf("%d charges after the retry; want 1", c)
	}
}

// Fifty rapid submits of one pay form with the right PIN: one payment, and
// the duplicates are told it is being processed, never that the PIN is
// wrong (issue 12.11).
func TestPayDoubleSubmitsAreNotWrongPINs(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)

	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[int]int{}
	var wrong atomic.Int64
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}})
			mu.Lock()
			got[res.status]++
			mu.Unlock()
			switch {
			case strings.Contains(res.body, "Wrong PIN") || strings.Contains(res.body, "wrong PIN"):
				wrong.Add(1)
			case res.status == http.StatusConflict && !strings.Contains(res.body, "This payment is already being processed"):
				t.Errorf("409 without saying the payment is being processed:\n%.400s", res.body)
			}
		}()
	}
	close(start)
	wg.Wait()
	// A 503 is a database out of connections (other tests share it): it
	// says nothing was paid, and does not blame the PIN either.
	if got[http.StatusSeeOther]+got[http.StatusConflict]+got[http.StatusServiceUnavailable] != n || got[http.StatusSeeOther] == 0 || wrong.Load() != 0 {
		t.Errorf("answers by status %v, %d blaming the PIN; want only 303 and 409 (in flight), none blaming the PIN", got, wrong.Load())
	}
	if c := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); c != 1 {
		t.Errorf("%d card payments; want 1", c)
	}
	// Nobody is locked out: the PIN still pays.
	if tries := p.count(t, `SELECT pin_attempts FROM payment_profiles WHERE user_id = $1`, p.ids["Sam"]); tries != 0 {
		t.Errorf("%d PIN tries counted after right PINs; want 0", tries)
	}
}

// The last payment of a split closes it in its own transaction: a process
// that dies right after the payment commits (here, a panic in the signal to
// live pages, which runs after commit) leaves the split closed, with its
// "All paid" message, and the form sent again finds it so (issue 13.2).
func TestLastPaymentClosesTheSplitWhateverHappensAfter(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, payURL := p.postSplit(t)
	var share string
	p.app.store.SQL().Get(&share, `SELECT id FROM shares WHERE user_id = $1`, p.ids["Léa"])
	wantStatus(t, "Léa claims cash", p.lea.post(split+"/shares/"+share+"/cash", nil), http.StatusSeeOther)
	wantStatus(t, "confirm Léa", p.org.post(split+"/shares/"+share+"/confirm", nil), http.StatusSeeOther)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)

	var armed atomic.Bool
	armed.Store(true)
	p.app.store.SetChangeHook(func(g int64) {
		if armed.CompareAndSwap(true, false) {
			panic(http.ErrAbortHandler) // the process dies here
		}
		p.app.broker.Signal(g)
	})
	req, _ := http.NewRequest(http.MethodPost, p.app.srv.URL+payURL, strings.NewReader(url.Values{"payment_id": {id}, "pin": {"271828"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.app.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if res, err := p.sam.hc.Do(req); err == nil {
		res.Body.Close()
	}
	if armed.Load() {
		t.Fatal("the payment never signalled a change")
	}
	wantStatus(t, "the form sent again", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	if c := p.count(t, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); c != 1 {
		t.Fatalf("%d card payments; want 1", c)
	}
	if n := p.count(t, `SELECT count(*) FROM splits WHERE status = 'complete'`); n != 1 {
		t.Errorf("the split paid in full is not closed")
	}
	if n := p.count(t, `SELECT count(*) FROM messages WHERE kind = 'system' AND data->>'event' = 'split_closed'`); n != 1 {
		t.Errorf("%d \"All paid\" messages; want 1", n)
	}
}
