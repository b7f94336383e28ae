package db_test

import (
	"context"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// stuckProvider answers every settlement question by waiting until its
// caller gives up: a worker that claimed payments and then died.
type stuckProvider struct {
	db.PaymentProvider
	asked chan struct{}
}

func (p *stuckProvider) SettlementStatus(ctx context.Context, chargeID string) (db.SettlementStatus, error) {
	select {
	case p.asked <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return "", ctx.Err()
}

// Card payments claimed for settlement by a process that died are settled
// by another within seconds, not after a one-minute lease.
func TestSettleAfterWorkerDies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.URL(t)
	live, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	p := newSandbox(t, 0)
	u := users(t, live, 3)
	tok := card(t, p, "4242 4242 4242 4242")
	for _, payer := range u[1:] {
		for range 3 {
			if _, err := live.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: payer, CollectorID: u[0], Amount: eur("5"), Token: tok}); err != nil {
				t.Fatal(err)
			}
		}
	}

	// The doomed worker, on its own connections, claims every payment and
	// dies while asking the provider about the first.
	doomed, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	stuck := &stuckProvider{PaymentProvider: p, asked: make(chan struct{}, 1)}
	dctx, die := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		doomed.SettlePending(dctx, stuck, 100)
	}()
	<-stuck.asked
	die()
	<-done
	doomed.Close()
	if n := count(t, live, `SELECT count(*) FROM ledger_pending WHERE check_after > now()`); n != 6 {
		t.Fatalf("%d payments leased by the dead worker; want 6", n)
	}

	start := time.Now()
	posted := 0
	for posted < 6 && time.Since(start) < 30*time.Second {
		n, _, err := live.SettlePending(ctx, p, 100)
		if err != nil {
			t.Fatal(err)
		}
		posted += n
		time.Sleep(200 * time.Millisecond)
	}
	if took := time.Since(start); posted != 6 || took > 12*time.Second {
		t.Fatalf("%d of 6 payments settled after %v; want all within 12 s of the worker's death", posted, took.Round(time.Second))
	}
	auditClean(t, live)
}
