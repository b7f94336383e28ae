package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// CancelSplit cancels an open split and gives back every payment made for
// it, all in one transaction: card payments refunded in the ledger (from
// the collector's pending money, or their available money once settled),
// cash records reversed, the split marked cancelled, or none of it (say,
// when the collector already withdrew the money). The provider is told of
// the card refunds after commit, each under its refund's id; what it did
// not confirm is told again by TellRefunds, or by the same call again,
// which also gives back any payment still standing. Only the collector may, also once the split is paid in
// full.
func (d *DB) CancelSplit(ctx context.Context, p PaymentProvider, threadID, splitID, collectorID int64) error {
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var sp struct {
			Status        string `db:"status"`
			CollectorID   int64  `db:"payee_id"`
			CollectorName string `db:"collector_name"`
			Title         string `db:"title"`
		}
		err := tx.GetContext(ctx, &sp, `SELECT s.status, s.payee_id, u.display_name AS collector_name, s.title
			FROM splits s JOIN users u ON u.id = s.payee_id WHERE s.id = $1 AND s.group_id = $2 FOR UPDATE OF s`, splitID, threadID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound.New("split")
		}
		if err != nil {
			return err
		}
		if sp.CollectorID != collectorID {
			return ErrCollectorCancels.New(sp.CollectorName)
		}
		if err := d.giveBack(ctx, tx, splitID); err != nil {
			return err
		}
		if sp.Status == SplitCancelled {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE splits SET status = 'cancelled', closed_at = now() WHERE id = $1`, splitID); err != nil {
			return err
		}
		if _, err = insertMessage(ctx, tx, threadID, "system", collectorID, "", &splitID, SystemData{Event: "split_cancelled", Title: sp.Title}); err != nil {
			return err
		}
		return addEvent(ctx, tx, threadID, EventSplit, 0, splitID)
	})
	if err != nil {
		return err
	}
	return d.tellRefunds(ctx, p, splitID)
}

var errRefundsUnconfirmed = NewReason(EUNAVAILABLE, "cancel.refunds_unconfirmed")

// giveBack records, in tx, the refund or reversal of every payment of the
// split's shares that nothing undid yet. The accounts they touch are locked
// first, all at once in the ledger's order, so that whether a card payment
// has settled (and so where its refund comes from) cannot change under it.
func (d *DB) giveBack(ctx context.Context, tx *sqlx.Tx, splitID int64) error {
	var ids []string
	if err := tx.SelectContext(ctx, &ids, `SELECT p.transfer_id FROM share_payments p JOIN shares sh ON sh.id = p.share_id
		WHERE sh.split_id = $1 AND p.undone_by IS NULL AND p.kind <> 'cover' ORDER BY p.transfer_id`, splitID); err != nil {
		return err
	}
	return d.giveBackPayments(ctx, tx, splitID, ids)
}

// giveBackPayments records, in tx, the refund or reversal of the payments
// ids of the split's shares (card refunds to be told to the provider after
// commit), locking their accounts first in the ledger's order.
func (d *DB) giveBackPayments(ctx context.Context, tx *sqlx.Tx, splitID int64, ids []string) error {
	locked, err := lockPaymentAccounts(ctx, tx, ids)
	if err != nil {
		return err
	}
	return d.giveBackLocked(ctx, tx, splitID, locked, ids)
}

// giveBackLocked records, in tx, the refund or reversal of the payments ids,
// whose accounts lockPaymentAccounts locked (locked holds them, loaded).
func (d *DB) giveBackLocked(ctx context.Context, tx *sqlx.Tx, splitID int64, locked lockedPayments, ids []string) error {
	for _, id := range ids {
		t := locked.transfers[id]
		// What it stands for now, read under the locks: an edit may have
		// given part of it back already.
		amount, err := standingOf(ctx, tx, t)
		if err != nil {
			return err
		}
		r := TransferRequest{ID: ReversalID(t.ID), Kind: TransferReversal, From: t.To, To: t.From,
			Amount: amount, PayerID: t.PayerID, Reverses: t.ID}
		if t.Kind == TransferCardPayment {
			r = TransferRequest{ID: RefundID(t.ID), Kind: TransferRefund, From: t.To, To: t.From,
				Amount: amount, Reverses: t.ID, PendingOf: t.ID}
			var settled bool
			if err := tx.GetContext(ctx, &settled, `SELECT EXISTS (SELECT 1 FROM ledger_transfers WHERE pending_of = $1 AND kind = 'settlement')`, t.ID); err != nil {
				return err
			}
			if settled {
				r.From, r.PendingOf = locked.available[t.To], ""
			}
		}
		r, hash := prepare(r)
		o, err := d.applyTransfer(ctx, tx, r, hash)
		if err != nil {
			return ledgerErr(err)
		}
		if o.fail != nil {
			return o.fail
		}
		if r.Kind == TransferRefund {
			if _, err := tx.ExecContext(ctx, `INSERT INTO refunds_to_tell (refund_id, split_id, check_after) VALUES ($1, $2, $3)
				ON CONFLICT DO NOTHING`, r.ID, splitID, d.ledgerTime().Add(refundLease)); err != nil {
				return err
			}
		}
	}
	return nil
}

// lockedPayments are payments whose accounts lockPaymentAccounts locked:
// the transfers by id, and for a card payment its pending account's owner's
// available account (where its refund comes from once it settled).
type lockedPayments struct {
	transfers map[string]Transfer
	available map[int64]int64 // a card payment's pending account -> the same person's available one
}

// lockPaymentAccounts locks, all at once in the ledger's order, the
// accounts that giving back (whole or in part) the payments ids may touch:
// theirs, and for a card payment the collector's available account. It
// returns the payments it read for that, so callers do not read them again.
func lockPaymentAccounts(ctx context.Context, tx *sqlx.Tx, ids []string) (lockedPayments, error) {
	locked := lockedPayments{transfers: map[string]Transfer{}, available: map[int64]int64{}}
	var accts []int64
	for _, id := range ids {
		t, err := loadTransfer(ctx, tx, id)
		if err != nil {
			return locked, err
		}
		locked.transfers[id] = t
		accts = append(accts, t.From, t.To)
		if t.Kind == TransferCardPayment {
			pending, err := loadAccount(ctx, tx, t.To)
			if err != nil {
				return locked, err
			}
			a, err := ensureAccount(ctx, tx, AccountAvailable, pending.UserID, 0, t.Amount.Currency)
			if err != nil {
				return locked, err
			}
			locked.available[t.To] = a.ID
			accts = append(accts, a.ID)
		}
	}
	if len(accts) == 0 {
		return locked, nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM ledger_accounts WHERE id = ANY($1) ORDER BY `+lockRankSQL()+`, id FOR NO KEY UPDATE`,
		pq.Array(accts))
	return locked, err
}

