package db

import (
	"context"
	"database/sql"
	"errors"

	"divvy/db/money"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errPayoutRefusedWhy = NewReason(EDECLINED, "payout.refused_why", "why")
)

// Deposit credits a user's available balance from equity: funding for
// tests and load runs, and manual adjustments. id is the idempotency key.
func (d *DB) Deposit(ctx context.Context, id string, userID int64, amount money.Money) (Transfer, error) {
	from, err := ensureAccount(ctx, d.x, AccountEquity, 0, 0, amount.Currency)
	if err != nil {
		return Transfer{}, err
	}
	to, err := ensureAccount(ctx, d.x, AccountAvailable, userID, 0, amount.Currency)
	if err != nil {
		return Transfer{}, err
	}
	return d.RecordTransfer(ctx, TransferRequest{ID: id, Kind: TransferDeposit, From: from.ID, To: to.ID, Amount: amount})
}

// Send moves money from one user's available balance to another's.
func (d *DB) Send(ctx context.Context, id string, fromUser, toUser int64, amount money.Money) (Transfer, error) {
	from, err := ensureAccount(ctx, d.x, AccountAvailable, fromUser, 0, amount.Currency)
	if err != nil {
		return Transfer{}, err
	}
	to, err := ensureAccount(ctx, d.x, AccountAvailable, toUser, 0, amount.Currency)
	if err != nil {
		return Transfer{}, err
	}
	return d.RecordTransfer(ctx, TransferRequest{ID: id, Kind: TransferSend, From: from.ID, To: to.ID,
		Amount: amount, PayerID: fromUser})
}

// CashPayment records that the payer paid the collector outside Divvy (cash,
// a bank transfer), in a thread, usually for a share.
type CashPayment struct {
	ID          string
	PayerID     int64
	CollectorID int64
	ThreadID    int64
	Amount      money.Money
	SplitID     int64 // optional
	ShareID     int64 // optional; a share is paid at most once
	// Then runs in the transaction that records it; see TransferRequest.Then.
	Then TransferHook
}

// RecordCash records a cash payment between the memo accounts of the payer
// and collector in the thread: no money moves in Divvy, but the share counts as
// paid and the record balances like any other.
func (d *DB) RecordCash(ctx context.Context, c CashPayment) (Transfer, error) {
	from, err := ensureAccount(ctx, d.x, AccountMemo, c.PayerID, c.ThreadID, c.Amount.Currency)
	if err != nil {
		return Transfer{}, err
	}
	to, err := ensureAccount(ctx, d.x, AccountMemo, c.CollectorID, c.ThreadID, c.Amount.Currency)
	if err != nil {
		return Transfer{}, err
	}
	return d.RecordTransfer(ctx, TransferRequest{ID: c.ID, Kind: TransferCash, From: from.ID, To: to.ID, Then: c.Then,
		Amount: c.Amount, PayerID: c.PayerID, SplitID: c.SplitID, ShareID: c.ShareID})
}

// PayoutRequest asks to send money from a user's available balance to their
// bank account.
type PayoutRequest struct {
	ID          string // the idempotency key, also given to the provider
	UserID      int64
	Amount      money.Money
	Destination string // an IBAN; not part of the idempotency check
}

