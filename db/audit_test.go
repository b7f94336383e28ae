package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
)

// busyLedger records a bit of everything: deposits, sends, card payments
// settled, voided and refunded, cash, a payout, a reversal, failed attempts.
func busyLedger(t *testing.T) (*db.DB, []int64) {
	t.Helper()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, 0)
	u := users(t, d, 3)
	fund(t, d, u[0], eur("100"))
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Send(ctx, newID(), u[0], u[1], eur("10")))
	s, _ := d.Send(ctx, newID(), u[0], u[2], eur("5"))
	must(d.Reverse(ctx, s.ID))
	d.Send(ctx, newID(), u[1], u[2], eur("1000")) // refused
	tok := card(t, p, "4242424242424242")
	_, split1, share1 := newSplit(t, d, u[0], u[1:2], "20")
	_, split2, share2 := newSplit(t, d, u[0], u[2:3], "30")
	thread, split3, share3 := newSplit(t, d, u[0], u[2:3], "7")
	pay, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("20"), Token: tok, SplitID: split1, ShareID: share1[0]})
	must(pay, err)
	must(d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[2], CollectorID: u[0], Amount: eur("30"), Token: card(t, p, "4000000000000259"), SplitID: split2, ShareID: share2[0]}))
	must(d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[2], CollectorID: u[0], Amount: eur("400"), Token: tok}))
	d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[2], CollectorID: u[0], Amount: eur("1"), Token: card(t, p, "4000000000000002")})
	if _, _, err := d.SettlePending(ctx, p, 10); err != nil {
		t.Fatal(err)
	}
	must(d.RefundCardPayment(ctx, p, pay.ID))
	must(d.RecordCash(ctx, db.CashPayment{ID: newID(), PayerID: u[2], CollectorID: u[0], ThreadID: thread, Amount: eur("7"), SplitID: split3, ShareID: share3[0]}))
	// A split cancelled after a card payment: the payment is refunded.
	thread4, split4, share4 := newSplit(t, d, u[0], u[1:2], "4")
	must(d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("4"), Token: tok, SplitID: split4, ShareID: share4[0]}))
	if err := d.CancelSplit(ctx, p, thread4, split4, u[0]); err != nil {
		t.Fatal(err)
	}
	activePayments(t, d, u[0])
	tr, _, err := d.Payout(ctx, p, db.PayoutRequest{ID: newID(), UserID: u[0], Amount: eur("50"), Destination: "DE89370400440532013000"})
	must(tr, err)
	return d, u
}

func TestAuditClean(t *testing.T) {
	t.Parallel()
	d, _ := busyLedger(t)
	checks := auditClean(t, d)
	if len(checks) != 19 {
		t.Errorf("%d checks, want 19", len(checks))
	}
	for _, c := range checks {
		if c.Checked == 0 {
			t.Errorf("check %s examined nothing", c.Name)
		}
	}
}

