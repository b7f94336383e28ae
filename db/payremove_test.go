package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
)

// A payment to someone racing their turning payments off: exactly one of
// the two goes through, every round. Either the money lands and the
// removal is refused (pending, or under way), or the removal goes through
// and the payment is refused (before the charge, or under the ledger's
// lock, its charge refunded); never money in the balance of someone whose
// payments are off.
func TestRemovePaymentsRacingAPayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := paySandbox(t)
	payer := readyNamed(t, d, n, "Nina", "Nina Roy", "271828")
	outcomes := map[string]int{}
	for round := 0; round < 6; round++ {
		payee := readyNamed(t, d, n, "Sam", "Sam Martin", "482913")
		if err := db.EnsurePendingAccount(d, payee, "EUR"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var payErr, removeErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, payErr = d.PayLink(ctx, p, db.LinkPayment{PayeeID: payee, PayerID: payer, Amount: money.Money{Amount: decimal.NewFromInt(5), Currency: "EUR"},
				PaymentID: fmt.Sprintf("race-pay-%d-xyz", round), PIN: "271828"})
		}()
		go func() {
			defer wg.Done()
			removeErr = d.RemovePayments(ctx, payee, "482913")
		}()
		wg.Wait()
		var pending decimal.Decimal
		if err := d.SQL().Get(&pending, `SELECT coalesce(sum(balance), 0) FROM ledger_accounts WHERE user_id = $1 AND kind = 'user_pending'`, payee); err != nil {
			t.Fatal(err)
		}
		switch {
		case payErr == nil && db.ErrorCode(removeErr) == db.ECONFLICT:
			outcomes["paid, removal refused: "+db.ReasonOf(removeErr)]++
			if !pending.Equal(decimal.NewFromInt(5)) {
				t.Errorf("round %d: paid, but %s pending", round, pending)
			}
		case removeErr == nil && (db.ReasonOf(payErr) == "pay.not_accepting" || db.ReasonOf(payErr) == "linkpay.not_accepting"):
			// Refused under the ledger's lock, or (the removal done
			// first) by the link's own check of the payee's profile.
			outcomes["removed, payment refused"]++
			if !pending.IsZero() {
				t.Errorf("round %d: payments off with %s pending", round, pending)
			}
		default:
			t.Errorf("round %d: payment %v, removal %v", round, payErr, removeErr)
		}
	}
	t.Logf("outcomes: %v", outcomes)
	checks, err := d.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Errorf("audit: %+v", c)
		}
	}
}
