package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// A settlement racing the cancel of a split it would cover, in sixteen
// threads at once, by card and another way: whichever commits first, no
// share is covered twice or both covered and paid; the cancel gives back
// every card payment of the split; a settlement that comes after the cancel
// covers nothing of the cancelled split (by card it is refused, nothing
// being owed any more, and its charge refunded), and one that comes before
// keeps its covers (the settlement's money stays in the positions, which
// the cancel moves back by the split's part); the positions are exactly
// what the surviving split and the settlement say; every charge kept is a
// card payment in the ledger, and the audit is clean.
func TestSettleRacesCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	tok := card(t, p, "4242 4242 4242 4242")
	const rounds = 16
	const stagger = 12 * time.Millisecond
	type race struct {
		th, s, s2  int64
		a, b, c    int64
		cPaid      string // c's card payment of a share of s
		settleErr  error
		cancelErr  error
		settlement string
		seq        int64 // the thread's last event before the race
	}
	races := make([]*race, rounds)
	for i := range races {
		u := users(t, d, 3)
		r := &race{a: u[0], b: u[1], c: u[2]}
		r.th = thread(t, d, r.a, r.b, r.c)
		// s: b collects 20 from a (10), c (6) and b (4); s2: a collects 3
		// from b. c pays their share of s by card.
		var shares []int64
		r.s, shares = splitIn(t, d, r.th, r.b, r.a, "10", r.c, "6", r.b, "4")
		r.s2, _ = splitIn(t, d, r.th, r.a, r.b, "3")
		tr, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: r.c, CollectorID: r.b, Amount: eur("6"), Token: tok,
			SplitID: r.s, ShareID: shares[1]})
		if err != nil {
			t.Fatal(err)
		}
		r.cPaid = tr.ID
		wantPositions(t, d, r.th, map[int64]string{r.a: "-7.00", r.b: "7.00"})
		if r.seq, err = d.LastEventID(ctx, r.th); err != nil {
			t.Fatal(err)
		}
		races[i] = r
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range races {
		wg.Go(func() {
			<-start
			// a pays b the 7 the plan says.
			if i%2 == 0 {
				var tr db.Transfer
				tr, r.settleErr = d.PayByCard(ctx, p, db.CardPayment{ID: db.SettleID(r.th, r.b), PayerID: r.a, CollectorID: r.b,
					Amount: eur("7"), Token: tok})
				r.settlement = tr.ID
			} else {
				r.settlement = fmt.Sprintf("settle-g%d-u%d-c%d", r.th, r.b, i)
				_, r.settleErr = d.RecordCash(ctx, db.CashPayment{ID: r.settlement, PayerID: r.a, CollectorID: r.b, ThreadID: r.th,
					Amount: eur("7")})
			}
		})
		wg.Go(func() {
			<-start
			// Staggered, so that some cancels come while the settlement is
			// in its transaction and others before it starts.
			time.Sleep(time.Duration(i/2) * stagger)
			r.cancelErr = d.CancelSplit(ctx, p, r.th, r.s, r.b)
		})
	}
	close(start)
	wg.Wait()

	var before, after, refusedAfter int
	for i, r := range races {
		where := fmt.Sprintf("race %d (%s)", i, map[bool]string{true: "card", false: "cash"}[i%2 == 0])
		refused := false
		switch {
		case r.cancelErr != nil:
			t.Fatalf("%s: cancel: %v", where, r.cancelErr)
		case r.settleErr != nil && i%2 == 0 && db.ErrorCode(r.settleErr) == db.EINVALID:
			// A card settlement after the cancel: a owes nothing any more,
			// so it is refused (and its charge refunded).
			refused = true
		case r.settleErr != nil:
			t.Fatalf("%s: settle: %v", where, r.settleErr)
		}
		// s cancelled and out of the positions, c's card payment given
		// back: a +3 (s2), b the opposite, and the 7 a paid if it went.
		if refused {
			wantPositions(t, d, r.th, map[int64]string{r.a: "3.00", r.b: "-3.00"})
		} else {
			wantPositions(t, d, r.th, map[int64]string{r.a: "10.00", r.b: "-10.00"})
		}
		if n := count(t, d, `SELECT count(*) FROM share_payments WHERE transfer_id = $1 AND undone_by IS NULL`, r.cPaid); n != 0 {
			t.Errorf("%s: c's card payment of the cancelled split not given back", where)
		}
		if n := count(t, d, `SELECT count(*) FROM (SELECT p.share_id FROM share_payments p JOIN shares sh ON sh.id = p.share_id
			JOIN splits s ON s.id = sh.split_id WHERE s.group_id = $1 AND p.undone_by IS NULL
			GROUP BY p.share_id HAVING count(*) > 1) x`, r.th); n != 0 {
			t.Errorf("%s: %d shares paid or covered twice", where, n)
		}
		// Which committed first: event ids are taken under the thread's
		// row lock, so they are in commit order. The cancel's first event
		// is its message's; the settlement's first is "balances" (the
		// cancel writes its own "balances" after its message).
		var cancelEv int64
		if err := d.SQL().Get(&cancelEv, `SELECT e.id FROM events e JOIN messages m ON m.group_id = e.group_id AND m.id = e.message_id
			WHERE e.group_id = $1 AND m.data->>'event' = 'split_cancelled'`, r.th); err != nil {
			t.Fatalf("%s: the cancel's event: %v", where, err)
		}
		settledFirst := count(t, d, `SELECT count(*) FROM events WHERE group_id = $1 AND id > $2 AND id < $3 AND kind = 'balances'`,
			r.th, r.seq, cancelEv) > 0
		covers := count(t, d, `SELECT count(*) FROM share_payments p JOIN shares sh ON sh.id = p.share_id
			WHERE sh.split_id = $1 AND p.kind = 'cover' AND p.undone_by IS NULL`, r.s)
		if refused && settledFirst {
			t.Errorf("%s: the card settlement was refused, yet committed before the cancel", where)
		}
		if refused && !settledFirst {
			refusedAfter++
		}
		if settledFirst {
			before++
			// a then owed nobody: a's share of s was covered; b, even, had
			// their share of s2 covered.
			if covers != 1 {
				t.Errorf("%s: settled before the cancel, %d covers on the cancelled split, want a's share", where, covers)
			}
		} else {
			after++
			if covers != 0 {
				t.Errorf("%s: settled after the cancel, yet %d shares of the cancelled split covered", where, covers)
			}
		}
		if sp, err := d.SplitInThread(ctx, r.th, r.s); err != nil || sp.Status != db.SplitCancelled {
			t.Errorf("%s: split s %v, %v; want cancelled", where, sp.Status, err)
		}
	}
	t.Logf("%d settlements committed before the cancel, %d after (%d of them by card, refused: nothing owed any more)", before, after, refusedAfter)
	auditClean(t, d)
}

