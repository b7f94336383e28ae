package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errTransferCurrency    = NewReason(EINVALID, "transfer.currency", "currency")
	errTransferDirection   = NewReason(EINVALID, "transfer.direction", "kind", "from", "to")
	errSendSelf            = NewReason(EINVALID, "send.self")
	errCashGroup           = NewReason(EINVALID, "cash.group")
	errTransferPayer       = NewReason(EINVALID, "transfer.payer")
	errInsufficientBalance = NewReason(EINSUFFICIENT, "funds.insufficient_balance", "balance", "amount")
	errNoPendingPayment    = NewReason(ENOTFOUND, "pending.missing", "id")
	errPendingNotCard      = NewReason(EINVALID, "pending.not_card", "id", "kind")
	errPendingResolved     = NewReason(ECONFLICT, "pending.resolved", "id", "kind", "by")
	errPendingWhole        = NewReason(EINVALID, "pending.whole", "amount")
	errSettlementDirection = NewReason(EINVALID, "settlement.direction")
	errVoidDirection       = NewReason(EINVALID, "void.direction")
	errNothingToUndo       = NewReason(ENOTFOUND, "undo.missing", "id")
	errAlreadyUndone       = NewReason(ECONFLICT, "undo.done", "id", "by")
	errUndoWhole           = NewReason(EINVALID, "undo.whole", "amount")
	errNoReversal          = NewReason(EINVALID, "reversal.kind", "kind")
	errReversalDirection   = NewReason(EINVALID, "reversal.direction")
	errRefundDirection     = NewReason(EINVALID, "refund.direction")
	errRefundVoided        = NewReason(ECONFLICT, "refund.voided")
	errRefundPending       = NewReason(EINVALID, "refund.pending")
	errRefundAvailable     = NewReason(EINVALID, "refund.available")
)

// moves lists, per kind, the account kinds money leaves and enters. A
// reversal moves between whatever accounts its original did, swapped.
var moves = map[TransferKind][2]AccountKind{
	TransferDeposit:     {AccountEquity, AccountAvailable},
	TransferSend:        {AccountAvailable, AccountAvailable},
	TransferCardPayment: {AccountClearing, AccountPending},
	TransferSettlement:  {AccountPending, AccountAvailable},
	TransferVoid:        {AccountPending, AccountClearing},
	TransferCash:        {AccountMemo, AccountMemo},
	TransferPayout:      {AccountAvailable, AccountPayouts},
}

// reversible lists the kinds a reversal may undo. Card money has its own
// way back: a void before settlement, a refund after.
var reversible = map[TransferKind]bool{
	TransferDeposit: true, TransferSend: true, TransferCash: true, TransferPayout: true,
}