// refundLease is how long a worker owns the refunds it is telling the
// provider about: if it dies, another tells them after this.
const refundLease = 30 * time.Second

// tellRefunds tells the provider of the card refunds of a cancelled split
// it has not confirmed; see tellRefund.
func (d *DB) tellRefunds(ctx context.Context, p PaymentProvider, splitID int64) error {
	var ids []string
	if err := d.x.SelectContext(ctx, &ids, `SELECT refund_id FROM refunds_to_tell WHERE split_id = $1`, splitID); err != nil {
		return err
	}
	for _, id := range ids {
		if err := d.tellRefund(ctx, p, id); err != nil {
			d.log.Error("refund of a cancelled split's payment", "refund", id, "err", err)
			return errRefundsUnconfirmed.New()
		}
	}
	return nil
}

// TellRefunds tells the provider of up to limit card refunds recorded by
// cancels that it has not confirmed, their process having died or the
// provider having failed, and returns how many it told. Several processes
// may run it at once: they lease disjoint refunds.
func (d *DB) TellRefunds(ctx context.Context, p PaymentProvider, limit int) (int, error) {
	now := d.ledgerTime()
	var ids []string
	if err := d.x.SelectContext(ctx, &ids, `UPDATE refunds_to_tell r SET check_after = $2
		FROM (SELECT refund_id FROM refunds_to_tell WHERE check_after <= $1 ORDER BY check_after LIMIT $3 FOR UPDATE SKIP LOCKED) due
		WHERE r.refund_id = due.refund_id RETURNING r.refund_id`, now, now.Add(refundLease), limit); err != nil {
		return 0, err
	}
	told := 0
	for _, id := range ids {
		if err := d.tellRefund(ctx, p, id); err != nil {
			return told, err
		}
		told++
	}
	return told, nil
}

// tellRefund asks the provider to refund the charge of the card payment
// that refund id gives back, under the refund's id as idempotency key (so
// asking twice refunds once), then forgets it.
func (d *DB) tellRefund(ctx context.Context, p PaymentProvider, id string) error {
	refund, err := loadTransfer(ctx, d.x, id)
	if err != nil {
		return err
	}
	of := refund.Reverses
	if refund.Kind == TransferPartRefund {
		of = refund.PartOf
	}
	pay, err := loadTransfer(ctx, d.x, of)
	if err != nil {
		return err
	}
	// The refund's own amount: all the payment stood for, or the part an
	// edit gave back.
	if err := p.Refund(ctx, pay.ProviderRef, refund.Amount, id); err != nil {
		return err
	}
	_, err = d.x.ExecContext(ctx, `DELETE FROM refunds_to_tell WHERE refund_id = $1`, id)
	return err
}

func loadAccount(ctx context.Context, q sqlx.QueryerContext, id int64) (Account, error) {
	var r accountRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+accountColumns+` FROM ledger_accounts WHERE id = $1`, id)
	return r.account(), mapErr(err, "Account")
}
