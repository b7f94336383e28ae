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

// Refusals of this file (worded in views/refusals_text.go).
var (
	errPaySelf           = NewReason(EINVALID, "pay.self")
	errRefundNotCard     = NewReason(EINVALID, "refund.not_card", "id", "kind")
	errRefundUnconfirmed = NewReason(EUNAVAILABLE, "refund.unconfirmed", "why")
)

// CardPayment asks to pay Amount from the payer's card to the collector.
type CardPayment struct {
	ID          string // the idempotency key, made when the pay form is rendered
	PayerID     int64
	CollectorID int64
	Amount      money.Money
	Token       string // the payer's card, from PaymentProvider.Tokenize
	SplitID     int64  // optional
	ShareID     int64  // optional; a share is paid at most once
	// PaidBefore, with ShareID: what the share's payments stood for when
	// the payer was asked (zero for its first payment; what was paid of a
	// share an edit raised after it was paid). Anything else by the time
	// of the charge, and the share is refused as paid before charging.
	PaidBefore decimal.Decimal
	// Then runs in the transaction that records the payment; see
	// TransferRequest.Then.
	Then TransferHook
}

// PayByCard charges the payer's card and records the money as pending in
// the collector's balance, until SettlePending posts or voids it. c.ID is the
// client's idempotency key (the pay form's id); the payment's id is
// CardPaymentID(c.PayerID, c.ID).
//
// The charge sits between two ledger facts: the intent, committed before
// the provider is called with the payment's id as idempotency key, and the
// card payment (or the refusal) after. If the process dies in between,
// ReconcileIntents finishes the job from the provider's answer; meanwhile
// the share cannot be charged again on another form.
//
// It is safe to retry: an id already recorded returns its first result
// without charging again, and a refused id (declined, over a cap, share
// already paid) stays refused. The caps are checked before the charge and
// again, under the payer's lock, when recording; a charge the ledger then
// refuses, or one that lost a race with an identical request, is refunded.
func (d *DB) PayByCard(ctx context.Context, p PaymentProvider, c CardPayment) (Transfer, error) {
	if err := checkTransferID(c.ID, clientIDMax); err != nil {
		return Transfer{}, err
	}
	amount, err := money.New(c.Amount.Amount, c.Amount.Currency)
	if err != nil {
		return Transfer{}, errAmountInvalid.New(err)
	}
	if c.PayerID == c.CollectorID {
		return Transfer{}, errPaySelf.New()
	}
	r := TransferRequest{ID: CardPaymentID(c.PayerID, c.ID), Kind: TransferCardPayment, Amount: amount, Then: c.Then,
		PayerID: c.PayerID, SplitID: c.SplitID, ShareID: c.ShareID}
	// What the ledger would refuse after the charge is refused before it,
	// from one read: an earlier outcome of the id, the accounts, a charge
	// of the share still open, the share paid, the caps.
	pf, err := d.cardPreflight(ctx, c, amount, r.ID)
	if err != nil {
		return Transfer{}, err
	}
	if r.From, r.To = pf.FromID.Int64, pf.ToID.Int64; !pf.FromID.Valid || !pf.ToID.Valid {
		from, err := ensureAccount(ctx, d.prep(d.x), AccountClearing, c.PayerID, 0, amount.Currency)
		if err != nil {
			return Transfer{}, err
		}
		to, err := ensureAccount(ctx, d.prep(d.x), AccountPending, c.CollectorID, 0, amount.Currency)
		if err != nil {
			return Transfer{}, err
		}
		r.From, r.To = from.ID, to.ID
	}
	r, hash := prepare(r)
	if pf.PriorHash.Valid {
		o, err := pf.prior(ctx, d.prep(d.x), r.ID, hash)
		return o.result(err)
	}
	// Nobody pays a person who turned payments off (a retry of what went
	// through before still got its first result above; nothing is
	// recorded, so the id stays free).
	if pf.CollectorOff.Valid {
		return Transfer{}, errNotAccepting.New(pf.CollectorOff.String)
	}
	if c.ShareID != 0 && pf.OpenIntents > 0 {
		if err := d.awaitShareIntents(ctx, p, c.ShareID, r.ID); err != nil {
			return Transfer{}, err
		}
		// Resolved: what they came to is read again.
		if pf, err = d.cardPreflight(ctx, c, amount, r.ID); err != nil {
			return Transfer{}, err
		}
		if pf.PriorHash.Valid {
			o, err := pf.prior(ctx, d.prep(d.x), r.ID, hash)
			return o.result(err)
		}
	}
	e, err := capsVerdict(ctx, d.prep(d.x), pf.capState, c.PayerID, amount, pf.Now)
	if err == nil && e == nil && pf.SharePaid {
		e = ErrSharePaid.New()
	}
	if err != nil {
		return Transfer{}, err
	}
	if e != nil {
		return d.refuse(ctx, r.ID, hash, e).result(nil)
	}

	cur, _ := money.LookupCurrency(amount.Currency)
	in := intentRow{ID: r.ID, Kind: intentCharge, UserID: c.PayerID, CollectorID: nullID(c.CollectorID), Currency: cur.Code,
		Minor: int32(cur.Minor), Amount: amount.Amount, Token: sql.NullString{String: c.Token, Valid: true},
		SplitID: nullID(c.SplitID), ShareID: nullID(c.ShareID), Hash: hash, CreatedAt: d.ledgerTime()}
	if err := insertIntent(ctx, d.prep(d.x), in); err != nil {
		return Transfer{}, err
	}
	if err := d.fault("intent_recorded"); err != nil {
		return Transfer{}, err
	}
	pctx, cancel := context.WithTimeout(ctx, providerTimeout)
	ch, err := p.Charge(pctx, c.Token, amount, r.ID)
	cancel()
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) && finalCodes[pe.Code] {
			return d.refuse(ctx, r.ID, hash, pe).result(nil)
		}
		// The outcome is unknown: the intent stays open, for a retry with
		// this id or for reconciliation.
		return Transfer{}, err
	}
	if err := d.fault("charged"); err != nil {
		return Transfer{}, err
	}
	o, err := d.postCharge(ctx, p, r, hash, ch)
	return o.result(err)
}

