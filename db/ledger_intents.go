package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// The provider is called between two ledger facts: the intent, recorded and
// committed first under the transfer id (also the provider's idempotency
// key), and the card payment or payout confirmation after it. A process that
// dies between the two leaves the intent open; ReconcileIntents asks the
// provider what became of the key and finishes the job. See
// migrations/071_ledger_intents.sql.

// intentAge is how old an open intent must be before reconciliation asks
// about it: older than any request still waiting for the provider, whose
// calls are cut at providerTimeout.
const (
	intentAge       = time.Minute
	intentLease     = 30 * time.Second
	providerTimeout = 30 * time.Second
)

// Intent kinds.
const (
	intentCharge = "charge"
	intentPayout = "payout"
)

type intentRow struct {
	ID          string          `db:"id"`
	Kind        string          `db:"kind"`
	UserID      int64           `db:"user_id"`
	CollectorID sql.NullInt64   `db:"collector_user_id"`
	Currency    string          `db:"currency"`
	Minor       int32           `db:"minor"`
	Amount      decimal.Decimal `db:"amount"`
	Token       sql.NullString  `db:"card_token"`
	Destination sql.NullString  `db:"destination"`
	SplitID     sql.NullInt64   `db:"split_id"`
	ShareID     sql.NullInt64   `db:"share_id"`
	Hash        string          `db:"request_hash"`
	CreatedAt   time.Time       `db:"created_at"`
}

func (in intentRow) amount() money.Money { return atScale(in.Amount, in.Currency) }

const insertIntentSQL = `
	WITH i AS (
		INSERT INTO ledger_intents (id, kind, user_id, collector_user_id, currency, minor, amount, card_token,
			destination, split_id, share_id, request_hash, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (id) DO NOTHING
		RETURNING id, created_at
	), opened AS (
		INSERT INTO ledger_intents_open (id, check_after)
		SELECT id, created_at + $14::interval FROM i
	)
	SELECT count(*) FROM i`

// insertIntent records in, unless its id has an intent already; an intent
// of the id for another request is an ECONFLICT.
func insertIntent(ctx context.Context, q sqlx.ExtContext, in intentRow) error {
	var made int
	err := sqlx.GetContext(ctx, q, &made, insertIntentSQL, in.ID, in.Kind, in.UserID, in.CollectorID, in.Currency, in.Minor,
		in.Amount.String(), in.Token, in.Destination, in.SplitID, in.ShareID, in.Hash, in.CreatedAt, intentAge.String())
	if err != nil || made == 1 {
		return err
	}
	var hash string
	if err := sqlx.GetContext(ctx, q, &hash, `SELECT request_hash FROM ledger_intents WHERE id = $1`, in.ID); err != nil {
		return err
	}
	if hash != in.Hash {
		return errIDReused.New(in.ID)
	}
	return nil
}

var (
	errIDReused          = NewReason(ECONFLICT, "transfer.id_reused", "id")
	errPaymentInProgress = NewReason(EUNAVAILABLE, "pay.in_progress")
	errNotCharged        = NewReason(EDECLINED, "pay.not_charged")
	errPayoutNotSent     = NewReason(EDECLINED, "payout.not_sent")
)

func loadIntent(ctx context.Context, q sqlx.QueryerContext, id string) (intentRow, error) {
	var in intentRow
	err := sqlx.GetContext(ctx, q, &in, `SELECT * FROM ledger_intents WHERE id = $1`, id)
	return in, mapErr(err, "intent")
}

// fault is a test's way to stop a use case between two steps, as a crash
// would: when it returns an error, the use case returns it at once.
func (d *DB) fault(point string) error {
	if d.faults == nil {
		return nil
	}
	return d.faults(point)
}

