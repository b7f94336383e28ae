package db_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
)

// The bank test: 16 workers move money at random among 50 funded accounts.
// No transfer may fail but for insufficient funds, the total must not move,
// and the audit must find nothing.
func TestBank(t *testing.T) {
	t.Parallel()
	const (
		accounts  = 50
		workers   = 16
		transfers = 4000
		funding   = 1000
	)
	ctx := context.Background()
	d := dbtest.New(t)
	people := users(t, d, accounts)
	ids := make([]int64, accounts)
	for i, u := range people {
		ids[i] = fund(t, d, u, eur("1000")).ID
	}

	var next, done, refused atomic.Int64
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= transfers {
				i := rand.IntN(accounts)
				j := (i + 1 + rand.IntN(accounts-1)) % accounts
				amount := eur(decimal.New(int64(1+rand.IntN(5000)), -2).String())
				_, err := d.RecordTransfer(ctx, db.TransferRequest{ID: newID(), Kind: db.TransferSend,
					From: ids[i], To: ids[j], Amount: amount, PayerID: people[i]})
				switch db.ErrorCode(err) {
				case "":
					done.Add(1)
				case db.EINSUFFICIENT:
					refused.Add(1)
				default:
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatalf("transfer: %v", err)
	}
	t.Logf("bank: %d transfers (%d refused for insufficient funds) by %d workers over %d accounts in %v: %.0f transfers/s",
		done.Load(), refused.Load(), workers, accounts, elapsed.Round(time.Millisecond),
		float64(done.Load()+refused.Load())/elapsed.Seconds())

	var total decimal.Decimal
	if err := d.SQL().Get(&total, `SELECT sum(balance) FROM ledger_accounts WHERE kind = 'user_available'`); err != nil {
		t.Fatal(err)
	}
	if want := decimal.NewFromInt(accounts * funding); !total.Equal(want) {
		t.Errorf("total = %s, want %s", total, want)
	}
	var n int64
	d.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers WHERE kind = 'transfer'`)
	if n != done.Load() {
		t.Errorf("%d transfers recorded, %d reported", n, done.Load())
	}
	checks := auditClean(t, d)
	if len(checks) == 0 || checks[0].Checked < transfers/2 {
		t.Errorf("audit checked too little: %+v", checks)
	}
}
