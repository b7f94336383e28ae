package db_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/sandbox"
)

var errKilled = errors.New("killed between two steps")

// killAt makes d stop at point, as a process killed there would.
func killAt(d *db.DB, point string) {
	db.SetFaults(d, func(p string) error {
		if p == point {
			return errKilled
		}
		return nil
	})
}

// movableClock sets d's clock to now and returns a function that moves it.
func movableClock(d *db.DB) func(time.Duration) {
	var now atomic.Pointer[time.Time]
	t0 := time.Now()
	now.Store(&t0)
	db.SetClock(d, func() time.Time { return *now.Load() })
	return func(by time.Duration) {
		t := now.Load().Add(by)
		now.Store(&t)
	}
}

func auditViolations(t *testing.T, d *db.DB, name string) int64 {
	t.Helper()
	checks, err := d.Audit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Name == name {
			return c.Violations
		}
	}
	t.Fatalf("no audit check %s", name)
	return 0
}

// The process dies after the card was charged and before the ledger
// recorded it: the intent stays open, the share cannot be charged again
// from a new form, the audit reports the intent once it is overdue, and
// reconciliation records the payment from the provider's answer, once.
func TestChargeKilledBeforeRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	move := movableClock(d)
	p := newSandbox(t, 0)
	u := users(t, d, 2)
	tok := card(t, p, "4242 4242 4242 4242")
	_, split, shares := newSplit(t, d, u[0], u[1:], "12")
	pay := func(id string) (db.Transfer, error) {
		return d.PayByCard(ctx, p, db.CardPayment{ID: id, PayerID: u[1], CollectorID: u[0], Amount: eur("12"), Token: tok,
			SplitID: split, ShareID: shares[0]})
	}
	first := newID()
	killAt(d, "charged")
	if _, err := pay(first); !errors.Is(err, errKilled) {
		t.Fatalf("pay = %v; want the kill", err)
	}
	db.SetFaults(d, nil)
	if n := p.charges.Load(); n != 1 {
		t.Fatalf("%d charges; want 1", n)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 0 {
		t.Fatalf("%d card payments recorded; want none yet", n)
	}

	// A new form, while the first may still be talking to the provider.
	_, err := pay(newID())
	wantCode(t, err, db.EUNAVAILABLE)
	if n := p.charges.Load(); n != 1 {
		t.Fatalf("%d charges after a new form; want 1", n)
	}
	if n := auditViolations(t, d, "intents_resolved"); n != 0 {
		t.Errorf("an intent open for a moment: %d violations; want 0", n)
	}
	move(6 * time.Minute)
	if n := auditViolations(t, d, "intents_resolved"); n != 1 {
		t.Errorf("an intent open for 6 minutes: %d violations; want 1", n)
	}

	n, err := d.ReconcileIntents(ctx, p, 10)
	if err != nil || n != 1 {
		t.Fatalf("ReconcileIntents = %d, %v; want 1 resolved", n, err)
	}
	tr, err := d.TransferByID(ctx, db.CardPaymentID(u[1], first))
	if err != nil || tr.ShareID != shares[0] {
		t.Fatalf("the payment after reconciliation: %+v, %v", tr, err)
	}
	if n := count(t, d, `SELECT count(*) FROM messages WHERE kind = 'payment'`); n != 1 {
		t.Errorf("%d payment messages in the thread; want 1", n)
	}
	// A new form now: the share is paid. The first form again: its result.
	_, err = pay(newID())
	wantCode(t, err, db.ECONFLICT)
	if again, err := pay(first); err != nil || again.ID != tr.ID {
		t.Errorf("the first form again: %+v, %v", again, err)
	}
	if n := p.charges.Load(); n != 1 {
		t.Errorf("%d charges in all; want 1", n)
	}
	if n, err := d.ReconcileIntents(ctx, p, 10); err != nil || n != 0 {
		t.Errorf("a second reconciliation: %d, %v; want nothing to do", n, err)
	}
	auditClean(t, d)
}