// awaitShareIntents keeps a share from being charged twice: a charge for
// it left open by another request (another form, a crash) is resolved
// first, asking the provider, or, while that request may still be talking
// to the provider, the payment is refused for now.
func (d *DB) awaitShareIntents(ctx context.Context, p PaymentProvider, shareID int64, id string) error {
	var open []struct {
		ID        string    `db:"id"`
		CreatedAt time.Time `db:"created_at"`
	}
	err := d.x.SelectContext(ctx, &open, `
		SELECT i.id, i.created_at FROM ledger_intents i JOIN ledger_intents_open o ON o.id = i.id
		WHERE i.share_id = $1 AND i.id <> $2`, shareID, id)
	if err != nil {
		return err
	}
	for _, in := range open {
		if d.ledgerTime().Sub(in.CreatedAt) < intentAge {
			return errPaymentInProgress.New()
		}
		if err := d.reconcileOne(ctx, p, in.ID); err != nil {
			return err
		}
	}
	return nil
}

const claimIntents = `
	UPDATE ledger_intents_open o SET check_after = $2, checks = o.checks + 1
	FROM (SELECT id FROM ledger_intents_open WHERE check_after <= $1
	      ORDER BY check_after LIMIT $3 FOR UPDATE SKIP LOCKED) due
	WHERE o.id = due.id
	RETURNING o.id`

