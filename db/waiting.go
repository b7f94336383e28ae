package db

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// WaitingFor is how long money sent to someone who has not set up payments
// waits for them before it goes back to the sender.
const WaitingFor = 14 * 24 * time.Hour

// waitingRow is a waiting send as claiming or returning it needs it.
type waitingRow struct {
	TransferID  string `db:"transfer_id"`
	ThreadID    int64  `db:"group_id"`
	SenderID    int64  `db:"sender_id"`
	RecipientID int64  `db:"recipient_id"`
	Sender      string `db:"sender"`
	Recipient   string `db:"recipient"`
	Amount      string `db:"amount"`
	Currency    string `db:"currency"`
}

const waitingReturning = `RETURNING w.transfer_id, w.group_id, w.sender_id, w.recipient_id,
	(SELECT display_name FROM users WHERE id = w.sender_id) AS sender,
	(SELECT display_name FROM users WHERE id = w.recipient_id) AS recipient,
	(SELECT amount::text FROM ledger_transfers WHERE id = w.transfer_id) AS amount,
	(SELECT currency FROM ledger_transfers WHERE id = w.transfer_id) AS currency`

// ClaimWaitingSends makes the money sent to userID while they had not set
// up payments theirs for good, and says so in each send's thread. It runs
// when they finish setting up (ActivatePayments); ReturnUnclaimedSends
// runs it again for anyone it missed. A send already returned stays
// returned: of the claim and the return, exactly one happens. A send
// whose card payment the provider voided brought nothing: it is not
// claimed (nor returned).
func (d *DB) ClaimWaitingSends(ctx context.Context, userID int64) (int, error) {
	var rows []waitingRow
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		rows = nil
		if err := tx.SelectContext(ctx, &rows, `UPDATE waiting_sends w SET claimed_at = $2
			WHERE w.recipient_id = $1 AND w.claimed_at IS NULL AND w.returned_at IS NULL
			  AND NOT EXISTS (SELECT 1 FROM ledger_transfers v WHERE v.pending_of = w.transfer_id AND v.kind = 'void') `+waitingReturning,
			userID, d.ledgerTime()); err != nil {
			return err
		}
		for _, w := range rows {
			if _, err := insertMessage(ctx, tx, w.ThreadID, "system", w.RecipientID, "", nil,
				SystemData{Event: "send_claimed", Title: w.Sender, StoredAmount: StoredAmount{Amount: w.Amount, Currency: w.Currency}}); err != nil {
				return err
			}
		}
		return nil
	})
	return len(rows), err
}

// ReturnUnclaimedSends gives back to the sender's card the money that
// waited WaitingFor without its recipient setting up payments: the card
// payment's refund (once, by its id), and a message in the thread, seen in
// both people's histories. Money of a recipient who has set up meanwhile
// is claimed instead. It is idempotent and resumable: a return whose
// refund did not finish (a crash, the provider away) is finished by the
// next run. It returns how many sends it gave back.
func (d *DB) ReturnUnclaimedSends(ctx context.Context, p PaymentProvider, limit int) (int, error) {
	var ready []int64
	if err := d.x.SelectContext(ctx, &ready, `SELECT DISTINCT w.recipient_id FROM waiting_sends w
		JOIN payment_profiles pp ON pp.user_id = w.recipient_id AND pp.active
		WHERE w.claimed_at IS NULL AND w.returned_at IS NULL LIMIT $1`, limit); err != nil {
		return 0, err
	}
	for _, u := range ready {
		if _, err := d.ClaimWaitingSends(ctx, u); err != nil {
			return 0, err
		}
	}
	now := d.ledgerTime()
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var rows []waitingRow
		if err := tx.SelectContext(ctx, &rows, `UPDATE waiting_sends w SET returned_at = $1
			WHERE w.transfer_id IN (
				SELECT transfer_id FROM waiting_sends x
				WHERE x.expires_at <= $1 AND x.claimed_at IS NULL AND x.returned_at IS NULL
				  AND NOT EXISTS (SELECT 1 FROM payment_profiles pp WHERE pp.user_id = x.recipient_id AND pp.active)
				ORDER BY x.expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
			  AND w.claimed_at IS NULL AND w.returned_at IS NULL `+waitingReturning, now, limit); err != nil {
			return err
		}
		for _, w := range rows {
			if _, err := insertMessage(ctx, tx, w.ThreadID, "system", w.SenderID, "", nil,
				SystemData{Event: "send_returned", Title: w.Recipient, StoredAmount: StoredAmount{Amount: w.Amount, Currency: w.Currency}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	// The refunds, of this run's returns and of any an earlier run left
	// unfinished. A payment the provider voided has nothing to give back.
	var due []string
	if err := d.x.SelectContext(ctx, &due, `SELECT w.transfer_id FROM waiting_sends w
		WHERE w.returned_at IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = w.transfer_id OR (r.pending_of = w.transfer_id AND r.kind = 'void'))
		ORDER BY w.returned_at LIMIT $1`, limit); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range due {
		if _, err := d.RefundCardPayment(ctx, p, id); err != nil {
			d.log.Warn("give back a send nobody claimed", "transfer", id, "err", err)
			continue
		}
		n++
	}
	return n, nil
}

// Where a send that waited for its recipient stands, for its card in the
// thread (which says it waits while it does).
const (
	SendWaiting  = "waiting"
	SendClaimed  = "claimed"  // the recipient set up payments: it is theirs
	SendReturned = "returned" // given back to the sender's card
	SendVoided   = "voided"   // the card payment did not go through: nothing was sent
)

// SendOutcomes says, for each of the card payments ids that waited for
// their recipient, where it stands now (SendWaiting... SendVoided); ids
// that never waited are left out.
func (d *DB) SendOutcomes(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID    string `db:"transfer_id"`
		State string `db:"state"`
	}
	err := d.x.SelectContext(ctx, &rows, `SELECT w.transfer_id, CASE
			WHEN w.claimed_at IS NOT NULL THEN 'claimed'
			WHEN EXISTS (SELECT 1 FROM ledger_transfers v WHERE v.pending_of = w.transfer_id AND v.kind = 'void') THEN 'voided'
			WHEN w.returned_at IS NOT NULL OR EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = w.transfer_id) THEN 'returned'
			ELSE 'waiting' END AS state
		FROM waiting_sends w WHERE w.transfer_id = ANY($1)`, pq.Array(ids))
	for _, r := range rows {
		out[r.ID] = r.State
	}
	return out, err
}
