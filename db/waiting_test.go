package db_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
)

// Money sent to someone who never sets up payments goes back to the sender
// after 14 days, once, and the thread says so; a claim racing the return:
// exactly one of them happens.
func TestWaitingSendClaimOrReturn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := paySandbox(t)
	var offset atomic.Int64
	db.SetClock(d, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
	sam := activePayer(t, d, n)
	lea := payGuest(t, d, "Léa")
	thread := threadOf(t, d, sam, lea)
	eur := money.Money{Amount: decimal.RequireFromString("20"), Currency: "EUR"}
	send := func(id string) db.Sent {
		t.Helper()
		sent, err := d.SendMoney(ctx, p, db.Send{ThreadID: thread, SenderID: sam, RecipientID: lea, Amount: eur, Note: "Taxi",
			PaymentID: id, SkipPIN: true})
		if err != nil {
			t.Fatal(err)
		}
		return sent
	}
	later := int64(db.WaitingFor + time.Hour)

	sent := send("send-wait-0001")
	if !sent.Waiting {
		t.Fatalf("a send to someone without payments is not waiting: %+v", sent)
	}
	if again := send("send-wait-0001"); again.Waiting || again.Transfer.ID != sent.Transfer.ID {
		t.Errorf("a retry: %+v, want the first transfer, not waiting again", again)
	}
	if back, err := d.ReturnUnclaimedSends(ctx, p, 100); err != nil || back != 0 {
		t.Fatalf("before 14 days: %d returned, %v", back, err)
	}
	offset.Store(later)
	if back, err := d.ReturnUnclaimedSends(ctx, p, 100); err != nil || back != 1 {
		t.Fatalf("after 14 days: %d returned, %v; want 1", back, err)
	}
	if back, err := d.ReturnUnclaimedSends(ctx, p, 100); err != nil || back != 0 {
		t.Fatalf("again: %d returned, %v; want 0", back, err)
	}
	if got := countRows(t, d, `SELECT count(*) FROM ledger_transfers WHERE id = $1`, db.RefundID(sent.Transfer.ID)); got != 1 {
		t.Errorf("%d refunds of the send, want 1", got)
	}
	if got := countRows(t, d, `SELECT count(*) FROM messages WHERE data->>'event' = 'send_returned'`); got != 1 {
		t.Errorf("%d 'went back' messages, want 1", got)
	}
	if n, err := d.ClaimWaitingSends(ctx, lea); err != nil || n != 0 {
		t.Errorf("claim after the return: %d, %v; want 0", n, err)
	}

	for round := range 6 {
		offset.Store(0)
		id := send(fmt.Sprintf("send-race-%04d", round)).Transfer.ID
		offset.Store(later)
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; d.ClaimWaitingSends(ctx, lea) }()
		go func() { defer wg.Done(); <-start; d.ReturnUnclaimedSends(ctx, p, 100) }()
		close(start)
		wg.Wait()
		claimed := countRows(t, d, `SELECT count(*) FROM waiting_sends WHERE transfer_id = $1 AND claimed_at IS NOT NULL`, id)
		returned := countRows(t, d, `SELECT count(*) FROM waiting_sends WHERE transfer_id = $1 AND returned_at IS NOT NULL`, id)
		refunds := countRows(t, d, `SELECT count(*) FROM ledger_transfers WHERE id = $1`, db.RefundID(id))
		if claimed+returned != 1 || refunds != returned {
			t.Fatalf("round %d: claimed %d, returned %d, refunds %d; want exactly one, refunded iff returned", round, claimed, returned, refunds)
		}
	}
}