// ReconcileIntents resolves up to limit intents left open for a minute or
// more (a process died between the provider's answer and the ledger's
// record, or the provider did not answer): it asks the provider what became
// of each idempotency key, then records the card payment or the refusal, or
// the payout's confirmation or reversal. It returns how many it resolved.
// Several processes may run it at once: they claim disjoint intents, and
// each resolution is applied once.
func (d *DB) ReconcileIntents(ctx context.Context, p PaymentProvider, limit int) (int, error) {
	now := d.ledgerTime()
	var due []string
	if err := d.x.SelectContext(ctx, &due, claimIntents, now, now.Add(intentLease), limit); err != nil {
		return 0, err
	}
	resolved := 0
	var firstErr error
	for _, id := range due {
		if err := d.reconcileOne(ctx, p, id); err != nil {
			d.log.Warn("reconcile an intent", "intent", id, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		resolved++
	}
	return resolved, firstErr
}

// reconcileOne resolves one open intent from the provider's answer.
func (d *DB) reconcileOne(ctx context.Context, p PaymentProvider, id string) error {
	in, err := loadIntent(ctx, d.x, id)
	if err != nil {
		return err
	}
	if in.Kind == intentPayout {
		return d.reconcilePayout(ctx, p, in)
	}
	r, after, err := d.chargeRequest(ctx, in)
	if err != nil {
		return err
	}
	r, hash := prepare(r)
	if o, found, err := priorOutcome(ctx, d.x, r.ID, hash); err != nil || found {
		_ = o
		return err // resolved meanwhile
	}
	pctx, cancel := context.WithTimeout(ctx, providerTimeout)
	ch, err := p.FindCharge(pctx, in.Token.String, in.amount(), in.ID, in.CreatedAt)
	cancel()
	switch {
	case ErrorCode(err) == ENOTFOUND:
		d.refuse(ctx, r.ID, hash, errNotCharged.New())
		return nil
	case err != nil:
		return err
	}
	o, err := d.postCharge(ctx, p, r, hash, ch)
	if err != nil {
		return err
	}
	if o.created && after != nil {
		return after(ctx)
	}
	return nil
}

// chargeRequest rebuilds the card payment of a charge intent, the same
// request (and hash) PayByCard made, with what goes with paying a share
// (sharePayment: the split still open, its message and events, the split
// closed when it was the last share; inTx signals live pages after the
// commit).
func (d *DB) chargeRequest(ctx context.Context, in intentRow) (TransferRequest, func(context.Context) error, error) {
	from, err := ensureAccount(ctx, d.x, AccountClearing, in.UserID, 0, in.Currency)
	if err != nil {
		return TransferRequest{}, nil, err
	}
	to, err := ensureAccount(ctx, d.x, AccountPending, in.CollectorID.Int64, 0, in.Currency)
	if err != nil {
		return TransferRequest{}, nil, err
	}
	r := TransferRequest{ID: in.ID, Kind: TransferCardPayment, From: from.ID, To: to.ID, Amount: in.amount(),
		PayerID: in.UserID, SplitID: in.SplitID.Int64, ShareID: in.ShareID.Int64}
	if !in.ShareID.Valid {
		// A send: its card and waiting record, as SendMoney would have.
		hook, ok, err := sendRequestHook(ctx, d.x, in.ID)
		if err != nil {
			return TransferRequest{}, nil, err
		}
		if ok {
			r.Then = hook
		}
		return r, nil, nil
	}
	var threadID int64
	if err := d.x.GetContext(ctx, &threadID, `SELECT group_id FROM splits WHERE id = $1`, in.SplitID.Int64); err != nil {
		return TransferRequest{}, nil, mapErr(err, "split")
	}
	s, sh, ok, err := d.SplitShare(ctx, threadID, in.SplitID.Int64, in.UserID)
	if err != nil {
		return TransferRequest{}, nil, err
	}
	if !ok || sh.ID != in.ShareID.Int64 {
		return r, nil, nil
	}
	r.Then = sharePayment(s, sh, "card", r.Amount)
	return r, nil, nil
}

// reconcilePayout records that the provider sent a payout, or gives the
// money back when it says it never did.
func (d *DB) reconcilePayout(ctx context.Context, p PaymentProvider, in intentRow) error {
	pctx, cancel := context.WithTimeout(ctx, providerTimeout)
	ref, err := p.FindPayout(pctx, in.Destination.String, in.amount(), in.ID)
	cancel()
	switch {
	case ErrorCode(err) == ENOTFOUND:
		t, err := loadTransfer(ctx, d.x, in.ID)
		if err != nil {
			return err
		}
		_, err = d.reverse(ctx, t)
		return err
	case err != nil:
		return err
	}
	return d.recordPayoutSent(ctx, in.ID, ref)
}

// recordPayoutSent records the provider's confirmation of a payout, once,
// which resolves its intent.
func (d *DB) recordPayoutSent(ctx context.Context, id, ref string) error {
	_, err := d.x.ExecContext(ctx, `
		WITH s AS (
			INSERT INTO ledger_payouts_sent (intent_id, provider_ref, created_at) VALUES ($1, $2, $3)
			ON CONFLICT (intent_id) DO NOTHING RETURNING intent_id
		)
		DELETE FROM ledger_intents_open WHERE id IN (SELECT intent_id FROM s)`, id, ref, d.ledgerTime())
	return err
}

// payoutIntent is the hook of a payout transfer: its intent, in the same
// transaction, so the money is held exactly while the payout is open.
func payoutIntent(r PayoutRequest, hash string) TransferHook {
	return TransferHook{After: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error {
		c, _ := money.LookupCurrency(t.Amount.Currency)
		return insertIntent(ctx, tx, intentRow{ID: t.ID, Kind: intentPayout, UserID: r.UserID, Currency: c.Code,
			Minor: int32(c.Minor), Amount: t.Amount.Amount, Destination: sql.NullString{String: r.Destination, Valid: true},
			Hash: hash, CreatedAt: t.CreatedAt})
	}}
}

// payoutState says whether a recorded payout was sent (its provider ref)
// or reversed.
func (d *DB) payoutState(ctx context.Context, id string) (ref string, reversed bool, err error) {
	err = d.x.GetContext(ctx, &ref, `SELECT provider_ref FROM ledger_payouts_sent WHERE intent_id = $1`, id)
	if err == nil {
		return ref, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", false, err
	}
	err = d.x.GetContext(ctx, new(string), `SELECT id FROM ledger_transfers WHERE reverses = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return "", err == nil, err
}
