package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/sandbox"
)

func balances(t testing.TB, d *db.DB, user int64) (available, pending string) {
	t.Helper()
	b, err := d.Balance(context.Background(), user, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return b.Available.String(), b.Pending.String()
}

// A card payment is pending until the provider settles it; then it is
// posted once, however many workers settle at the same time.
func TestCardPaymentSettlesOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	// Long enough that the payments below are made well within it, even
	// on a busy machine.
	const delay = 3 * time.Second
	p := newSandbox(t, delay)
	u := users(t, d, 4)
	tok := card(t, p, "4242 4242 4242 4242")
	const n = 6
	_, _, first := newSplit(t, d, u[0], u[1:4], "10")
	_, _, second := newSplit(t, d, u[0], u[1:4], "10")
	shares := append(first, second...)
	start := time.Now()
	for i := range n {
		tr, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1+i%3], CollectorID: u[0], Amount: eur("10"), Token: tok, ShareID: shares[i]})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Kind != db.TransferCardPayment || !strings.HasPrefix(tr.ProviderRef, "ch_") {
			t.Fatalf("payment = %+v", tr)
		}
	}
	if a, pe := balances(t, d, u[0]); a != "0.00 EUR" || pe != "60.00 EUR" {
		t.Fatalf("collector: available %s, pending %s; want 0 and 60", a, pe)
	}
	// Nothing settles before the delay: checkable only while the first
	// payment is still within it (a saturated machine can take longer
	// than the delay to make the six).
	if time.Since(start) < delay-200*time.Millisecond {
		if posted, voided, err := d.SettlePending(ctx, p, 100); err != nil || posted+voided != 0 {
			t.Fatalf("settle before the delay: %d posted, %d voided, %v", posted, voided, err)
		}
	} else {
		t.Logf("the payments took %v, longer than the delay: the before-the-delay check is skipped", time.Since(start))
	}
	// After the delay and the first back-off (half a second), two workers
	// settle at once.
	time.Sleep(delay + 700*time.Millisecond)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 2 {
		wg.Go(func() {
			posted, voided, err := d.SettlePending(ctx, p, 100)
			if err != nil || voided != 0 {
				t.Errorf("settle: %d voided, %v", voided, err)
			}
			mu.Lock()
			total += posted
			mu.Unlock()
		})
	}
	wg.Wait()
	if total != n {
		t.Fatalf("posted %d, want %d", total, n)
	}
	if posted, voided, err := d.SettlePending(ctx, p, 100); err != nil || posted+voided != 0 {
		t.Fatalf("settle again: %d posted, %d voided, %v", posted, voided, err)
	}
	if a, pe := balances(t, d, u[0]); a != "60.00 EUR" || pe != "0.00 EUR" {
		t.Fatalf("collector: available %s, pending %s; want 60 and 0", a, pe)
	}
	var settlements int
	d.SQL().Get(&settlements, `SELECT count(*) FROM ledger_transfers WHERE kind = 'settlement'`)
	if settlements != n {
		t.Errorf("%d settlements, want %d", settlements, n)
	}
	auditClean(t, d)
}

// A charge that fails to settle is voided: the money goes back to the card.
func TestCardPaymentVoided(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, 0)
	u := users(t, d, 2)
	tr, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("12.5"), Token: card(t, p, "4000000000000259")})
	if err != nil {
		t.Fatal(err)
	}
	posted, voided, err := d.SettlePending(ctx, p, 10)
	if err != nil || posted != 0 || voided != 1 {
		t.Fatalf("settle: %d posted, %d voided, %v; want one void", posted, voided, err)
	}
	if a, pe := balances(t, d, u[0]); a != "0.00 EUR" || pe != "0.00 EUR" {
		t.Fatalf("collector: available %s, pending %s; want nothing", a, pe)
	}
	clearing, _ := d.AccountByID(ctx, tr.From)
	if !clearing.Balance.IsZero() {
		t.Errorf("the card's clearing account holds %s, want 0", clearing.Balance)
	}
	_, err = d.RefundCardPayment(ctx, p, tr.ID)
	wantCode(t, err, db.ECONFLICT)
	auditClean(t, d)
}

func TestCardDeclinedStaysDeclined(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, 0)
	u := users(t, d, 2)
	for _, tc := range []struct{ number, want string }{
		{"4000000000000002", "declined"},
		{"4000000000009995", "insufficient funds"},
	} {
		id := newID()
		pay := db.CardPayment{ID: id, PayerID: u[1], CollectorID: u[0], Amount: eur("10"), Token: card(t, p, tc.number)}
		_, err := d.PayByCard(ctx, p, pay)
		wantCode(t, err, db.EDECLINED)
		if !strings.Contains(english(err), tc.want) {
			t.Errorf("%s: message %q should say %q", tc.number, english(err), tc.want)
		}
		charges := p.charges.Load()
		pay.Token = card(t, p, "4242424242424242")
		_, again := d.PayByCard(ctx, p, pay)
		if again == nil || again.Error() != err.Error() {
			t.Errorf("%s: retry got %v, want the first failure %v", tc.number, again, err)
		}
		if p.charges.Load() != charges {
			t.Errorf("%s: a retry of a failed id charged the card again", tc.number)
		}
	}
	if _, pe := balances(t, d, u[0]); pe != "0.00 EUR" {
		t.Errorf("pending %s after declines", pe)
	}
	auditClean(t, d)
}

