package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// SharePayment asks to pay the payer's own share of a split by card.
type SharePayment struct {
	ThreadID, SplitID int64
	PayerID           int64
	PaymentID         string // the idempotency key, made when the pay form was rendered
	PIN               string
	Passkey           string // or an assertion of one of the payer's passkeys (JSON), for this payment
	SkipPIN           bool   // development and load runs only: no PIN asked
}

// PaidShare is the split and share a payment was for, as they were read
// before paying (set whenever they could be read, also with an error, so a
// refused payment can show its form again).
type PaidShare struct {
	Split    Split
	Share    Share
	Transfer Transfer // the payment; zero when refused
}

// PINRefused is a PIN that did not confirm a payment or a withdrawal: the
// refusal (EINVALID for a wrong PIN, ETOOMANY while payments are locked,
// its reason worded by views) and, typed, what decides the answer.
type PINRefused struct {
	Err         *Error
	BadFormat   bool      // not 6 digits: no try was counted
	TriesLeft   int       // after a wrong PIN, before payments lock
	LockedUntil time.Time // zero unless payments are now locked
}

func (e *PINRefused) Error() string { return e.Err.Error() }
func (e *PINRefused) Unwrap() error { return e.Err }

// Refusals of paying a share.
var (
	errInFlight      = NewReason(ECONFLICT, "pay.in_flight")
	errAmountChanged = NewReason(ECONFLICT, "share.amount_changed")
)

// ErrSetupFirst: payments are not set up, or not activated yet; the pay
// page leads through setup and activation.
var ErrSetupFirst = errPaymentsNotSetUp.New()

// PayShare pays the payer's share of a split by card, confirmed with their
// PIN: the charge, the pending money in the collector's balance, the share
// paid, the payment's message in the thread, and the split closed when this
// was the last share due, all in the transaction that records the money.
// The split's state is checked before charging and again under its lock
// when recording (a cancel between the two gets the charge refunded).
//
// The same PaymentID again returns the first result without charging; while
// a request with it is still running, others are refused (ECONFLICT) before
// their PIN is counted.
func (d *DB) PayShare(ctx context.Context, p PaymentProvider, in SharePayment) (PaidShare, error) {
	in.PaymentID = strings.TrimSpace(in.PaymentID)
	if err := checkTransferID(in.PaymentID, 100); err != nil {
		return PaidShare{}, err
	}
	release, err := d.holdPayment(ctx, "pay", in.PayerID, in.PaymentID)
	if err != nil {
		return PaidShare{}, err
	}
	defer release()

	s, sh, ok, err := d.SplitShare(ctx, in.ThreadID, in.SplitID, in.PayerID)
	if err != nil {
		return PaidShare{}, err
	}
	out := PaidShare{Split: s, Share: sh}
	switch {
	case !ok || sh.Status == ShareSelf:
		return out, ErrNoShareToPay.New()
	case slices.Contains(sh.PaymentIDs, CardPaymentID(in.PayerID, in.PaymentID)):
		// A retry of a payment that went through.
		out.Transfer, err = d.TransferByID(ctx, CardPaymentID(in.PayerID, in.PaymentID))
		return out, err
	case sh.Status == SharePaid:
		return out, ErrSharePaid.New()
	}
	// What is left: all of it, or the rest of a share an edit raised
	// after it was paid.
	due := sh.Left()
	if !due.IsPositive() {
		return out, ErrSharePaid.New()
	}
	if err := requireOpen(s); err != nil {
		return out, err
	}
	if !in.SkipPIN {
		if err := d.confirmPayment(ctx, in.PayerID, in.PIN, in.Passkey, in.PaymentID, due); err != nil {
			return out, err
		}
	}
	prof, err := d.PaymentProfile(ctx, in.PayerID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && !prof.Active) {
		return out, ErrSetupFirst
	}
	if err != nil {
		return out, err
	}
	t, err := d.PayByCard(ctx, p, CardPayment{ID: in.PaymentID, PayerID: in.PayerID, CollectorID: s.CollectorID,
		Amount: due, Token: prof.Token, SplitID: s.ID, ShareID: sh.ID, PaidBefore: sh.Paid.Amount, Then: sharePayment(s, sh, "card", due)})
	if err != nil {
		return out, err
	}
	out.Transfer = t
	return out, nil
}

// inFlightFor is how long a payment is taken to be running when nothing
// says it finished: past it, the mark of a request whose process died no
// longer blocks the same form sent again.
const inFlightFor = 2 * time.Minute

