package db_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/money"
)

// An active payment setup is not replaced: a stolen session must not swap
// the PIN that guards payments (issue 11.7).
func TestSetupActiveIsNotReplaced(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, code := setUp(t, d, n, "482913")
	if err := d.ActivatePayments(ctx, u, code); err != nil {
		t.Fatal(err)
	}
	_, err := d.SetupPayments(ctx, u, paySandbox(t), n, goodSetup("5555 5555 5555 4444", "739164"))
	wantCode(t, err, db.ECONFLICT)
	if db.ReasonOf(err) != "payments.active" {
		t.Errorf("reason %q, want setup.already_active", db.ReasonOf(err))
	}
	p, err := d.PaymentProfile(ctx, u)
	if err != nil || !p.Active || p.Last4 != "4242" {
		t.Fatalf("after a refused setup: %+v, %v; want the active Visa kept", p, err)
	}
	if err := d.CheckPIN(ctx, u, "482913"); err != nil {
		t.Errorf("the first PIN no longer works: %v", err)
	}
}

// A setup racing the activation of the one before it: either the
// activation wins and the setup is refused, or the setup wins and the old
// code no longer activates. Never an activation that the setup then undoes
// (issue 11.7: the rule is in the statement that writes).
func TestSetupRacingActivation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := paySandbox(t)
	for round := range 6 {
		u, code := setUp(t, d, n, "482913")
		var wg sync.WaitGroup
		var actErr, setErr error
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; actErr = d.ActivatePayments(ctx, u, code) }()
		go func() {
			defer wg.Done()
			<-start
			_, setErr = d.SetupPayments(ctx, u, p, n, goodSetup("5555 5555 5555 4444", "739164"))
		}()
		close(start)
		wg.Wait()
		prof, err := d.PaymentProfile(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case actErr == nil && setErr == nil:
			t.Fatalf("round %d: both the activation and the new setup went through; profile %+v", round, prof)
		case actErr == nil:
			wantCode(t, setErr, db.ECONFLICT)
			if !prof.Active || prof.Last4 != "4242" {
				t.Fatalf("round %d: activated, then %+v", round, prof)
			}
		case setErr == nil:
			wantCode(t, actErr, db.EINVALID)
			if prof.Active || prof.Last4 != "4444" {
				t.Fatalf("round %d: set up again, then %+v", round, prof)
			}
		default:
			t.Fatalf("round %d: activation %v, setup %v", round, actErr, setErr)
		}
	}
}