// checkTransfer applies the rules of r's kind to the locked accounts. It
// returns the refusal, or an error when it could not tell.
// A card payment's reference rate, read with its checks, goes in capRate.
func (d *DB) checkTransfer(ctx context.Context, tx sqlx.QueryerContext, r TransferRequest, from, to Account, now time.Time,
	capRate *decimal.NullDecimal) (*Error, error) {
	if from.Currency != r.Amount.Currency || to.Currency != r.Amount.Currency {
		return errTransferCurrency.New(r.Amount.Currency), nil
	}
	if k, ok := moves[r.Kind]; ok && (from.Kind != k[0] || to.Kind != k[1]) {
		return errTransferDirection.New(r.Kind, k[0], k[1]), nil
	}
	switch r.Kind {
	case TransferSend:
		if from.UserID == to.UserID {
			return errSendSelf.New(), nil
		}
	case TransferCardPayment:
		if from.UserID == to.UserID {
			return errPaySelf.New(), nil
		}
	case TransferCash:
		if from.ThreadID != to.ThreadID || from.UserID == to.UserID {
			return errCashGroup.New(), nil
		}
	case TransferSettlement, TransferVoid:
		if e, err := checkResolution(ctx, tx, r, from, to); err != nil || e != nil {
			return e, err
		}
	case TransferRefund, TransferReversal:
		if e, err := checkReversal(ctx, tx, r, from, to); err != nil || e != nil {
			return e, err
		}
	}
	if r.PayerID != 0 && from.UserID != 0 && r.Kind != TransferReversal && r.Kind != TransferRefund && r.PayerID != from.UserID {
		return errTransferPayer.New(), nil
	}
	if r.Kind == TransferCardPayment {
		// RemovePayments holds the payee's lock exclusively from before
		// its checks to its commit: a payment takes it shared, with its
		// accounts (lockCardAccountsSQL), a statement before this read,
		// so the read (a new snapshot) sees a removal that committed, and
		// a removal waits for a payment that got here first and then
		// finds its money pending. The collector's pending account is
		// locked only by the credit, too late for that.
		//
		// The share, the balance and the caps, with one read.
		var st struct {
			capState
			SharePaid    bool           `db:"share_paid"`
			CollectorOff sql.NullString `db:"collector_off"`
		}
		if err := sqlx.GetContext(ctx, tx, &st, selectCardChecks, r.PayerID, r.Amount.Currency, now.Add(-capWindow), nullID(r.ShareID),
			to.UserID); err != nil {
			return nil, err
		}
		*capRate = st.Rate
		if st.SharePaid {
			return ErrSharePaid.New(), nil
		}
		// Read under the lock of the collector's pending account, which
		// RemovePayments takes too: a payment racing the removal either
		// lands before it (and the removal sees it pending) or is refused
		// here (and its charge refunded).
		if st.CollectorOff.Valid {
			return errNotAccepting.New(st.CollectorOff.String), nil
		}
		if !from.MayGoNegative && from.Balance.LessThan(r.Amount.Amount) {
			return errInsufficientBalance.New(from.money(from.Balance), r.Amount), nil
		}
		return capsVerdict(ctx, tx, st.capState, r.PayerID, r.Amount, now)
	}
	if r.ShareID != 0 {
		var by string
		err := sqlx.GetContext(ctx, tx, &by, `SELECT transfer_id FROM share_payments WHERE share_id = $1 AND undone_by IS NULL
			AND (kind = 'cover' OR part = `+sharePartSQL+`) LIMIT 1`, r.ShareID)
		if err == nil {
			return ErrSharePaid.New(), nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	if !from.MayGoNegative && from.Balance.LessThan(r.Amount.Amount) {
		return errInsufficientBalance.New(from.money(from.Balance), r.Amount), nil
	}
	return nil, nil
}

// selectCardChecks is what a card payment is checked against: the caps
// (capStateColumns), whether share $4 (if any) is paid already (covered,
// or paid for the part this payment takes), and the
// collector $5's name if they turned payments off (payremove.go).
const selectCardChecks = `SELECT ` + capStateColumns + `,
	EXISTS (SELECT 1 FROM share_payments WHERE share_id = $4 AND undone_by IS NULL
	        AND (kind = 'cover' OR part = ` + sharePartSQL + `)) AS share_paid,
	(SELECT u.display_name FROM payments_removed r JOIN users u ON u.id = r.user_id WHERE r.user_id = $5) AS collector_off`

// sharePartSQL is the part of its share a payment in this transaction
// takes (migration 241): set by the share payment's hook with what is left
// to pay, 1 (a share's first payment) when not set. Another live payment
// of the same part means the share was paid from the same reading.
const sharePartSQL = `coalesce(nullif(current_setting('divvy.share_part', true), '')::int, 1)`

// checkResolution checks a settlement or void against the card payment it
// resolves: the same money, between the same people, resolved only once.
func checkResolution(ctx context.Context, tx sqlx.QueryerContext, r TransferRequest, from, to Account) (*Error, error) {
	p, err := loadTransfer(ctx, tx, r.PendingOf)
	if ErrorCode(err) == ENOTFOUND {
		return errNoPendingPayment.New(r.PendingOf), nil
	}
	if err != nil {
		return nil, err
	}
	if p.Kind != TransferCardPayment {
		return errPendingNotCard.New(p.ID, p.Kind), nil
	}
	var by struct {
		ID   string `db:"id"`
		Kind string `db:"kind"`
	}
	err = sqlx.GetContext(ctx, tx, &by, `SELECT id, kind FROM ledger_transfers WHERE pending_of = $1`, p.ID)
	if err == nil {
		return errPendingResolved.New(p.ID, by.Kind, by.ID), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	// All it stands for: its amount less what edits gave back of it.
	standing, err := standingOf(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	if !standing.Amount.Equal(r.Amount.Amount) && p.Amount.Amount.Equal(r.Amount.Amount) {
		return nil, errResolutionRace
	}
	if !standing.Amount.Equal(r.Amount.Amount) || p.Amount.Currency != r.Amount.Currency || from.ID != p.To {
		return errPendingWhole.New(standing), nil
	}
	if r.Kind == TransferSettlement && to.UserID != from.UserID {
		return errSettlementDirection.New(), nil
	}
	if r.Kind == TransferVoid && to.ID != p.From {
		return errVoidDirection.New(), nil
	}
	return nil, nil
}

// checkReversal checks a refund or reversal against the transfer it undoes:
// all of it, back where it came from, once.
func checkReversal(ctx context.Context, tx sqlx.QueryerContext, r TransferRequest, from, to Account) (*Error, error) {
	o, err := loadTransfer(ctx, tx, r.Reverses)
	if ErrorCode(err) == ENOTFOUND {
		return errNothingToUndo.New(r.Reverses), nil
	}
	if err != nil {
		return nil, err
	}
	var by string
	err = sqlx.GetContext(ctx, tx, &by, `SELECT id FROM ledger_transfers WHERE reverses = $1`, o.ID)
	if err == nil {
		return errAlreadyUndone.New(o.ID, by), nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	standing, err := standingOf(ctx, tx, o)
	if err != nil {
		return nil, err
	}
	if !standing.Amount.Equal(r.Amount.Amount) && o.Amount.Amount.Equal(r.Amount.Amount) {
		// Asked for all it stood for a moment ago: an edit gave part of
		// it back since.
		return nil, errRefundRace
	}
	if !standing.Amount.Equal(r.Amount.Amount) || o.Amount.Currency != r.Amount.Currency {
		return errUndoWhole.New(standing), nil
	}
	if r.Kind == TransferReversal {
		if !reversible[o.Kind] {
			return errNoReversal.New(o.Kind), nil
		}
		if from.ID != o.To || to.ID != o.From {
			return errReversalDirection.New(), nil
		}
		return nil, nil
	}
	if o.Kind != TransferCardPayment {
		return errRefundNotCard.New(o.ID, o.Kind), nil
	}
	if to.ID != o.From {
		return errRefundDirection.New(), nil
	}
	var resolution string
	err = sqlx.GetContext(ctx, tx, &resolution, `SELECT kind FROM ledger_transfers WHERE pending_of = $1`, o.ID)
	resolved := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	switch {
	case resolved && TransferKind(resolution) == TransferVoid:
		return errRefundVoided.New(), nil
	case resolved != (r.PendingOf == ""):
		// The payment settled since the caller looked.
		return nil, errRefundRace
	case !resolved && from.ID != o.To:
		return errRefundPending.New(), nil
	}
	if resolved {
		var collector int64
		if err := sqlx.GetContext(ctx, tx, &collector, `SELECT user_id FROM ledger_accounts WHERE id = $1`, o.To); err != nil {
			return nil, err
		}
		if from.Kind != AccountAvailable || from.UserID != collector {
			return errRefundAvailable.New(), nil
		}
	}
	return nil, nil
}

// errRefundRace: a refund was asked for a card payment in the state it had
// a moment ago. Not a final failure: RefundCardPayment looks again.
var errRefundRace = errors.New("the card payment changed state during the refund")