// holdPayment marks a payment (or payout) id of a user as being processed
// until release, so that a double submit is told so instead of spending a
// PIN try. The mark is a row, not a lock held on a connection: a request
// waiting for a second connection while holding one could starve the pool.
func (d *DB) holdPayment(ctx context.Context, action string, userID int64, id string) (release func(), err error) {
	now := d.ledgerTime()
	var got []string
	err = sqlx.SelectContext(ctx, d.prep(d.x), &got, `INSERT INTO payments_in_flight AS f (user_id, action, id, started_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, action, id) DO UPDATE SET started_at = EXCLUDED.started_at WHERE f.started_at < $5
		RETURNING f.id`, userID, action, id, now, now.Add(-inFlightFor))
	if err != nil {
		return nil, mapErr(err, "user")
	}
	if len(got) == 0 {
		return nil, errInFlight.New()
	}
	return func() {
		_, err := d.prep(d.x).ExecContext(context.WithoutCancel(ctx), `DELETE FROM payments_in_flight
			WHERE user_id = $1 AND action = $2 AND id = $3 AND started_at = $4`, userID, action, id, now)
		if err != nil {
			d.log.Warn("a payment's in-flight mark stays until it is stale", "user_id", userID, "err", err)
		}
	}, nil
}

// confirmPIN checks the PIN of a payment or withdrawal and says, when it is
// refused, why in a *PINRefused; ErrSetupFirst without a payment profile.
func (d *DB) confirmPIN(ctx context.Context, userID int64, pin string) error {
	err := d.CheckPIN(ctx, userID, pin)
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrSetupFirst):
		return ErrSetupFirst
	case !errors.As(err, &e) || (e.Code != EINVALID && e.Code != ETOOMANY):
		return err
	}
	r := &PINRefused{Err: e, BadFormat: e.Reason == errPINFormat.Key}
	r.TriesLeft, _ = e.Params["left"].(int)
	r.LockedUntil, _ = e.Params["until"].(time.Time)
	return r
}

// sharePayment is the hook that goes with the money of a share's payment
// of asked (what was left of the share when the payer was asked), in its
// transaction. Under the split's lock it checks that the split is still
// open and what is left of the share still what the payer was asked (a
// cancel or an edit waits for it, or it for them; two payments made from
// one reading of the share take the same part, and the second is
// refused); it posts the payment's message; and it closes the split when
// this was the last share due, so a split paid in full is never left open,
// whatever fails after the commit.
func sharePayment(s Split, sh Share, method string, asked money.Money) TransferHook {
	var msgID int64
	return TransferHook{
		// KEY SHARE: payments of one split do not wait for each other
		// here, while a cancel (FOR UPDATE) waits for them all.
		First: func(ctx context.Context, tx sqlx.ExtContext) error {
			var status string
			err := sqlx.GetContext(ctx, tx, &status, `SELECT status FROM splits WHERE group_id = $1 AND id = $2 FOR KEY SHARE`, s.ThreadID, s.ID)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound.New("share")
			}
			if err != nil {
				return err
			}
			if err := requireOpen(Split{Status: status}); err != nil {
				return err
			}
			// The share is read by a statement of its own, after the lock:
			// a statement that waited for the lock still sees the rows of
			// other tables as they were when it began, so a share in the
			// same statement could be the one an edit that held the lock
			// has just changed.
			var amount decimal.Decimal
			err = sqlx.GetContext(ctx, tx, &amount, `SELECT amount FROM shares WHERE group_id = $3 AND id = $1 AND split_id = $2 AND removed_at IS NULL`, sh.ID, s.ID, s.ThreadID)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound.New("share")
			}
			if err != nil {
				return err
			}
			// What its payments nothing undid stand for, and the part this
			// payment takes (for the trigger that records it, migration
			// 241), read in one statement: one reading of the share.
			var paid struct {
				Covered bool            `db:"covered"`
				Paid    decimal.Decimal `db:"paid"`
				Part    string          `db:"part"`
			}
			if err := sqlx.GetContext(ctx, tx, &paid, `SELECT coalesce(bool_or(kind = 'cover'), false) AS covered,
				coalesce(sum(amount - refunded) FILTER (WHERE kind <> 'cover'), 0) AS paid,
				set_config('divvy.share_part', (coalesce(max(part), 0) + 1)::text, true) AS part
				FROM share_payments WHERE share_id = $1 AND undone_by IS NULL`, sh.ID); err != nil {
				return err
			}
			left := amount.Sub(paid.Paid)
			if paid.Covered || !left.IsPositive() {
				return ErrSharePaid.New()
			}
			if !left.Equal(asked.Amount) {
				return errAmountChanged.New()
			}
			return nil
		},
		// The message before the money is written, the events (which lock
		// the group row) last.
		Before: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) (err error) {
			msgID, err = insertMessageRow(ctx, tx, s.ThreadID, "payment", sh.UserID, "", &s.ID, PaymentData{
				ShareID: sh.ID, StoredAmount: storedAmount(t.Amount), Method: method, TransferID: t.ID})
			return err
		},
		// The payment's events lock the thread's row (and credit the
		// collector first, in the same statement): from there to commit,
		// one read says whether the split is paid in full and how its
		// positions move, and one statement writes the positions.
		After: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error {
			if err := addEvents(ctx, tx, s.ThreadID, newEvent{kind: EventMessage, messageID: msgID, splitID: s.ID},
				newEvent{kind: EventSplit, splitID: s.ID, shareID: sh.ID}); err != nil {
				return err
			}
			closedMsg, err := closeIfPaid(ctx, tx, s)
			if err != nil || closedMsg == 0 {
				return err
			}
			// Closing moves no position.
			return addEvents(ctx, tx, s.ThreadID, newEvent{kind: EventMessage, messageID: closedMsg, splitID: s.ID, positionsSame: true},
				newEvent{kind: EventSplit, splitID: s.ID, positionsSame: true})
		},
	}
}

