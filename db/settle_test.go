package db_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
)

// thread makes a thread of the given members, straight in SQL.
func thread(t testing.TB, d *db.DB, members ...int64) int64 {
	t.Helper()
	var id int64
	if err := d.SQL().Get(&id, `INSERT INTO groups (name, currency, created_by) VALUES ('Trip', 'EUR', $1) RETURNING id`, members[0]); err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if _, err := d.SQL().Exec(`INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, 'member')`, id, m); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// splitIn makes a split of a thread, collected by collector, with the
// shares given (user, amount in EUR), straight in SQL, and syncs its
// positions; it returns the split and its share ids in order.
func splitIn(t testing.TB, d *db.DB, thread, collector int64, shares ...any) (int64, []int64) {
	t.Helper()
	total := decimal.Zero
	for i := 1; i < len(shares); i += 2 {
		total = total.Add(decimal.RequireFromString(shares[i].(string)))
	}
	var nonce [16]byte
	rand.Read(nonce[:])
	tx, err := d.SQL().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var split int64
	if err := tx.Get(&split, `INSERT INTO splits (group_id, title, currency, total, payee_id, created_by, mode, pay_nonce, pay_token_hash)
		VALUES ($1, 'Bill', 'EUR', $2, $3, $3, 'exact', $4, $4) RETURNING id`, thread, total.String(), collector, nonce[:]); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := 0; i < len(shares); i += 2 {
		var id int64
		if err := tx.Get(&id, `INSERT INTO shares (split_id, user_id, position, amount) VALUES ($1, $2, $3, $4) RETURNING id`,
			split, shares[i].(int64), i/2, shares[i+1].(string)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncSplitPositions(context.Background(), d, split); err != nil {
		t.Fatal(err)
	}
	return split, ids
}

// The offset of the issue: A owes B 15 in one split, B owes A 10 in
// another; A pays 5 another way, B confirms: both shares are covered, both
// splits close "All paid", everyone is even.
func TestSettleCoversOffsets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 2)
	a, b := u[0], u[1]
	th := thread(t, d, a, b)
	s1, _ := splitIn(t, d, th, b, a, "15", b, "5")
	s2, _ := splitIn(t, d, th, a, b, "10")
	wantPositions(t, d, th, map[int64]string{a: "-5.00", b: "5.00"})
	bal, err := d.ThreadBalances(ctx, th)
	if err != nil || len(bal.Plans["EUR"]) != 1 || bal.Plans["EUR"][0].From != a || !bal.Plans["EUR"][0].Amount.Amount.Equal(decimal.NewFromInt(5)) {
		t.Fatalf("plan %+v, %v; want A pays B 5", bal.Plans, err)
	}
	_, err = d.ClaimSettlement(ctx, th, a, b, eur("5"))
	if err != nil {
		t.Fatal(err)
	}
	bal, _ = d.ThreadBalances(ctx, th)
	if len(bal.Claims) != 1 {
		t.Fatalf("claims %+v", bal.Claims)
	}
	wantCode(t, d.ConfirmClaim(ctx, th, bal.Claims[0].ID, a), db.EFORBIDDEN)
	if err := d.ConfirmClaim(ctx, th, bal.Claims[0].ID, b); err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.ConfirmClaim(ctx, th, bal.Claims[0].ID, b), db.ENOTFOUND)
	wantPositions(t, d, th, map[int64]string{})
	for _, s := range []int64{s1, s2} {
		sp, err := d.SplitInThread(ctx, th, s)
		if err != nil {
			t.Fatal(err)
		}
		paid, of, _, _ := sp.Progress()
		if sp.Status != db.SplitComplete || paid != of {
			t.Errorf("split %d: %s, %d of %d paid; want complete, all paid", s, sp.Status, paid, of)
		}
		for _, sh := range sp.Owing() {
			if sh.Method != "cover" {
				t.Errorf("share of %s paid by %q, want cover", sh.Name, sh.Method)
			}
		}
	}
	auditClean(t, d)

	// Undone (the cash mark reversed): the shares are due again, the
	// positions back.
	var cash string
	d.SQL().Get(&cash, `SELECT id FROM ledger_transfers WHERE kind = 'cash'`)
	if _, err := d.Reverse(ctx, cash); err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, th, map[int64]string{a: "-5.00", b: "5.00"})
	if n := count(t, d, `SELECT count(*) FROM share_payments WHERE undone_by IS NULL`); n != 0 {
		t.Errorf("%d shares still covered after the reversal", n)
	}
	auditClean(t, d)
}