// postCharge records the charge ch as the card payment r, which resolves
// its intent. If the ledger refuses it now (a cap, the share paid by a
// racing payment, the split closed) the refusal is recorded against the id
// and the charge refunded; so is a charge that lost a race with an
// identical request.
func (d *DB) postCharge(ctx context.Context, p PaymentProvider, r TransferRequest, hash string, ch Charge) (outcome, error) {
	r.ProviderRef = ch.ID
	o, err := d.recordTransfer(ctx, r)
	var pe *Error
	if err != nil && errors.As(err, &pe) && finalCodes[pe.Code] {
		o, err = d.refuse(ctx, r.ID, hash, pe), nil
	}
	if err != nil {
		// Not refunded: the outcome is unknown, and the retry with this id
		// (or reconciliation) will find the charge and record it.
		return outcome{}, err
	}
	if o.fail != nil || o.t.ProviderRef != ch.ID {
		if err := p.Refund(context.WithoutCancel(ctx), ch.ID, ch.Amount, "unused:"+ch.ID); err != nil {
			d.log.Error("refund an unused charge", "transfer", r.ID, "charge", ch.ID, "err", err)
		}
	}
	return o, nil
}

// paymentFailed is the hook of a card payment's void: a message in the
// split's thread and the split's event, in the void's transaction.
func paymentFailed(t Transfer) TransferHook {
	return TransferHook{After: func(ctx context.Context, tx sqlx.ExtContext, _ Transfer) error {
		var sp struct {
			ThreadID int64  `db:"group_id"`
			Title    string `db:"title"`
		}
		if err := sqlx.GetContext(ctx, tx, &sp, `SELECT group_id, title FROM splits WHERE id = $1`, t.SplitID); err != nil {
			return err
		}
		msg, err := insertMessageRow(ctx, tx, sp.ThreadID, "system", t.PayerID, "", &t.SplitID,
			SystemData{Event: "payment_failed", Title: sp.Title, TransferID: t.ID})
		if err != nil {
			return err
		}
		return addEvents(ctx, tx, sp.ThreadID, newEvent{kind: EventMessage, messageID: msg, splitID: t.SplitID},
			newEvent{kind: EventSplit, splitID: t.SplitID, shareID: t.ShareID})
	}}
}