// Ten identical card payments at once: one payment, one answer, and every
// extra charge refunded.
func TestCardDoubleSubmit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	u := users(t, d, 2)
	_, split, share := newSplit(t, d, u[0], u[1:2], "11.88")
	pay := db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("11.88"), Token: card(t, p, "4242424242424242"), SplitID: split, ShareID: share[0]}
	got := make([]db.Transfer, 10)
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() { got[i], errs[i] = d.PayByCard(ctx, p, pay) })
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || !sameTransfer(got[i], got[0]) {
			t.Fatalf("submit %d: %+v, %v; submit 0: %+v", i, got[i], errs[i], got[0])
		}
	}
	if _, pe := balances(t, d, u[0]); pe != "11.88 EUR" {
		t.Errorf("pending %s, want 11.88 EUR", pe)
	}
	p.checkKept(t, d)
	auditClean(t, d)
}

// A share is paid once, whether by card or in cash, whoever races.
func TestSharePaidOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	u := users(t, d, 3)
	thread, _, share := newSplit(t, d, u[0], u[1:2], "5")
	tok := card(t, p, "4242424242424242")
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			if i%2 == 0 {
				_, errs[i] = d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1+i%4/2], CollectorID: u[0], Amount: eur("5"), Token: tok, ShareID: share[0]})
			} else {
				_, errs[i] = d.RecordCash(ctx, db.CashPayment{ID: newID(), PayerID: u[1+i%4/2], CollectorID: u[0], ThreadID: thread, Amount: eur("5"), ShareID: share[0]})
			}
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch db.ErrorCode(err) {
		case "":
			ok++
		case db.ECONFLICT:
			if !strings.Contains(english(err), "already paid") {
				t.Errorf("message %q", err)
			}
		case db.EUNAVAILABLE:
			// Another card payment of the share is being charged: this
			// one waits rather than charge the card a second time.
			if db.ReasonOf(err) != "pay.in_progress" {
				t.Fatal(err)
			}
		default:
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d payments of one share, want 1", ok)
	}
	p.checkKept(t, d)
	auditClean(t, d)
}

func TestRefundCardPayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, 0)
	u := users(t, d, 2)
	tok := card(t, p, "5555555555554444")
	payment := func() db.Transfer {
		pay, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("20"), Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		return pay
	}
	// Before settlement: the pending money goes back, and nothing settles.
	early := payment()
	r, err := d.RefundCardPayment(ctx, p, early.ID)
	if err != nil || r.From != early.To || r.PendingOf != early.ID {
		t.Fatalf("refund before settlement: %+v, %v", r, err)
	}
	if posted, voided, err := d.SettlePending(ctx, p, 10); err != nil || posted+voided != 0 {
		t.Fatalf("settle after the refund: %d, %d, %v", posted, voided, err)
	}
	// After settlement: the available money goes back.
	pay := payment()
	if posted, _, err := d.SettlePending(ctx, p, 10); err != nil || posted != 1 {
		t.Fatalf("settle: %d, %v", posted, err)
	}
	r, err = d.RefundCardPayment(ctx, p, pay.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != db.TransferRefund || r.Reverses != pay.ID || r.To != pay.From || r.PendingOf != "" {
		t.Errorf("refund = %+v", r)
	}
	if again, err := d.RefundCardPayment(ctx, p, pay.ID); err != nil || !sameTransfer(again, r) {
		t.Errorf("retry: %+v, %v", again, err)
	}
	// A refund's id derives from its payment: asking again is a retry, and
	// a refund under any other id is refused before anything is written.
	if again, err := d.RefundCardPayment(ctx, p, early.ID); err != nil || again.Reverses != early.ID {
		t.Errorf("refund the early payment again: %+v, %v", again, err)
	}
	_, err = d.RecordTransfer(ctx, db.TransferRequest{ID: newID(), Kind: db.TransferRefund, From: r.From, To: r.To,
		Amount: pay.Amount, Reverses: pay.ID})
	wantCode(t, err, db.EINVALID)
	if a, pe := balances(t, d, u[0]); a != "0.00 EUR" || pe != "0.00 EUR" {
		t.Errorf("collector after refunds: %s, %s", a, pe)
	}
	clearing, _ := d.AccountByID(ctx, pay.From)
	if !clearing.Balance.IsZero() {
		t.Errorf("clearing %s after refunds", clearing.Balance)
	}
	auditClean(t, d)
}