// Settlements racing each other, both ways between two people and from a
// third, never cover a share twice, and the positions stay exact: each
// settlement moves its payer and receiver by its amount, whatever it
// covered.
func TestSettleRacesCoverOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	a, b, c := u[0], u[1], u[2]
	th := thread(t, d, a, b, c)
	for i := range 6 {
		splitIn(t, d, th, b, a, "5", c, "2", b, "1")
		if i%2 == 0 {
			splitIn(t, d, th, a, b, "3", c, "1")
		}
	}
	before := positionsOf(t, d, th)
	var wg sync.WaitGroup
	type move struct{ from, to int64 }
	moves := []move{{a, b}, {a, b}, {a, b}, {b, a}, {b, a}, {c, b}, {c, b}, {c, a}}
	errs := make([]error, len(moves))
	start := make(chan struct{})
	for i, m := range moves {
		wg.Go(func() {
			<-start
			_, errs[i] = d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c%d", th, m.to, 1000+i), PayerID: m.from,
				CollectorID: m.to, ThreadID: th, Amount: eur("5")})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM (SELECT share_id FROM share_payments WHERE undone_by IS NULL GROUP BY share_id HAVING count(*) > 1) x`); n != 0 {
		t.Fatalf("%d shares covered twice", n)
	}
	if n := count(t, d, `SELECT count(*) FROM share_payments WHERE kind = 'cover'`); n == 0 {
		t.Fatalf("no share covered")
	}
	after := positionsOf(t, d, th)
	net := map[int64]decimal.Decimal{}
	for _, m := range moves {
		net[m.from] = net[m.from].Add(decimal.NewFromInt(5))
		net[m.to] = net[m.to].Sub(decimal.NewFromInt(5))
	}
	for _, who := range u {
		was, _ := decimal.NewFromString(orZero(before[who]))
		now, _ := decimal.NewFromString(orZero(after[who]))
		if !now.Sub(was).Equal(net[who]) {
			t.Errorf("user %d moved %s, want %s", who, now.Sub(was), net[who])
		}
	}
	auditClean(t, d)
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// A payment whose id names a thread its payer and receiver do not share (a
// client may choose the id of a payment to someone's pay link) settles
// nothing there.
func TestSettleIDOfAnotherThread(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	th := thread(t, d, u[0], u[1])
	splitIn(t, d, th, u[1], u[0], "10")
	if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c1", th, u[1]), PayerID: u[2], CollectorID: u[1],
		ThreadID: th, Amount: eur("10")}); err != nil {
		t.Fatal(err)
	}
	wantPositions(t, d, th, map[int64]string{u[0]: "-10.00", u[1]: "10.00"})
	if n := count(t, d, `SELECT count(*) FROM share_payments WHERE kind = 'cover'`); n != 0 {
		t.Errorf("%d shares covered by a stranger's payment", n)
	}
	auditClean(t, d)
}

// Nobody leaves while the balances say they owe or are owed: a payment
// outside splits, waiting for its receiver and then confirmed, keeps both
// in the thread until they settle.
func TestLeaveNeedsEvenPositions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	th := thread(t, d, u[0], u[1], u[2])
	claim, err := d.ClaimSettlement(ctx, th, u[1], u[2], eur("20"))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.LeaveThread(ctx, th, u[2]), db.ECONFLICT)
	if err := d.ConfirmClaim(ctx, th, claim, u[2]); err != nil {
		t.Fatal(err)
	}
	wantCode(t, d.LeaveThread(ctx, th, u[1]), db.ECONFLICT)
	wantCode(t, d.LeaveThread(ctx, th, u[2]), db.ECONFLICT)
	back, err := d.ClaimSettlement(ctx, th, u[2], u[1], eur("20"))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ConfirmClaim(ctx, th, back, u[1]); err != nil {
		t.Fatal(err)
	}
	if err := d.LeaveThread(ctx, th, u[2]); err != nil {
		t.Fatalf("leave once even: %v", err)
	}
}

// A settlement that closes many splits writes one row per share covered
// and per split closed, and no more: one splits event naming every split
// whose card changed and one message for all it closed ("Settled up: 30
// splits are all paid"), not an event and an "All paid" message per split
// (the first settle-up of a big thread wrote thousands of each under the
// thread's lock). A settlement that closes one split says its name.
func TestSettleUpOneMessageForManySplits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	a, b, c := u[0], u[1], u[2]
	th := thread(t, d, a, b, c)
	var splits []int64
	for range 30 {
		s, _ := splitIn(t, d, th, b, a, "2")
		splits = append(splits, s)
	}
	open, _ := splitIn(t, d, th, b, a, "1", c, "4") // stays open: c still owes
	var before int64
	d.SQL().Get(&before, `SELECT event_seq FROM groups WHERE id = $1`, th)
	if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c1", th, b), PayerID: a, CollectorID: b,
		ThreadID: th, Amount: eur("61")}); err != nil {
		t.Fatal(err)
	}
	var evs []db.Event
	if err := d.SQL().Select(&evs, `SELECT group_id, id, kind, message_id, split_id, share_id, split_ids, created_at FROM events
		WHERE group_id = $1 AND id > $2 ORDER BY id`, th, before); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	var named []int64
	for _, e := range evs {
		kinds[e.Kind]++
		if e.Kind == db.EventSplits {
			named = append(named, e.SplitIDs...)
		}
	}
	if kinds[db.EventSplit] != 0 || kinds[db.EventSplits] != 1 {
		t.Errorf("events %v; want one splits event and no split event", kinds)
	}
	if want := append(append([]int64{}, splits...), open); fmt.Sprint(named) != fmt.Sprint(want) {
		t.Errorf("the splits event names %v, want %v", named, want)
	}
	if n := count(t, d, `SELECT count(*) FROM messages WHERE group_id = $1 AND data->>'event' = 'split_closed'`, th); n != 0 {
		t.Errorf("%d \"All paid\" messages, want none (one for all)", n)
	}
	if n := count(t, d, `SELECT count(*) FROM messages WHERE group_id = $1 AND data->>'event' = 'splits_closed' AND (data->>'count')::int = 30`, th); n != 1 {
		t.Errorf("%d \"Settled up: 30 splits\" messages, want 1", n)
	}
	if n := count(t, d, `SELECT count(*) FROM splits WHERE group_id = $1 AND status = 'complete'`, th); n != 30 {
		t.Errorf("%d splits complete, want 30", n)
	}
	// c pays b: the last split closes, its name said.
	if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c2", th, b), PayerID: c, CollectorID: b,
		ThreadID: th, Amount: eur("4")}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM messages WHERE group_id = $1 AND split_id = $2 AND data->>'event' = 'split_closed'`, th, open); n != 1 {
		t.Errorf("%d \"Bill: all paid\" messages for the last split, want 1", n)
	}
	auditClean(t, d)
}