// result is the outcome as a use case returns it.
func (o outcome) result(err error) (Transfer, error) {
	switch {
	case err != nil:
		return Transfer{}, err
	case o.fail != nil:
		return Transfer{}, o.fail
	}
	return o.t, nil
}

// cardPreflightSQL reads, for a card payment about to be charged, what
// the ledger would refuse it for, in one round trip: the caps
// (capStateColumns: $1 payer, $2 currency, $3 the window's start), whether
// share $4 is paid already (covered, or its payments no longer standing
// for $7, what they did when the payer was asked) and how many of its
// charges other than $5 are still open, an earlier outcome of the payment
// id $5 (selectPrior), and
// the payer's clearing account and collector $6's pending account, and
// the collector's name if they turned payments off (payremove.go).
const cardPreflightSQL = `
	SELECT ` + capStateColumns + `,
		(EXISTS (SELECT 1 FROM share_payments WHERE share_id = $4 AND undone_by IS NULL AND kind = 'cover')
		 OR coalesce((SELECT sum(amount - refunded) FROM share_payments
		              WHERE share_id = $4 AND undone_by IS NULL AND kind <> 'cover'), 0) <> $7) AS share_paid,
		(SELECT count(*) FROM ledger_intents i JOIN ledger_intents_open o ON o.id = i.id
		 WHERE i.share_id = $4 AND i.id <> $5) AS open_intents,
		(SELECT id FROM ledger_accounts WHERE kind = '` + string(AccountClearing) + `' AND currency = $2
		 AND user_id = $1 AND group_id IS NULL) AS from_id,
		(SELECT id FROM ledger_accounts WHERE kind = '` + string(AccountPending) + `' AND currency = $2
		 AND user_id = $6 AND group_id IS NULL) AS to_id,
		(SELECT u.display_name FROM payments_removed r JOIN users u ON u.id = r.user_id
		 WHERE r.user_id = $6) AS collector_off,
		p.request_hash AS prior_hash, p.code AS prior_code, p.message AS prior_message, p.done AS prior_done
	FROM (SELECT 1) one LEFT JOIN LATERAL (
		SELECT request_hash, '' AS code, '' AS message, true AS done FROM ledger_transfers WHERE id = $5
		UNION ALL
		SELECT request_hash, code, message, false FROM ledger_attempts WHERE id = $5
		LIMIT 1) p ON true`

// preflight is what cardPreflightSQL read, and when.
type preflight struct {
	capState
	SharePaid    bool           `db:"share_paid"`
	OpenIntents  int            `db:"open_intents"`
	FromID       sql.NullInt64  `db:"from_id"`
	ToID         sql.NullInt64  `db:"to_id"`
	CollectorOff sql.NullString `db:"collector_off"`
	PriorHash    sql.NullString `db:"prior_hash"`
	PriorCode    sql.NullString `db:"prior_code"`
	PriorMessage sql.NullString `db:"prior_message"`
	PriorDone    sql.NullBool   `db:"prior_done"`
	Now          time.Time      `db:"-"`
}

func (d *DB) cardPreflight(ctx context.Context, c CardPayment, amount money.Money, id string) (preflight, error) {
	pf := preflight{Now: d.ledgerTime()}
	err := sqlx.GetContext(ctx, d.prep(d.x), &pf, cardPreflightSQL, c.PayerID, amount.Currency, pf.Now.Add(-capWindow),
		nullID(c.ShareID), id, c.CollectorID, c.PaidBefore)
	return pf, err
}