// A share whose payment was refunded or voided is due again, and can be
// paid again, by card or in cash; two payments racing for it still make one
// (issue 13.3).
func TestUndoneShareIsPaidAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Millisecond)
	u := users(t, d, 3)
	group, split, shares := newSplit(t, d, u[0], u[1:3], "10")
	status := func(share int64) string {
		t.Helper()
		s, err := d.SplitInThread(ctx, group, split)
		if err != nil {
			t.Fatal(err)
		}
		for _, sh := range s.Shares {
			if sh.ID == share {
				return sh.Status
			}
		}
		t.Fatalf("no share %d", share)
		return ""
	}
	pay := func(share, payer int64, number string) (db.Transfer, error) {
		return d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: payer, CollectorID: u[0], Amount: eur("10"),
			Token: card(t, p, number), SplitID: split, ShareID: share})
	}

	// Refunded, then paid again by card.
	first, err := pay(shares[0], u[1], "4242 4242 4242 4242")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RefundCardPayment(ctx, p, first.ID); err != nil {
		t.Fatal(err)
	}
	if s := status(shares[0]); s != db.ShareDue {
		t.Fatalf("refunded share is %s, want due", s)
	}
	again, err := pay(shares[0], u[1], "4242 4242 4242 4242")
	if err != nil {
		t.Fatalf("pay a refunded share again: %v", err)
	}
	if s := status(shares[0]); s != db.SharePaid {
		t.Fatalf("share paid again is %s", s)
	}
	_, err = pay(shares[0], u[1], "4242 4242 4242 4242")
	wantCode(t, err, db.ECONFLICT)

	// Voided (the card never settles), then paid in cash.
	if _, err := pay(shares[1], u[2], "4000 0000 0000 0259"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, voided, err := d.SettlePending(ctx, p, 10); err != nil || voided != 1 {
		t.Fatalf("settle: %d voided, %v; want 1", voided, err)
	}
	if s := status(shares[1]); s != db.ShareDue {
		t.Fatalf("voided share is %s, want due", s)
	}
	if err := d.ConfirmCash(ctx, group, split, shares[1], u[0]); err != nil {
		t.Fatalf("cash for a voided share: %v", err)
	}
	if s := status(shares[1]); s != db.SharePaid {
		t.Fatalf("share paid in cash is %s", s)
	}

	// The cash reversed, then cash and cards at once: exactly one.
	var cash string
	d.SQL().Get(&cash, `SELECT id FROM ledger_transfers WHERE kind = 'cash' AND share_id = $1`, shares[1])
	if _, err := d.Reverse(ctx, cash); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	start := make(chan struct{})
	for i := range 7 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			if i == 0 {
				// Nil also when a card was first: the collector's tap
				// finds the share paid.
				err = d.ConfirmCash(ctx, group, split, shares[1], u[0])
			} else if _, err = pay(shares[1], u[2], "4242 4242 4242 4242"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
			// A card payment of the share being charged by another
			// request waits (pay.in_progress) rather than charge twice.
			if err != nil && db.ErrorCode(err) != db.ECONFLICT && db.ReasonOf(err) != "pay.in_progress" {
				t.Errorf("racing payment: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	var kinds []string
	d.SQL().Select(&kinds, `SELECT kind FROM share_payments WHERE share_id = $1 AND undone_by IS NULL`, shares[1])
	var cards, cashes int
	d.SQL().Get(&cards, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment' AND share_id = $1`, shares[1])
	d.SQL().Get(&cashes, `SELECT count(*) FROM ledger_transfers WHERE kind = 'cash' AND share_id = $1`, shares[1])
	if len(kinds) != 1 || (kinds[0] == "card_payment") != (ok == 1) || ok > 1 || (cards-1)+(cashes-1) != 1 {
		t.Errorf("after the race: standing payments %v, %d cards went through, %d card and %d cash transfers in all; want exactly one new",
			kinds, ok, cards, cashes)
	}
	_ = again
	auditClean(t, d)
}

// refusingRefunds is a provider that is down for refunds.
type refusingRefunds struct{ db.PaymentProvider }

func (refusingRefunds) Refund(context.Context, string, money.Money, string) error {
	return db.Errorf(db.EUNAVAILABLE, "provider down")
}

// A cancel gives back every payment in one transaction, or none; the card
// refunds the provider did not confirm are told again later, once each.
func TestCancelGivesBackAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Millisecond)
	u := users(t, d, 4)
	thread, split, shares := newSplit(t, d, u[0], u[1:4], "10")
	tok := card(t, p, "4242 4242 4242 4242")
	for i, sh := range shares[:2] {
		if _, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1+i], CollectorID: u[0], Amount: eur("10"),
			Token: tok, SplitID: split, ShareID: sh}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.ConfirmCash(ctx, thread, split, shares[2], u[0]); err != nil {
		t.Fatal(err)
	}
	// The second card payment settles and the collector withdraws it: the
	// cancel cannot refund it, so it gives back nothing at all.
	time.Sleep(10 * time.Millisecond)
	if posted, _, err := d.SettlePending(ctx, p, 10); err != nil || posted != 2 {
		t.Fatalf("settle: %d, %v", posted, err)
	}
	if _, err := d.Send(ctx, newID(), u[0], u[3], eur("5")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.CancelSplit(ctx, p, thread, split, u[0]), db.EINSUFFICIENT)
	var undone, status int
	d.SQL().Get(&undone, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'reversal')`)
	d.SQL().Get(&status, `SELECT count(*) FROM splits WHERE status = 'cancelled'`)
	if undone != 0 || status != 0 {
		t.Fatalf("a refused cancel left %d payments undone and %d splits cancelled; want none", undone, status)
	}
	// The money back: the cancel goes through, the provider down for refunds.
	if _, err := d.Send(ctx, newID(), u[3], u[0], eur("5")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.CancelSplit(ctx, refusingRefunds{p}, thread, split, u[0]), db.EUNAVAILABLE)
	d.SQL().Get(&undone, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'reversal')`)
	d.SQL().Get(&status, `SELECT count(*) FROM splits WHERE status = 'cancelled'`)
	if undone != 3 || status != 1 {
		t.Fatalf("after the cancel: %d payments undone, %d splits cancelled; want 3 and 1", undone, status)
	}
	// Later (past the lease), a worker tells the provider, once.
	db.SetClock(d, func() time.Time { return time.Now().Add(time.Minute) })
	if n, err := d.TellRefunds(ctx, p, 10); err != nil || n != 2 {
		t.Fatalf("TellRefunds = %d, %v; want 2", n, err)
	}
	if n, err := d.TellRefunds(ctx, p, 10); err != nil || n != 0 {
		t.Fatalf("TellRefunds again = %d, %v; want 0", n, err)
	}
	auditClean(t, d)
}