// Members whose positions come to exactly even never take part in a
// settlement, yet their shares are paid by offsets: A collects a split
// where B owes 10, B one where A owes 10. The second split's position
// transfer covers both shares and both splits close "All paid"; a later
// debt of A's is due as usual, the old covers stay.
func TestEvenMembersSharesCovered(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	a, b, c := u[0], u[1], u[2]
	th := thread(t, d, a, b, c)
	s1, _ := splitIn(t, d, th, a, b, "10", c, "5")
	if n := count(t, d, `SELECT count(*) FROM share_payments`); n != 0 {
		t.Fatalf("%d shares covered while nobody is even", n)
	}
	s2, _ := splitIn(t, d, th, b, a, "10")
	wantPositions(t, d, th, map[int64]string{a: "5.00", c: "-5.00"})
	// b is even: b's share in s1 is covered by s2's position transfer; a
	// is owed 5 and c owes it: a's share in s2 waits for c's settlement.
	var by []string
	d.SQL().Select(&by, `SELECT p.transfer_id FROM share_payments p JOIN shares sh ON sh.id = p.share_id
		WHERE p.kind = 'cover' AND sh.user_id = $1`, b)
	if len(by) != 1 || by[0] != fmt.Sprintf("pos:s%d:1", s2) {
		t.Fatalf("b's shares covered by %v, want [pos:s%d:1]", by, s2)
	}
	if n := count(t, d, `SELECT count(*) FROM share_payments p JOIN shares sh ON sh.id = p.share_id WHERE sh.user_id <> $1`, b); n != 0 {
		t.Errorf("%d shares of others covered", n)
	}
	// c pays a: everyone even, every split closes.
	if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c1", th, a), PayerID: c, CollectorID: a,
		ThreadID: th, Amount: eur("5")}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []int64{s1, s2} {
		sp, err := d.SplitInThread(ctx, th, s)
		if err != nil {
			t.Fatal(err)
		}
		paid, of, _, _ := sp.Progress()
		if sp.Status != db.SplitComplete || paid != of {
			t.Errorf("split %d: %s, %d of %d paid; want complete, all paid", s, sp.Status, paid, of)
		}
	}
	auditClean(t, d)

	// Two who only ever owe each other the same: no settlement at all.
	s3, _ := splitIn(t, d, th, a, b, "7")
	s4, _ := splitIn(t, d, th, b, a, "7")
	wantPositions(t, d, th, map[int64]string{})
	for _, s := range []int64{s3, s4} {
		sp, err := d.SplitInThread(ctx, th, s)
		if err != nil {
			t.Fatal(err)
		}
		if sp.Status != db.SplitComplete {
			t.Errorf("split %d of two who are even: %s, want complete", s, sp.Status)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM messages WHERE group_id = $1 AND data->>'event' IN ('split_closed', 'splits_closed')`, th); n != 2 {
		t.Errorf("%d \"all paid\" messages, want one per closing (c's settlement, s4's positions)", n)
	}
	// A new debt of a's is due, the old covers stay.
	s5, _ := splitIn(t, d, th, b, a, "3")
	sp, err := d.SplitInThread(ctx, th, s5)
	if err != nil {
		t.Fatal(err)
	}
	if paid, _, _, _ := sp.Progress(); paid != 0 || sp.Status != db.SplitOpen {
		t.Errorf("a's new share: %d paid, split %s; want due, open", paid, sp.Status)
	}
	auditClean(t, d)
}