// closeIfPaid closes split s, inside the transaction of a payment of it,
// when no share is left due, and returns its "All paid" message (0 when it
// stays open). The caller holds the thread's row lock (addEvents), held to
// commit, so the payments of one split pass here one at a time, and of two
// last payments committing at once the second sees the first. The same
// read takes the split's position delta for syncPositions.
func closeIfPaid(ctx context.Context, tx sqlx.ExtContext, s Split) (int64, error) {
	var rows []struct {
		Open      bool                `db:"open"`
		Due       bool                `db:"due"`
		Currency  string              `db:"currency"`
		UserID    sql.NullInt64       `db:"user_id"`
		Amount    decimal.NullDecimal `db:"amount"`
		AccountID sql.NullInt64       `db:"account_id"`
		Done      sql.NullInt64       `db:"done"`
	}
	if err := sqlx.SelectContext(ctx, tx, &rows, dueAndDeltaSQL, s.ID, s.ThreadID); err != nil {
		return 0, err
	}
	if len(rows) == 0 {
		return 0, sql.ErrNoRows
	}
	if cs := changesOf(tx); cs != nil {
		sd := splitDelta{threadID: s.ThreadID, currency: rows[0].Currency}
		for _, r := range rows {
			if r.UserID.Valid {
				sd.legs = append(sd.legs, positionLeg{UserID: r.UserID.Int64, Amount: r.Amount.Decimal, AccountID: r.AccountID.Int64})
				sd.done = int(r.Done.Int64)
			}
		}
		if cs.deltas == nil {
			cs.deltas = map[int64]splitDelta{}
		}
		cs.deltas[s.ID] = sd
	}
	if !rows[0].Open || rows[0].Due {
		return 0, nil
	}
	return markComplete(ctx, tx, s)
}

// markComplete records that an open split is paid in full, with its "All
// paid" message (without its event), and returns the message.
func markComplete(ctx context.Context, tx sqlx.ExtContext, s Split) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE splits SET status = 'complete', closed_at = now() WHERE group_id = $2 AND id = $1 AND status = 'open'`, s.ID, s.ThreadID)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 || s.Request {
		// A request's card says it is paid, and its payment's message
		// too: no "All paid" besides.
		return 0, nil
	}
	return insertMessageRow(ctx, tx, s.ThreadID, "system", 0, "", &s.ID, SystemData{Event: "split_closed", Title: s.Title})
}

// dueSharesSQL says whether a split is open and whether any of its shares
// (the collector's aside) is not covered by a payment; see sharesQuery.
// Joins, not a correlated subquery: on Citus the shares and the payments
// live on different nodes.
const dueSharesSQL = `
	SELECT bool_or(open), coalesce(bool_or(due), false) FROM (
		SELECT s.status = 'open' AS open, sh.id IS NOT NULL AND NOT ` + shareFullyPaidAgg + ` AS due
		FROM splits s
		LEFT JOIN shares sh ON sh.group_id = s.group_id AND sh.split_id = s.id AND sh.user_id <> s.payee_id AND sh.removed_at IS NULL
		LEFT JOIN share_payments p ON ` + paysShare + `
		WHERE s.group_id = $2 AND s.id = $1
		GROUP BY s.status, sh.id, sh.amount) x`