// prior is priorOutcome from what the preflight read (PriorHash set).
func (pf preflight) prior(ctx context.Context, q sqlx.QueryerContext, id, hash string) (outcome, error) {
	switch {
	case pf.PriorHash.String != hash:
		return outcome{}, errIDReused.New(id)
	case !pf.PriorDone.Bool:
		return outcome{fail: storedError(pf.PriorCode.String, pf.PriorMessage.String)}, nil
	}
	t, err := loadTransfer(ctx, q, id)
	return outcome{t: t}, err
}

// refuse records e as the final failure of id, unless the id already has an
// outcome, which it then returns.
func (d *DB) refuse(ctx context.Context, id, hash string, e *Error) outcome {
	var o outcome
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, id); err != nil {
			return err
		}
		prior, found, err := priorOutcome(ctx, tx, id, hash)
		if err != nil || found {
			o = prior
			return err
		}
		o = outcome{fail: e}
		return storeFailure(ctx, tx, id, hash, e, d.ledgerTime())
	})
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			d.log.Error("record a refused transfer", "transfer", id, "err", err)
			pe = e
		}
		return outcome{fail: pe}
	}
	return o
}

// settleLease is how long a worker owns the pending payments it claimed:
// if it dies, another takes them over after this. It is short, so a crash
// delays settlements by seconds; a worker still busy when its lease ends
// stops and leaves the rest of its batch to the next claim. A payment
// asked about twice (a slow provider) is harmless: it is resolved once.
const settleLease = 5 * time.Second

// claimPending leases due pending payments to this worker. SKIP LOCKED lets
// workers in several processes claim disjoint sets at once.
const claimPending = `
	UPDATE ledger_pending p SET check_after = $2, checks = p.checks + 1
	FROM (SELECT transfer_id FROM ledger_pending WHERE check_after <= $1
	      ORDER BY check_after LIMIT $3 FOR UPDATE SKIP LOCKED) due
	WHERE p.transfer_id = due.transfer_id
	RETURNING p.transfer_id, p.checks`

// SettlePending asks the provider about up to limit pending card payments
// that are due a check, and posts those that settled (pending -> available)
// and voids those that failed (back to the card), each exactly once. It
// returns how many it posted and voided. Several processes may run it at
// once: they claim disjoint payments, and a payment resolved twice is
// refused by the database anyway. A payment still pending is checked again
// later, less and less often (from half a second up to every 10 minutes).
func (d *DB) SettlePending(ctx context.Context, p PaymentProvider, limit int) (posted, voided int, err error) {
	now := d.ledgerTime()
	var due []struct {
		ID     string `db:"transfer_id"`
		Checks int    `db:"checks"`
	}
	if err := d.x.SelectContext(ctx, &due, claimPending, now, now.Add(settleLease), limit); err != nil {
		return 0, 0, err
	}
	var firstErr error
	for _, q := range due {
		if d.ledgerTime().After(now.Add(settleLease * 4 / 5)) {
			break // the lease is running out: the rest go back to the queue
		}
		kind, err := d.settleOne(ctx, p, q.ID, q.Checks)
		switch {
		case err != nil:
			d.log.Warn("settle a card payment", "transfer", q.ID, "err", err)
			if firstErr == nil {
				firstErr = err
			}
		case kind == TransferSettlement:
			posted++
		case kind == TransferVoid:
			voided++
		}
	}
	return posted, voided, firstErr
}