// Two debtors pay the same creditor by card at once, each the whole of
// what the creditor is owed (as two plans read at different moments can
// say): one settlement goes through, the other is refused under the
// thread's lock with "at most …" and its charge refunded, so nobody is
// settled past zero. Eight threads at once, -race.
func TestSettleByCardNeverPastOwed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	tok := card(t, p, "4242 4242 4242 4242")
	type race struct {
		th, a, b, c int64
		errs        [2]error
	}
	races := make([]*race, 8)
	for i := range races {
		u := users(t, d, 3)
		r := &race{a: u[0], b: u[1], c: u[2]}
		r.th = thread(t, d, r.a, r.b, r.c)
		// c collects 30 from a (10), b (10) and c (10): a -10, b -10, c +20;
		// then a owes c 10 and b owes c 10, and each will try to pay 20.
		splitIn(t, d, r.th, r.c, r.a, "10", r.b, "10", r.c, "10")
		races[i] = r
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, r := range races {
		for k, payer := range []int64{r.a, r.b} {
			wg.Go(func() {
				<-start
				// 15: more than either owes, within what c is owed.
				_, r.errs[k] = d.PayByCard(ctx, p, db.CardPayment{ID: db.SettleID(r.th, r.c), PayerID: payer, CollectorID: r.c,
					Amount: eur("15"), Token: tok})
			})
		}
	}
	close(start)
	wg.Wait()
	for _, r := range races {
		// Each owes 10 and pays 15: refused whatever the order.
		for k := range r.errs {
			wantCode(t, r.errs[k], db.EINVALID)
		}
		wantPositions(t, d, r.th, map[int64]string{r.a: "-10.00", r.b: "-10.00", r.c: "20.00"})
	}
	// The same with what the creditor is owed in full (20) by each of two
	// who together owe 20: at most one gets through.
	for _, r := range races {
		if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c1", r.th, r.a), PayerID: r.b, CollectorID: r.a,
			ThreadID: r.th, Amount: eur("10")}); err != nil {
			t.Fatal(err)
		}
		// b paid a's 10 for them: a -20, b even, c +20.
	}
	start = make(chan struct{})
	results := make([][2]error, len(races))
	for i, r := range races {
		for k := range 2 {
			wg.Go(func() {
				<-start
				_, results[i][k] = d.PayByCard(ctx, p, db.CardPayment{ID: db.SettleID(r.th, r.c), PayerID: r.a, CollectorID: r.c,
					Amount: eur("20"), Token: tok})
			})
		}
	}
	close(start)
	wg.Wait()
	for i, r := range races {
		ok := 0
		for _, err := range results[i] {
			if err == nil {
				ok++
			} else {
				wantCode(t, err, db.EINVALID)
			}
		}
		if ok != 1 {
			t.Errorf("race %d: %d of two settlements of the whole debt went through, want 1 (%v)", i, ok, results[i])
		}
		wantPositions(t, d, r.th, map[int64]string{})
	}
	// Every refused charge was refunded: the charges kept are exactly the
	// card payments in the ledger.
	p.checkKept(t, d)
	auditClean(t, d)
}
