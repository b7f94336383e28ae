package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"divvy/db/money"
)

// Refusals of requests (worded in views/i18n_direct.go).
var (
	errAskSelf       = NewReason(EINVALID, "ask.self")
	errAskAmount     = NewReason(EINVALID, "ask.amount")
	errAskTitle      = NewReason(EINVALID, "ask.title", "max")
	errAskOnePerson  = NewReason(EINVALID, "ask.one_person")
	errAskNotYours   = NewReason(EFORBIDDEN, "ask.not_yours")
	errAskNotRequest = NewReason(EINVALID, "ask.not_request")
	errAskClosed     = NewReason(ECONFLICT, "ask.closed")
	errAskPaid       = NewReason(ECONFLICT, "ask.paid")
	errAskNoEdit     = NewReason(EINVALID, "ask.no_edit")
)

// NewRequest is what a requester types: from whom, how much, what for.
type NewRequest struct {
	ThreadID    int64
	RequesterID int64
	PayerID     int64
	Amount      money.Money
	Title       string // the note, or the word "Request" in the requester's language
}

// CreateRequest posts a request for money in a thread: a split with one
// share, the payer's, collected by the requester. The payer pays it like a
// share (PIN, caps, at most once: see PayShare) or declines it
// (DeclineRequest); the requester cancels it (CancelSplit). The payer must
// be a member of the thread (a contact): anyone else is ENOTFOUND.
func (d *DB) CreateRequest(ctx context.Context, in NewRequest) (int64, error) {
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > MaxSendNote {
		return 0, errAskTitle.New(MaxSendNote)
	}
	amount, err := money.New(in.Amount.Amount, in.Amount.Currency)
	if err != nil {
		return 0, errAmountInvalid.New(err)
	}
	if !amount.IsPositive() {
		return 0, errAskAmount.New()
	}
	if in.PayerID == in.RequesterID {
		return 0, errAskSelf.New()
	}
	var both int
	if err := d.x.GetContext(ctx, &both, `SELECT count(*) FROM group_members WHERE group_id = $1 AND user_id IN ($2, $3)`,
		in.ThreadID, in.RequesterID, in.PayerID); err != nil {
		return 0, err
	}
	if both != 2 {
		return 0, errNotContact.New()
	}
	plan := SplitPlan{Title: in.Title, Total: amount, CollectorID: in.RequesterID, Mode: money.ModeExact, Request: true,
		Shares: []ShareAmount{{UserID: in.PayerID, Amount: amount}}, Spec: []byte(`{}`)}
	id, err := d.CreateSplit(ctx, in.ThreadID, in.RequesterID, plan)
	if ErrorCode(err) == EINVALID {
		// A member left between the check and the split.
		return 0, errNotContact.New()
	}
	return id, err
}

// DeclineRequest is the payer saying no to a request: it closes, with a
// message in the thread. A request already paid, cancelled or declined is
// refused; a payment being made at that moment is refused when it is
// recorded (the request is no longer open) and its charge refunded.
func (d *DB) DeclineRequest(ctx context.Context, threadID, splitID, userID int64) error {
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var sp struct {
			Status  string `db:"status"`
			Request bool   `db:"request"`
			Title   string `db:"title"`
		}
		err := tx.GetContext(ctx, &sp, `SELECT status, request, title FROM splits WHERE id = $1 AND group_id = $2 FOR UPDATE`, splitID, threadID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound.New("split")
		}
		if err != nil {
			return err
		}
		if !sp.Request {
			return errAskNotRequest.New()
		}
		var st struct {
			Mine bool `db:"mine"`
			Paid bool `db:"paid"`
		}
		if err := tx.GetContext(ctx, &st, `SELECT bool_or(sh.user_id = $2) AS mine, bool_or(p.share_id IS NOT NULL) AS paid
			FROM shares sh LEFT JOIN share_payments p ON `+paysShare+`
			WHERE sh.group_id = $3 AND sh.split_id = $1`, splitID, userID, threadID); err != nil {
			return err
		}
		switch {
		case !st.Mine:
			return errAskNotYours.New()
		case st.Paid || sp.Status == SplitComplete:
			return errAskPaid.New()
		case sp.Status != SplitOpen:
			return errAskClosed.New()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE splits SET status = 'cancelled', closed_at = now(), declined_at = now() WHERE id = $1`, splitID); err != nil {
			return err
		}
		msg, err := insertMessageRow(ctx, tx, threadID, "system", userID, "", &splitID, SystemData{Event: "request_declined", Title: sp.Title})
		if err != nil {
			return err
		}
		return addEvents(ctx, tx, threadID, newEvent{kind: EventMessage, messageID: msg, splitID: splitID},
			newEvent{kind: EventSplit, splitID: splitID})
	})
}