// settleOne resolves one pending payment if the provider is done with it,
// and returns the kind of transfer it recorded, if any.
func (d *DB) settleOne(ctx context.Context, p PaymentProvider, id string, checks int) (TransferKind, error) {
	t, err := loadTransfer(ctx, d.x, id)
	if err != nil {
		return "", err
	}
	status, err := p.SettlementStatus(ctx, t.ProviderRef)
	if err != nil {
		return "", err
	}
	// What it stands for: an edit may have given part of it back.
	amount, err := standingOf(ctx, d.x, t)
	if err != nil {
		return "", err
	}
	r := TransferRequest{Amount: amount, PendingOf: t.ID, From: t.To}
	switch status {
	case SettlementSettled:
		pending, err := d.AccountByID(ctx, t.To)
		if err != nil {
			return "", err
		}
		avail, err := ensureAccount(ctx, d.x, AccountAvailable, pending.UserID, 0, t.Amount.Currency)
		if err != nil {
			return "", err
		}
		r.ID, r.Kind, r.To = SettlementID(t.ID), TransferSettlement, avail.ID
	case SettlementFailed:
		r.ID, r.Kind, r.To = VoidID(t.ID), TransferVoid, t.From
		if t.SplitID != 0 {
			// The share is due again: the thread says so, and its open
			// pages redraw the card.
			r.Then = paymentFailed(t)
		} else {
			r.Then = sendFailed(t)
		}
	default:
		next := time.Duration(500<<min(checks-1, 20)) * time.Millisecond
		_, err := d.x.ExecContext(ctx, `UPDATE ledger_pending SET check_after = $2 WHERE transfer_id = $1`,
			id, d.ledgerTime().Add(min(next, 10*time.Minute)))
		return "", err
	}
	o, err := d.recordTransfer(ctx, r)
	if err != nil {
		return "", err
	}
	if o.fail != nil {
		// Resolved by a racing worker, or the ledger refused: the queue row
		// is gone in the first case, and the second deserves a look.
		if o.fail.Code != ECONFLICT {
			return "", o.fail
		}
		return "", nil
	}
	if !o.created {
		return "", nil
	}
	return r.Kind, nil
}

// RefundCardPayment gives a card payment back, at most once. Once settled,
// the amount leaves the collector's available balance; before, it leaves their
// pending balance and the payment will not settle. It goes back to the
// payer's card, and the provider refunds the charge. The ledger is written
// first, so money the collector no longer has is never refunded; if the
// provider then fails, the same call again (same id) finishes the job.
func (d *DB) RefundCardPayment(ctx context.Context, p PaymentProvider, paymentID string) (Transfer, error) {
	id := RefundID(paymentID)
	pay, err := loadTransfer(ctx, d.x, paymentID)
	if err != nil {
		return Transfer{}, err
	}
	if pay.Kind != TransferCardPayment {
		return Transfer{}, errRefundNotCard.New(pay.ID, pay.Kind)
	}
	t, err := loadTransfer(ctx, d.x, id)
	switch {
	case err == nil && (t.Kind != TransferRefund || t.Reverses != pay.ID):
		return Transfer{}, errIDReused.New(id)
	case err == nil:
		// Recorded already: only the provider may still need telling.
	case ErrorCode(err) != ENOTFOUND:
		return Transfer{}, err
	default:
		if t, err = d.recordRefund(ctx, id, pay); err != nil {
			return Transfer{}, err
		}
	}
	if err := p.Refund(ctx, pay.ProviderRef, t.Amount, id); err != nil {
		return Transfer{}, errRefundUnconfirmed.New(err)
	}
	return t, nil
}

// recordRefund records the refund of pay from where its money is now,
// looking again if the payment settles meanwhile.
func (d *DB) recordRefund(ctx context.Context, id string, pay Transfer) (Transfer, error) {
	for {
		amount, err := standingOf(ctx, d.x, pay)
		if err != nil {
			return Transfer{}, err
		}
		r := TransferRequest{ID: id, Kind: TransferRefund, To: pay.From, Amount: amount, Reverses: pay.ID}
		var resolution string
		err = d.x.GetContext(ctx, &resolution, `SELECT kind FROM ledger_transfers WHERE pending_of = $1`, pay.ID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			r.From, r.PendingOf = pay.To, pay.ID
		case err != nil:
			return Transfer{}, err
		default:
			pending, err := d.AccountByID(ctx, pay.To)
			if err != nil {
				return Transfer{}, err
			}
			avail, err := ensureAccount(ctx, d.x, AccountAvailable, pending.UserID, 0, pay.Amount.Currency)
			if err != nil {
				return Transfer{}, err
			}
			r.From = avail.ID
		}
		o, err := d.recordTransfer(ctx, r)
		if errors.Is(err, errRefundRace) {
			continue // a payment settles once: the next look is the last
		}
		return o.result(err)
	}
}
