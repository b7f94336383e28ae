package db_test

import (
	"context"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// The ledger on a Citus cluster (coordinator and two workers; skipped
// without one, except in CI: see dbtest.CitusURL): the concurrency tests,
// the append-only rule held by the row triggers alone (Citus does not copy
// statement triggers to the shards), and a paid split whose shares live
// on a worker while its money is on the coordinator, audited clean.
func TestLedgerOnCitus(t *testing.T) {
	t.Parallel()
	d := dbtest.NewCitus(t)
	t.Run("DoubleSubmit", func(t *testing.T) { doubleSubmit(t, d) })
	t.Run("OverSubscription", func(t *testing.T) { overSubscription(t, d) })
	t.Run("ReverseDirectionNoDeadlock", func(t *testing.T) { reverseDirectionNoDeadlock(t, d) })
	t.Run("AppendOnly", func(t *testing.T) {
		ctx := context.Background()
		u := users(t, d, 2)
		fund(t, d, u[0], eur("100"))
		dep, err := d.Send(ctx, newID(), u[0], u[1], eur("10"))
		if err != nil {
			t.Fatal(err)
		}
		_, split, share := newSplit(t, d, u[1], u[:1], "20")
		clearing, _ := d.UserAccount(ctx, u[0], db.AccountClearing, "EUR")
		pending, _ := d.UserAccount(ctx, u[1], db.AccountPending, "EUR")
		if _, err := d.RecordTransfer(ctx, db.TransferRequest{ID: db.CardPaymentID(u[0], newID()), Kind: db.TransferCardPayment,
			From: clearing.ID, To: pending.ID, Amount: eur("20"), PayerID: u[0], SplitID: split, ShareID: share[0], ProviderRef: "ch_test"}); err != nil {
			t.Fatal(err)
		}
		ledgerAppendOnlyRows(t, d, dep)
		for _, table := range []string{"ledger_transfers", "ledger_entries", "ledger_attempts"} {
			mustFail(t, d, "truncate "+table, "append-only", `TRUNCATE `+table+` CASCADE`)
		}
		auditClean(t, d)
	})
}
