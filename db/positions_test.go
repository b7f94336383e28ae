package db_test

import (
	"context"
	"os"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// positionsOf returns the thread's positions in EUR by user, as strings.
func positionsOf(t testing.TB, d *db.DB, thread int64) map[int64]string {
	t.Helper()
	ps, err := d.ThreadPositions(context.Background(), thread)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for _, p := range ps["EUR"] {
		out[p.UserID] = p.Amount.Amount.StringFixed(2)
	}
	return out
}

func wantPositions(t testing.TB, d *db.DB, thread int64, want map[int64]string) {
	t.Helper()
	got := positionsOf(t, d, thread)
	if len(got) != len(want) {
		t.Fatalf("positions %v, want %v", got, want)
	}
	for u, w := range want {
		if got[u] != w {
			t.Fatalf("positions %v, want %v", got, want)
		}
	}
}

// A split records its positions (the collector fronted the total, each
// share owes its amount); a card payment, a cash mark, a refund, a void
// and a cancel move them; they always sum to zero, and the ledger is
// never rewritten.
func TestPositionsFollowSplitsAndPayments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Millisecond)
	u := users(t, d, 4)
	thread, split, shares := newSplit(t, d, u[0], u[1:4], "10")
	wantPositions(t, d, thread, map[int64]string{u[0]: "30.00", u[1]: "-10.00", u[2]: "-10.00", u[3]: "-10.00"})

	first, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("10"),
		Token: card(t, p, "4242 4242 4242 4242"), SplitID: split, ShareID: shares[0]})
	if err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, thread, map[int64]string{u[0]: "20.00", u[2]: "-10.00", u[3]: "-10.00"})
	if err := d.ConfirmCash(ctx, thread, split, shares[1], u[0]); err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, thread, map[int64]string{u[0]: "10.00", u[3]: "-10.00"})
	if _, err := d.RefundCardPayment(ctx, p, first.ID); err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, thread, map[int64]string{u[0]: "20.00", u[1]: "-10.00", u[3]: "-10.00"})
	// A card that never settles: paid, then voided.
	if _, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[3], CollectorID: u[0], Amount: eur("10"),
		Token: card(t, p, "4000 0000 0000 0259"), SplitID: split, ShareID: shares[2]}); err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, thread, map[int64]string{u[0]: "10.00", u[1]: "-10.00"})
	time.Sleep(10 * time.Millisecond)
	if _, voided, err := d.SettlePending(ctx, p, 10); err != nil || voided != 1 {
		t.Fatalf("settle: %d voided, %v", voided, err)
	}
	wantPositions(t, d, thread, map[int64]string{u[0]: "20.00", u[1]: "-10.00", u[3]: "-10.00"})
	auditClean(t, d)

	if err := d.CancelSplit(ctx, p, thread, split, u[0]); err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, thread, map[int64]string{})
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'position' AND split_id = $1`, split); n != 7 {
		t.Errorf("%d position transfers for the split, want 7 (post, card, cash, refund, card, void, cancel)", n)
	}
	auditClean(t, d)
}

// Migration 110 gives the splits made before it their positions: open,
// paid, refunded and cancelled splits, as they stand.
func TestMigrationBackfillsPositions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Millisecond)
	u := users(t, d, 4)
	thread, split, shares := newSplit(t, d, u[0], u[1:4], "10")
	paid, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("10"),
		Token: card(t, p, "4242 4242 4242 4242"), SplitID: split, ShareID: shares[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ConfirmCash(ctx, thread, split, shares[1], u[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RefundCardPayment(ctx, p, paid.ID); err != nil {
		t.Fatal(err)
	}
	thread2, split2, shares2 := newSplit(t, d, u[1], []int64{u[0], u[2]}, "7.50")
	if err := d.ConfirmCash(ctx, thread2, split2, shares2[1], u[1]); err != nil {
		t.Fatal(err)
	}
	if err := d.CancelSplit(ctx, p, thread2, split2, u[1]); err != nil {
		t.Fatal(err)
	}
	before := positionsOf(t, d, thread)
	// As a database before 110 was: no positions at all.
	tx, err := d.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`SET LOCAL session_replication_role = replica`,
		`DELETE FROM ledger_entries WHERE transfer_id IN (SELECT id FROM ledger_transfers WHERE kind = 'position')`,
		`DELETE FROM ledger_transfers WHERE kind = 'position'`,
		`DELETE FROM ledger_accounts WHERE kind = 'thread_position'`} {
		if _, err := tx.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := positionsOf(t, d, thread); len(got) != 0 {
		t.Fatalf("positions left: %v", got)
	}
	migration, err := os.ReadFile("migrations/110_positions.sql")
	if err != nil {
		t.Fatal(err)
	}
	tx, err = d.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(string(migration)); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, thread, before)
	wantPositions(t, d, thread, map[int64]string{u[0]: "20.00", u[1]: "-10.00", u[3]: "-10.00"})
	wantPositions(t, d, thread2, map[int64]string{})
	auditClean(t, d)
}
