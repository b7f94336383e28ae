package db_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
)

// The process dies after a send's card was charged and before the ledger
// recorded it: reconciliation records the money and, with it, what the
// send itself would have (its card in the thread with its event, and the
// waiting record for a recipient without payments), once.
func TestSendKilledBeforeRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := paySandbox(t)
	var offset atomic.Int64
	db.SetClock(d, func() time.Time { return time.Now().Add(time.Duration(offset.Load())) })
	sam := activePayer(t, d, n)
	lea := payGuest(t, d, "Léa")
	thread := threadOf(t, d, sam, lea)
	in := db.Send{ThreadID: thread, SenderID: sam, RecipientID: lea, Note: "Taxi", PaymentID: "send-crash-0001", SkipPIN: true,
		Amount: money.Money{Amount: decimal.RequireFromString("20"), Currency: "EUR"}}

	killAt(d, "charged")
	if _, err := d.SendMoney(ctx, p, in); !errors.Is(err, errKilled) {
		t.Fatalf("send = %v; want the kill", err)
	}
	db.SetFaults(d, nil)
	if got := countRows(t, d, `SELECT count(*) FROM messages WHERE kind = 'payment'`); got != 0 {
		t.Fatalf("%d payment messages before reconciliation", got)
	}

	offset.Store(int64(2 * time.Minute))
	for round := range 2 {
		if got, err := d.ReconcileIntents(ctx, p, 10); err != nil || got != 1-round {
			t.Fatalf("round %d: ReconcileIntents = %d, %v; want %d", round, got, err, 1-round)
		}
		id := db.CardPaymentID(sam, in.PaymentID)
		for what, q := range map[string]string{
			"card payments":      `SELECT count(*) FROM ledger_transfers WHERE id = $1`,
			"payment cards":      `SELECT count(*) FROM messages WHERE kind = 'payment' AND data->>'transfer_id' = $1 AND data->>'method' = 'send' AND data->>'note' = 'Taxi' AND (data->>'waiting')::bool`,
			"card events":        `SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id WHERE m.data->>'transfer_id' = $1`,
			"waiting records":    `SELECT count(*) FROM waiting_sends WHERE transfer_id = $1 AND recipient_id IS NOT NULL`,
			"intents still open": `SELECT 1 - count(*) FROM ledger_intents_open WHERE id = $1`,
		} {
			if got := countRows(t, d, q, id); got != 1 {
				t.Errorf("round %d: %s: %d, want 1", round, what, got)
			}
		}
	}
	// The sender's retry of the same form: the recorded send, nothing new.
	again, err := d.SendMoney(ctx, p, in)
	if err != nil || again.MessageID != 0 || again.Transfer.ID != db.CardPaymentID(sam, in.PaymentID) {
		t.Fatalf("retry = %+v, %v", again, err)
	}
	if got := countRows(t, d, `SELECT count(*) FROM messages WHERE kind = 'payment'`); got != 1 {
		t.Errorf("%d payment messages after the retry, want 1", got)
	}
	if n := auditViolations(t, d, "intents_resolved"); n != 0 {
		t.Errorf("audit: %d open intents", n)
	}
}