// Payout sends money from the user's available balance to their bank and
// returns the transfer and the provider's payout id. The ledger is written
// first, with the payout's intent (so the balance is checked and held under
// its lock), then the provider is called with the transfer id as
// idempotency key, then its confirmation is recorded; ReconcileIntents
// finishes a payout whose process died on the way. If the
// provider refuses the payout for good, a reversal puts the money back and
// the id stays failed (EDECLINED); if it cannot be reached, the error says
// so and the same call again (same id) retries the provider only.
func (d *DB) Payout(ctx context.Context, p PaymentProvider, r PayoutRequest) (Transfer, string, error) {
	// Checked before anything is written: a payout that cannot reach a bank
	// never takes the money, even for a moment.
	if !ValidIBAN(r.Destination) {
		return Transfer{}, "", ErrPayoutIBAN.New()
	}
	r.Destination = NormalizeIBAN(r.Destination)
	if err := d.requireActivePayments(ctx, r.UserID); err != nil {
		return Transfer{}, "", err
	}
	from, err := ensureAccount(ctx, d.x, AccountAvailable, r.UserID, 0, r.Amount.Currency)
	if err != nil {
		return Transfer{}, "", err
	}
	to, err := ensureAccount(ctx, d.x, AccountPayouts, 0, 0, r.Amount.Currency)
	if err != nil {
		return Transfer{}, "", err
	}
	if err := checkTransferID(r.ID, clientIDMax); err != nil {
		return Transfer{}, "", err
	}
	req := TransferRequest{ID: PayoutID(r.UserID, r.ID), Kind: TransferPayout, From: from.ID, To: to.ID,
		Amount: r.Amount, PayerID: r.UserID}
	_, hash := prepare(req)
	req.Then = payoutIntent(r, hash)
	t, err := d.RecordTransfer(ctx, req)
	if err != nil {
		return Transfer{}, "", err
	}
	// A retry of a payout already resolved gets its first result.
	ref, reversed, err := d.payoutState(ctx, t.ID)
	switch {
	case err != nil:
		return Transfer{}, "", err
	case reversed:
		return Transfer{}, "", errPayoutNotSent.New()
	case ref != "":
		return t, ref, nil
	}
	dest, err := d.payoutDestination(ctx, t.ID, r.Destination)
	if err != nil {
		return Transfer{}, "", err
	}
	if err := d.fault("payout_recorded"); err != nil {
		return Transfer{}, "", err
	}
	pctx, cancel := context.WithTimeout(ctx, providerTimeout)
	payoutID, err := p.Payout(pctx, dest, t.Amount, t.ID)
	cancel()
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) || !finalCodes[pe.Code] {
			// Unknown: the payout stays open, for a retry with this id or
			// for reconciliation.
			return Transfer{}, "", err
		}
		if _, rerr := d.reverse(ctx, t); rerr != nil {
			return Transfer{}, "", rerr
		}
		return Transfer{}, "", errPayoutRefusedWhy.New(pe)
	}
	if err := d.fault("paid_out"); err != nil {
		return Transfer{}, "", err
	}
	if err := d.recordPayoutSent(ctx, t.ID, payoutID); err != nil {
		return Transfer{}, "", err
	}
	return t, payoutID, nil
}

// payoutDestination is where the payout's intent says the money goes; a
// payout recorded before intents existed goes where the request says.
func (d *DB) payoutDestination(ctx context.Context, id, requested string) (string, error) {
	in, err := loadIntent(ctx, d.x, id)
	switch {
	case err == nil:
		return in.Destination.String, nil
	case ErrorCode(err) == ENOTFOUND:
		return requested, nil
	}
	return "", err
}

// Reverse records the opposite of an earlier deposit, send, cash payment or
// payout, under the id ReversalID(transferID): the money goes back the way
// it came, at most once per transfer. The original stays as it was.
func (d *DB) Reverse(ctx context.Context, transferID string) (Transfer, error) {
	o, err := loadTransfer(ctx, d.x, transferID)
	if err != nil {
		return Transfer{}, err
	}
	return d.reverse(ctx, o)
}

func (d *DB) reverse(ctx context.Context, o Transfer) (Transfer, error) {
	out, err := d.recordTransfer(ctx, TransferRequest{ID: ReversalID(o.ID), Kind: TransferReversal, From: o.To, To: o.From,
		Amount: o.Amount, PayerID: o.PayerID, Reverses: o.ID})
	return out.result(err)
}

var (
	errPayoutNotActivated = NewReason(EFORBIDDEN, "payout.not_activated")
)

// requireActivePayments refuses money going out for someone whose payment
// setup is missing or not activated: the activation code proves the contact
// the payment setup names, and withdrawals rely on it like payments do.
func (d *DB) requireActivePayments(ctx context.Context, userID int64) error {
	var active bool
	err := d.x.GetContext(ctx, &active, `SELECT active FROM payment_profiles WHERE user_id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !active) {
		return errPayoutNotActivated.New()
	}
	return err
}
