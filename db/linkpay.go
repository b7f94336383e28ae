package db

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"divvy/db/money"
)

// Refusals of paying through a personal link or a request link (worded in
// views/refusals_text_links.go).
var (
	errLinkAmount   = NewReason(EINVALID, "linkpay.amount")
	errLinkNoteLong = NewReason(EINVALID, "linkpay.note_long", "max")
	errLinkNotReady = NewReason(ECONFLICT, "linkpay.not_accepting", "name")
)

// MaxLinkNote is the longest note of a link payment ("Pizza"), in characters.
const MaxLinkNote = 80

// LinkPayment asks to pay someone by card through their personal pay link
// (or a request link, RequestID).
type LinkPayment struct {
	PayeeID   int64
	PayerID   int64
	Amount    money.Money
	Note      string
	RequestID int64  // the request link paid, if any
	PaymentID string // the idempotency key, made when the pay form was rendered
	PIN       string
	Passkey   string // or an assertion of one of the payer's passkeys (JSON), for this payment
	SkipPIN   bool   // development and load runs only
}

// CheckLinkNote refuses a note too long for a link payment.
func CheckLinkNote(note string) error {
	if utf8.RuneCountInString(strings.TrimSpace(note)) > MaxLinkNote {
		return errLinkNoteLong.New(MaxLinkNote)
	}
	return nil
}

// PayLink pays someone by card through a pay link, confirmed with the
// payer's PIN: the card path of a share's payment (PayByCard: caps, the
// intent before the charge, the payment id), with the payer, the payee and
// the note kept in link_payments, in the transaction that records the
// money, so both people's histories say who paid whom and for what.
//
// The same PaymentID again returns the first result without charging; a
// refused one stays refused.
func (d *DB) PayLink(ctx context.Context, p PaymentProvider, in LinkPayment) (Transfer, error) {
	in.PaymentID = strings.TrimSpace(in.PaymentID)
	in.Note = strings.TrimSpace(in.Note)
	if err := checkTransferID(in.PaymentID, 100); err != nil {
		return Transfer{}, err
	}
	if err := CheckLinkNote(in.Note); err != nil {
		return Transfer{}, err
	}
	amount, err := money.New(in.Amount.Amount, in.Amount.Currency)
	if err != nil || !amount.IsPositive() {
		return Transfer{}, errLinkAmount.New()
	}
	if in.PayerID == in.PayeeID {
		return Transfer{}, errPaySelf.New()
	}
	release, err := d.holdPayment(ctx, "link", in.PayerID, in.PaymentID)
	if err != nil {
		return Transfer{}, err
	}
	defer release()

	// A retry of a payment that went through: its first result, no PIN.
	if t, err := d.TransferByID(ctx, CardPaymentID(in.PayerID, in.PaymentID)); err == nil {
		return t, nil
	} else if ErrorCode(err) != ENOTFOUND {
		return Transfer{}, err
	}
	payee, err := d.UserByID(ctx, in.PayeeID)
	if err != nil {
		return Transfer{}, err
	}
	if rp, err := d.PaymentProfile(ctx, in.PayeeID); ErrorCode(err) == ENOTFOUND || (err == nil && !rp.Active) {
		return Transfer{}, errLinkNotReady.New(payee.DisplayName)
	} else if err != nil {
		return Transfer{}, err
	}
	if in.RequestID != 0 {
		if err := d.requestPayable(ctx, d.x, in.RequestID, in.PayeeID, amount); err != nil {
			return Transfer{}, err
		}
	}
	if !in.SkipPIN {
		if err := d.confirmPayment(ctx, in.PayerID, in.PIN, in.Passkey, in.PaymentID, amount); err != nil {
			return Transfer{}, err
		}
	}
	prof, err := d.PaymentProfile(ctx, in.PayerID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && !prof.Active) {
		return Transfer{}, ErrSetupFirst
	}
	if err != nil {
		return Transfer{}, err
	}
	return d.PayByCard(ctx, p, CardPayment{ID: in.PaymentID, PayerID: in.PayerID, CollectorID: in.PayeeID,
		Amount: amount, Token: prof.Token, Then: linkPaid(d, in, amount, payee.DisplayName)})
}

// linkPaid is the hook of a link payment's money: a request link is taken
// (under its lock: of two payers at once, one pays and the other's charge
// is refunded), the payment is kept with its note, and its payment card
// is posted in the payer's and payee's two-person thread (created the
// first time).
func linkPaid(d *DB, in LinkPayment, amount money.Money, payeeName string) TransferHook {
	var threadID, msgID int64
	return TransferHook{
		First: func(ctx context.Context, tx sqlx.ExtContext) error {
			if in.RequestID == 0 {
				return nil
			}
			return d.requestPayable(ctx, tx, in.RequestID, in.PayeeID, amount, true)
		},
		Before: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) (err error) {
			if threadID, err = linkThread(ctx, tx, in.PayerID, in.PayeeID, amount.Currency); err != nil {
				return err
			}
			msgID, err = insertMessageRow(ctx, tx, threadID, "payment", in.PayerID, "", nil, PaymentData{
				StoredAmount: storedAmount(t.Amount), Method: "send", TransferID: t.ID, To: payeeName, ToID: in.PayeeID, Note: in.Note})
			return err
		},
		After: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error {
			if err := addEvents(ctx, tx, threadID, newEvent{kind: EventMessage, messageID: msgID}); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO link_payments (transfer_id, payer_id, payee_id, note, created_at)
				VALUES ($1, $2, $3, $4, $5)`, t.ID, in.PayerID, in.PayeeID, in.Note, t.CreatedAt); err != nil {
				return err
			}
			if in.RequestID == 0 {
				return nil
			}
			_, err := tx.ExecContext(ctx, `UPDATE request_links SET paid_transfer = $2, paid_by = $3, paid_at = $4
				WHERE id = $1 AND paid_transfer IS NULL`, in.RequestID, t.ID, in.PayerID, t.CreatedAt)
			return err
		},
	}
}
