package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Partial refunds (migrations/240_share_part_refunds.sql). When an edit
// lowers a paid share, the payment stays and only the excess goes back to
// the payer: a part_refund transfer, the same way as the payment's whole
// refund (card) or reversal (cash) would go, for part of its amount. What
// a payment still stands for, its standing, is its amount less its partial
// refunds: what it pays of its share, moves in the positions, and what its
// settlement, void, refund or reversal moves.

// errEditRetry: a payment of the split changed state (settled, voided) while
// an edit was giving part of it back; the edit is refused, nothing changed.
var errEditRetry = NewReason(ECONFLICT, "split.edit_retry")

// partsOf returns what the partial refunds of payment id gave back, and
// how many there are.
func partsOf(ctx context.Context, q sqlx.QueryerContext, id string) (decimal.Decimal, int, error) {
	var r struct {
		Sum decimal.Decimal `db:"sum"`
		N   int             `db:"n"`
	}
	err := sqlx.GetContext(ctx, q, &r, `SELECT coalesce(sum(amount), 0) AS sum, count(*) AS n FROM ledger_transfers
		WHERE part_of = $1 AND kind = 'part_refund'`, id)
	return r.Sum, r.N, err
}

// standingOf is what payment t still stands for: its amount less what its
// partial refunds gave back.
func standingOf(ctx context.Context, q sqlx.QueryerContext, t Transfer) (money.Money, error) {
	parts, _, err := partsOf(ctx, q, t.ID)
	if err != nil {
		return money.Money{}, err
	}
	return atScale(t.Amount.Amount.Sub(parts), t.Amount.Currency), nil
}

// writePartRefundSQL writes a partial refund ($1) of payment $6 and its two
// entries (from account $8 to $9), and moves the two balances.
const writePartRefundSQL = `
	WITH t AS (
		INSERT INTO ledger_transfers (id, kind, currency, minor, amount, payer_user_id, split_id, part_of, request_hash, created_at)
		VALUES ($1, 'part_refund', $2, $3, $4, $5, $7, $6, 'part_refund', $10)
		RETURNING id
	), legs (account_id, amount) AS (
		SELECT * FROM unnest(ARRAY[$8, $9]::bigint[], ARRAY['-' || $4, $4]::numeric[])
	), entries AS (
		INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
		SELECT t.id, legs.account_id, $2, $3, legs.amount FROM t, legs
	)
	UPDATE ledger_accounts a SET balance = a.balance + legs.amount
	FROM legs WHERE a.id = legs.account_id`

// partRefund records, in tx, that amount of payment t (a live card payment
// or cash mark of a share of split splitID) goes back to the payer, and
// returns its id: from the collector's pending money while the card
// payment is pending, from their available money once it settled (EINSUFFICIENT
// when they no longer have it); for cash, from their memo account, and
// since they still hold that cash, the balances then say they owe it to
// the payer (a position transfer "pos:<id>"). amount is
// less than what t stands for: giving all of it back is its refund or
// reversal. A card refund is told to the provider after commit
// (refunds_to_tell). The caller holds the split's lock.
func (d *DB) partRefund(ctx context.Context, tx *sqlx.Tx, splitID int64, t Transfer, amount money.Money) (string, error) {
	from, to := t.To, t.From
	accts := []int64{t.From, t.To}
	var avail int64
	if t.Kind == TransferCardPayment {
		pending, err := loadAccount(ctx, tx, t.To)
		if err != nil {
			return "", err
		}
		a, err := ensureAccount(ctx, tx, AccountAvailable, pending.UserID, 0, t.Amount.Currency)
		if err != nil {
			return "", err
		}
		avail = a.ID
		accts = append(accts, avail)
	} else if t.Kind != TransferCash {
		return "", fmt.Errorf("db: a partial refund of a %s", t.Kind)
	}
	// Locked in the ledger's order, as every transfer does; a settlement or
	// void of the payment locks its pending account too, so whether it is
	// pending cannot change below.
	if _, err := tx.ExecContext(ctx, `SELECT id FROM ledger_accounts WHERE id = ANY($1) ORDER BY `+lockRankSQL()+`, id FOR NO KEY UPDATE`,
		pq.Array(accts)); err != nil {
		return "", err
	}
	var state struct {
		Undone  bool `db:"undone"`
		Settled bool `db:"settled"`
	}
	if err := tx.GetContext(ctx, &state, `SELECT
		EXISTS (SELECT 1 FROM ledger_transfers WHERE reverses = $1 OR (pending_of = $1 AND kind IN ('void', 'refund'))) AS undone,
		EXISTS (SELECT 1 FROM ledger_transfers WHERE pending_of = $1 AND kind = 'settlement') AS settled`, t.ID); err != nil {
		return "", err
	}
	if state.Undone {
		return "", errEditRetry.New()
	}
	if state.Settled {
		from = avail
	}
	parts, n, err := partsOf(ctx, tx, t.ID)
	if err != nil {
		return "", err
	}
	if !amount.IsPositive() || amount.Amount.GreaterThanOrEqual(t.Amount.Amount.Sub(parts)) {
		return "", fmt.Errorf("db: a partial refund of %s of %s, which stands for %s", amount, t.ID, t.Amount.Amount.Sub(parts))
	}
	src, err := loadAccount(ctx, tx, from)
	if err != nil {
		return "", err
	}
	if !src.MayGoNegative && src.Balance.LessThan(amount.Amount) {
		return "", errInsufficientBalance.New(src.money(src.Balance), amount)
	}
	c, _ := money.LookupCurrency(amount.Currency)
	id := PartRefundID(n+1, t.ID)
	if _, err := tx.ExecContext(ctx, writePartRefundSQL, id, c.Code, c.Minor, amount.Amount.StringFixed(c.Minor), nullID(t.PayerID),
		t.ID, nullID(splitID), from, to, d.ledgerTime()); err != nil {
		return "", ledgerErr(err)
	}
	noteSplit(tx, splitID)
	if t.Kind == TransferCash {
		// The cash no longer pays the share, but the collector still holds
		// it: the balances say they owe it back to the payer (settled up
		// like any other debt), by a position transfer of its own.
		collector, err := loadAccount(ctx, tx, t.To)
		if err != nil {
			return "", err
		}
		thread := collector.ThreadID
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM groups WHERE id = $1 FOR NO KEY UPDATE`, thread); err != nil {
			return "", err
		}
		legs := []positionLeg{{UserID: t.PayerID, Amount: amount.Amount}, {UserID: collector.UserID, Amount: amount.Amount.Neg()}}
		if err := d.writePositions(ctx, tx, "pos:"+id, thread, 0, amount.Currency, legs, true); err != nil {
			return "", err
		}
	}
	if t.Kind == TransferCardPayment {
		if _, err := tx.ExecContext(ctx, `INSERT INTO refunds_to_tell (refund_id, split_id, check_after) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, splitID, d.ledgerTime().Add(refundLease)); err != nil {
			return "", err
		}
	}
	return id, nil
}

// errResolutionRace: a settlement or void was asked for what a card
// payment stood for a moment ago, and a partial refund changed it since.
// Not a final failure: the settlement loop looks again.
var errResolutionRace = errors.New("a partial refund changed the card payment during its settlement")