// Tampering that goes around the constraints (as a superuser can, with the
// triggers off) is what the audit is for.
func TestAuditFindsTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, u := busyLedger(t)
	tamper := func(stmts ...string) {
		t.Helper()
		tx, err := d.SQL().Begin()
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for _, s := range append([]string{`SET LOCAL session_replication_role = replica`}, stmts...) {
			if _, err := tx.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	var avail int64
	d.SQL().Get(&avail, `SELECT id FROM ledger_accounts WHERE kind = 'user_available' AND user_id = $1`, u[1])
	var equity int64
	d.SQL().Get(&equity, `SELECT id FROM ledger_accounts WHERE kind = 'equity'`)
	a, e := itoa(avail), itoa(equity)
	tamper(
		// An unbalanced transfer, and a drained account whose cache lies.
		`INSERT INTO ledger_transfers (id, kind, currency, minor, amount, request_hash, created_at) VALUES ('forged-1', 'transfer', 'EUR', 2, 500, 'x', now())`,
		`INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount) VALUES ('forged-1', `+a+`, 'EUR', 2, -500)`,
		`INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount) VALUES ('forged-1', `+e+`, 'EUR', 2, 499)`,
		// An id both used and failed.
		`INSERT INTO ledger_attempts (id, code, message, request_hash, created_at) VALUES ('forged-1', 'invalid', 'x', 'x', now())`,
		// A settled payment back in the settlement queue.
		`INSERT INTO ledger_pending (transfer_id, check_after) SELECT id, now() FROM ledger_transfers WHERE kind = 'card_payment' AND amount = 400`,
		// A forged position transfer on the first split (balanced, its
		// balances kept in step), and a position whose cache lies.
		`INSERT INTO ledger_transfers (id, kind, currency, minor, amount, split_id, request_hash, created_at)
			SELECT 'pos:forged', 'position', 'EUR', 2, 1, min(id), 'x', now() FROM splits`,
		`INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
			SELECT 'pos:forged', a.id, 'EUR', 2, CASE WHEN a.user_id = `+itoa(u[0])+` THEN 1 ELSE -1 END
			FROM ledger_accounts a WHERE a.kind = 'thread_position' AND a.group_id = (SELECT group_id FROM splits ORDER BY id LIMIT 1)`,
		`UPDATE ledger_accounts a SET balance = balance + CASE WHEN a.user_id = `+itoa(u[0])+` THEN 1 ELSE -1 END
			WHERE a.kind = 'thread_position' AND a.group_id = (SELECT group_id FROM splits ORDER BY id LIMIT 1)`,
		`UPDATE ledger_accounts SET balance = balance + 2 WHERE id = (SELECT max(id) FROM ledger_accounts WHERE kind = 'thread_position')`,
		// A cash transfer for a share that does not exist.
		`INSERT INTO ledger_transfers (id, kind, currency, minor, amount, share_id, request_hash, created_at) VALUES ('forged-cash', 'cash', 'EUR', 2, 1, -7, 'x', now())`,
		`INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount) VALUES ('forged-cash', `+e+`, 'EUR', 2, -1), ('forged-cash', `+e+`, 'EUR', 2, 1)`,
		// A share of the same split grown behind its total's back.
		`UPDATE shares SET amount = amount + 1 WHERE id = (SELECT min(id) FROM shares WHERE split_id = (SELECT min(id) FROM splits))`,
		// A payment of a share said to stand for more than it moved: more
		// than its share is paid.
		`UPDATE share_payments SET amount = amount + 1 WHERE transfer_id = (SELECT max(transfer_id) FROM share_payments WHERE undone_by IS NULL AND kind <> 'cover')`,
	)
	if err := d.SetLimits(ctx, db.Limits{
		PerTransfer: map[string]decimal.Decimal{"EUR": decimal.NewFromInt(100)},
		Rolling30:   map[string]decimal.Decimal{"EUR": decimal.NewFromInt(200)},
	}); err != nil {
		t.Fatal(err)
	}
	checks, err := d.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{
		"transfers_balanced":                    1,
		"balances_match_entries":                3, // the drained account, equity and a position
		"no_forbidden_negative_balance":         1,
		"share_paid_once":                       1, // the forged cash, which share_payments does not know
		"card_cap_per_transfer":                 1, // the 400 EUR payment
		"card_cap_30_days":                      1,
		"pending_resolved_once":                 1, // the 400 EUR payment, queued again
		"id_used_once":                          1,
		"cancelled_split_payments_undone":       0,
		"pending_resolved_in_window":            0,
		"intents_resolved":                      0,
		"positions_sum_to_zero":                 1,
		"positions_match_entries":               1,
		"positions_moved_by_position_transfers": 0,
		"split_positions_match":                 1, // the forged transfer and the grown share: one split
		"split_adds_up":                         1,
		"ledger_names_real_splits":              1,
		"part_refunds_follow_ledger":            1, // the payment said to be 1 more
		"share_paid_within_share":               1, // and so its share paid 1 more than its amount
	}
	for _, c := range checks {
		if c.Violations != want[c.Name] {
			t.Errorf("%s: %d violations, want %d", c.Name, c.Violations, want[c.Name])
		}
	}
}

// The two checks that would have caught a card payment charged on a
// cancelled split and never refunded, and a payment left pending for good.
func TestAuditCancelledSplitAndStuckPayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	var now time.Time
	db.SetClock(d, func() time.Time { return now })
	now = time.Now()
	d.SetSettlementWindow(time.Hour)
	p := newSandbox(t, 2*time.Hour) // settles after 2 hours: too late
	u := users(t, d, 2)
	tok := card(t, p, "4242 4242 4242 4242")
	_, split, shares := newSplit(t, d, u[0], u[1:], "9")
	pay, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: u[0], Amount: eur("9"), Token: tok, SplitID: split, ShareID: shares[0]})
	if err != nil {
		t.Fatal(err)
	}
	violations := func(name string) int64 {
		t.Helper()
		checks, err := d.Audit(ctx)
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
	// The split is cancelled the way the bug did it: no refund.
	if _, err := d.SQL().Exec(`UPDATE splits SET status = 'cancelled' WHERE id = $1`, split); err != nil {
		t.Fatal(err)
	}
	if n := violations("cancelled_split_payments_undone"); n != 1 {
		t.Errorf("a payment on a cancelled split, not refunded: %d violations, want 1", n)
	}
	if n := violations("pending_resolved_in_window"); n != 0 {
		t.Errorf("a payment pending for a second: %d violations, want 0", n)
	}
	now = now.Add(61 * time.Minute)
	if n := violations("pending_resolved_in_window"); n != 1 {
		t.Errorf("a payment pending for an hour and a minute: %d violations, want 1", n)
	}
	if _, err := d.RefundCardPayment(ctx, p, pay.ID); err != nil {
		t.Fatal(err)
	}
	auditClean(t, d)
}
