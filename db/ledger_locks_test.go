package db_test

import (
	"context"
	"sync"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// Everyone pays one person at once while that person's money moves every
// other way too: settlements, refunds before and after settlement, payouts,
// and the person paying the payers back. The credited account of a payment
// is locked only by the write (see lockAccounts); whatever the mix, no
// transaction may deadlock: PostgreSQL counts deadlocks per database, and
// the count must stay 0 (the ledger retries a deadlock silently, so the
// callers' errors alone would not tell).
func TestHotCollectorMixedTransfersNoDeadlock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	d, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := newSandbox(t, 0)
	u := users(t, d, 9)
	hub, payers := u[0], u[1:]
	activePayments(t, d, hub)
	tok := card(t, p, "4242 4242 4242 4242")

	var mu sync.Mutex
	var paid []db.Transfer
	var wg sync.WaitGroup
	for round := range 6 {
		for _, payer := range payers {
			wg.Go(func() { // payer -> hub, refunded at once while the payer's next payments run
				tr, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: payer, CollectorID: hub, Amount: eur("5"), Token: tok})
				if err != nil {
					t.Errorf("pay the hub: %v", err)
					return
				}
				mu.Lock()
				paid = append(paid, tr)
				mu.Unlock()
				if round%2 == 0 {
					if _, err := d.RefundCardPayment(ctx, p, tr.ID); err != nil {
						t.Errorf("refund: %v", err)
					}
				}
			})
			wg.Go(func() { // hub -> payer
				if _, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: hub, CollectorID: payer, Amount: eur("1"), Token: tok}); err != nil {
					t.Errorf("the hub pays: %v", err)
				}
			})
		}
		wg.Go(func() {
			if _, _, err := d.SettlePending(ctx, p, 20); err != nil {
				t.Errorf("settle: %v", err)
			}
		})
		wg.Go(func() { // refund whatever was paid so far, settled or not
			mu.Lock()
			var pick []db.Transfer
			if len(paid) > round {
				pick = append(pick, paid[round])
			}
			mu.Unlock()
			for _, tr := range pick {
				if _, err := d.RefundCardPayment(ctx, p, tr.ID); err != nil && db.ErrorCode(err) != db.ECONFLICT {
					t.Errorf("refund: %v", err)
				}
			}
		})
		wg.Go(func() {
			if _, _, err := d.Payout(ctx, p, db.PayoutRequest{ID: newID(), UserID: hub, Amount: eur("1"), Destination: "DE89370400440532013000"}); err != nil &&
				db.ErrorCode(err) != db.EINSUFFICIENT {
				t.Errorf("payout: %v", err)
			}
		})
	}
	wg.Wait()
	auditClean(t, d)
	// Closing ends the backends, which flushes their statistics.
	d.Close()
	check, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var deadlocks int64
	if err := check.SQL().Get(&deadlocks, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	if deadlocks != 0 {
		t.Errorf("%d deadlocks", deadlocks)
	}
	if len(paid) != 6*len(payers) {
		t.Errorf("%d of %d payments to the hub went through", len(paid), 6*len(payers))
	}
}