// A split paid in full that an older version left open (it closed splits
// after the payment's commit) is closed by migration 063, once.
func TestMigrationClosesPaidSplitsLeftOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	thread, split, shares := newSplit(t, d, u[0], u[1:3], "10")
	_, other, _ := newSplit(t, d, u[0], u[1:3], "10")
	for _, sh := range shares {
		if err := d.ConfirmCash(ctx, thread, split, sh, u[0]); err != nil {
			t.Fatal(err)
		}
	}
	// As the old versions could leave it: paid in full, open, no message.
	if _, err := d.SQL().Exec(`UPDATE splits SET status = 'open', closed_at = NULL WHERE id = $1`, split); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SQL().Exec(`DELETE FROM messages WHERE split_id = $1 AND kind = 'system'`, split); err != nil {
		t.Fatal(err)
	}
	migration, err := os.ReadFile("migrations/063_close_paid_splits.sql")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := d.SQL().Exec(string(migration)); err != nil {
			t.Fatal(err)
		}
	}
	var status, otherStatus string
	var closed int
	d.SQL().Get(&status, `SELECT status FROM splits WHERE id = $1`, split)
	d.SQL().Get(&otherStatus, `SELECT status FROM splits WHERE id = $1`, other)
	d.SQL().Get(&closed, `SELECT count(*) FROM messages WHERE split_id = $1 AND data->>'event' = 'split_closed'`, split)
	if status != db.SplitComplete || closed != 1 || otherStatus != db.SplitOpen {
		t.Errorf("after the migration: split %s with %d \"All paid\", the unpaid one %s; want complete, 1, open", status, closed, otherStatus)
	}
}

// The last two payments of a split committing at once, one by card and one
// in cash (they credit different accounts of the collector, so nothing else
// orders them): the split closes, once. Each closes it in its own
// transaction only if it sees no share left due, so the two pass that
// check one after the other; without it, each would see the other's share
// still due and neither would close the split.
func TestLastTwoPaymentsAtOnceCloseTheSplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := paySandbox(t)
	card, code := setUp(t, d, n, "482913")
	if err := d.ActivatePayments(ctx, card, code); err != nil {
		t.Fatal(err)
	}
	u := users(t, d, 2)
	for round := range 8 {
		thread, split, shares := newSplit(t, d, u[0], []int64{card, u[1]}, "10")
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			if _, err := d.PayShare(ctx, p, db.SharePayment{ThreadID: thread, SplitID: split, PayerID: card,
				PaymentID: newID(), SkipPIN: true}); err != nil {
				t.Errorf("round %d: pay: %v", round, err)
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			if err := d.ConfirmCash(ctx, thread, split, shares[1], u[0]); err != nil {
				t.Errorf("round %d: confirm: %v", round, err)
			}
		}()
		close(start)
		wg.Wait()
		var status string
		var closed int
		d.SQL().Get(&status, `SELECT status FROM splits WHERE id = $1`, split)
		d.SQL().Get(&closed, `SELECT count(*) FROM messages WHERE split_id = $1 AND data->>'event' = 'split_closed'`, split)
		if status != db.SplitComplete || closed != 1 {
			t.Fatalf("round %d: split %s with %d \"All paid\"; want complete and 1", round, status, closed)
		}
	}
}