// Refunds racing with settlement: each payment is refunded once, from
// wherever its money is at that moment.
func TestRefundRacesSettlement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, 0)
	u := users(t, d, 2)
	tok := card(t, p, "4242424242424242")
	var pays []db.Transfer
	for range 8 {
		pay, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("3"), Token: tok})
		if err != nil {
			t.Fatal(err)
		}
		pays = append(pays, pay)
	}
	var wg sync.WaitGroup
	for _, pay := range pays {
		wg.Go(func() {
			if _, err := d.RefundCardPayment(ctx, p, pay.ID); err != nil {
				t.Errorf("refund %s: %v", pay.ID, err)
			}
		})
		wg.Go(func() {
			if _, _, err := d.SettlePending(ctx, p, 1); err != nil {
				t.Errorf("settle: %v", err)
			}
		})
	}
	wg.Wait()
	if a, pe := balances(t, d, u[0]); a != "0.00 EUR" || pe != "0.00 EUR" {
		t.Errorf("collector after the refunds: available %s, pending %s", a, pe)
	}
	auditClean(t, d)
}

func TestPayout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, 0)
	u := users(t, d, 1)[0]
	fund(t, d, u, eur("100"))
	_, _, err := d.Payout(ctx, p, db.PayoutRequest{ID: newID(), UserID: u, Amount: eur("60"), Destination: "DE89 3704 0044 0532 0130 00"})
	wantCode(t, err, db.EFORBIDDEN) // payments not activated
	activePayments(t, d, u)
	_, _, err = d.Payout(ctx, p, db.PayoutRequest{ID: newID(), UserID: u, Amount: eur("60"), Destination: "DE89 3704 0044 0532 0130 01"})
	wantCode(t, err, db.EINVALID) // fails mod-97
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'payout'`); n != 0 {
		t.Fatalf("%d payouts written for refused requests", n)
	}
	tr, pid, err := d.Payout(ctx, p, db.PayoutRequest{ID: newID(), UserID: u, Amount: eur("60"), Destination: "DE89 3704 0044 0532 0130 00"})
	if err != nil || pid == "" || tr.Kind != db.TransferPayout {
		t.Fatalf("payout: %+v, %q, %v", tr, pid, err)
	}
	_, _, err = d.Payout(ctx, p, db.PayoutRequest{ID: newID(), UserID: u, Amount: eur("50"), Destination: "DE89370400440532013000"})
	wantCode(t, err, db.EINSUFFICIENT)
	id := newID()
	refused := db.PayoutRequest{ID: id, UserID: u, Amount: eur("30"), Destination: sandbox.RefusedIBAN}
	_, _, err = d.Payout(ctx, p, refused)
	wantCode(t, err, db.EDECLINED)
	if got := available(t, d, u, "EUR"); got.String() != "40.00 EUR" {
		t.Errorf("after a refused payout: %s, want 40.00 EUR back", got)
	}
	_, _, err = d.Payout(ctx, p, refused)
	wantCode(t, err, db.EDECLINED)
	if got := available(t, d, u, "EUR"); got.String() != "40.00 EUR" {
		t.Errorf("after retrying a refused payout: %s", got)
	}
	payouts, _ := d.SystemAccount(ctx, db.AccountPayouts, "EUR")
	if payouts.Balance.String() != "60" {
		t.Errorf("payouts hold %s, want 60", payouts.Balance)
	}
	auditClean(t, d)
}

func TestReverse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 2)
	fund(t, d, u[0], eur("50"))
	s, err := d.Send(ctx, newID(), u[0], u[1], eur("20"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Reverse(ctx, s.ID)
	if err != nil || r.From != s.To || r.To != s.From || r.Reverses != s.ID {
		t.Fatalf("reverse: %+v, %v", r, err)
	}
	if again, err := d.Reverse(ctx, s.ID); err != nil || !sameTransfer(again, r) {
		t.Errorf("retry: %+v, %v", again, err)
	}
	_, err = d.RecordTransfer(ctx, db.TransferRequest{ID: newID(), Kind: db.TransferReversal, From: s.To, To: s.From,
		Amount: s.Amount, Reverses: s.ID})
	wantCode(t, err, db.EINVALID) // a reversal's id derives from what it undoes
	_, err = d.Reverse(ctx, r.ID)
	wantCode(t, err, db.EINVALID)
	if got := available(t, d, u[0], "EUR"); got.String() != "50.00 EUR" {
		t.Errorf("after the reversal: %s", got)
	}
	// The collector spent the money: the reversal cannot overdraw them.
	s2, _ := d.Send(ctx, newID(), u[0], u[1], eur("20"))
	d.Send(ctx, newID(), u[1], u[0], eur("20"))
	_, err = d.Reverse(ctx, s2.ID)
	wantCode(t, err, db.EINSUFFICIENT)
	auditClean(t, d)
}