// A new form a minute after a crash asks the provider about the open
// charge itself, records it, and charges nothing more.
func TestNewFormAfterCrashFindsTheCharge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	move := movableClock(d)
	p := newSandbox(t, 0)
	u := users(t, d, 2)
	tok := card(t, p, "4242 4242 4242 4242")
	_, split, shares := newSplit(t, d, u[0], u[1:], "12")
	pay := func(id string) (db.Transfer, error) {
		return d.PayByCard(ctx, p, db.CardPayment{ID: id, PayerID: u[1], CollectorID: u[0], Amount: eur("12"), Token: tok,
			SplitID: split, ShareID: shares[0]})
	}
	killAt(d, "charged")
	pay(newID())
	db.SetFaults(d, nil)
	move(61 * time.Second)
	_, err := pay(newID())
	wantCode(t, err, db.ECONFLICT) // already paid, by the first charge
	if n := p.charges.Load(); n != 1 {
		t.Errorf("%d charges; want 1", n)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`); n != 1 {
		t.Errorf("%d card payments; want 1", n)
	}
	auditClean(t, d)
}

// The process dies after recording the intent, before calling the
// provider: a card the provider would decline was never charged, and
// reconciliation records the payment as not made.
func TestChargeKilledBeforeProvider(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	move := movableClock(d)
	p := newSandbox(t, 0)
	u := users(t, d, 2)
	c := db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("12"), Token: card(t, p, "4000 0000 0000 0002")}
	killAt(d, "intent_recorded")
	if _, err := d.PayByCard(ctx, p, c); !errors.Is(err, errKilled) {
		t.Fatalf("pay = %v; want the kill", err)
	}
	db.SetFaults(d, nil)
	move(61 * time.Second)
	if n, err := d.ReconcileIntents(ctx, p, 10); err != nil || n != 1 {
		t.Fatalf("ReconcileIntents = %d, %v; want 1", n, err)
	}
	_, err := d.PayByCard(ctx, p, c)
	wantCode(t, err, db.EDECLINED)
	if db.ReasonOf(err) != "pay.not_charged" {
		t.Errorf("the form again: %v; want pay.not_charged", err)
	}
	if n := p.charges.Load(); n != 0 {
		t.Errorf("%d charges; want none", n)
	}
	auditClean(t, d)
}

// The process dies after the bank took the payout, before its confirmation
// was recorded; or before the bank was asked, for an account the bank
// refuses. Reconciliation records the one and gives the money of the other
// back.
func TestPayoutKilled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	move := movableClock(d)
	p := newSandbox(t, 0)
	u := users(t, d, 1)[0]
	activePayments(t, d, u)
	fund(t, d, u, eur("100"))
	sent := db.PayoutRequest{ID: newID(), UserID: u, Amount: eur("60"), Destination: "DE89 3704 0044 0532 0130 00"}
	killAt(d, "paid_out")
	if _, _, err := d.Payout(ctx, p, sent); !errors.Is(err, errKilled) {
		t.Fatalf("payout = %v; want the kill", err)
	}
	refused := db.PayoutRequest{ID: newID(), UserID: u, Amount: eur("30"), Destination: sandbox.RefusedIBAN}
	killAt(d, "payout_recorded")
	if _, _, err := d.Payout(ctx, p, refused); !errors.Is(err, errKilled) {
		t.Fatalf("payout = %v; want the kill", err)
	}
	db.SetFaults(d, nil)
	if got := available(t, d, u, "EUR"); got.String() != "10.00 EUR" {
		t.Fatalf("available while both payouts are open: %s; want 10.00 EUR", got)
	}
	move(61 * time.Second)
	if n, err := d.ReconcileIntents(ctx, p, 10); err != nil || n != 2 {
		t.Fatalf("ReconcileIntents = %d, %v; want 2", n, err)
	}
	if got := available(t, d, u, "EUR"); got.String() != "40.00 EUR" {
		t.Errorf("available after reconciliation: %s; want 40.00 EUR", got)
	}
	if tr, ref, err := d.Payout(ctx, p, sent); err != nil || ref == "" || tr.Amount.String() != "60.00 EUR" {
		t.Errorf("the sent payout again: %+v, %q, %v", tr, ref, err)
	}
	_, _, err := d.Payout(ctx, p, refused)
	wantCode(t, err, db.EDECLINED)
	auditClean(t, d)
}
