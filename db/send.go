package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"divvy/db/money"
)

// Refusals of sending money (worded in views/i18n_direct.go).
var (
	errSendAmount   = NewReason(EINVALID, "send.amount")
	errSendNoteLong = NewReason(EINVALID, "send.note_long", "max")
)

// MaxSendNote is the longest note of a send ("Taxi"), in characters.
const MaxSendNote = 80

// Send asks to send money from the sender's card to another member of a
// thread: the recipient's Divvy balance, pending until the provider settles.
type Send struct {
	ThreadID    int64
	SenderID    int64
	RecipientID int64
	Amount      money.Money
	Note        string
	PaymentID   string // the idempotency key, made when the send form was rendered
	PIN         string
	Passkey     string // or an assertion of one of the sender's passkeys (JSON), for this payment
	SkipPIN     bool   // development and load runs only: no PIN asked
}

// Sent is a send as it was recorded: the payment and its message.
type Sent struct {
	Transfer  Transfer
	MessageID int64 // 0 for a retry of a send recorded earlier
	// Waiting: the recipient has not set up payments; the money waits for
	// them (see ClaimWaitingSends, ReturnUnclaimedSends). Set only when
	// this call recorded the send, so they are told once.
	Waiting bool
}

// SendMoney sends money by card to another member of the thread, confirmed
// with the sender's PIN, and posts the payment card ("Sam sent €20.00 ·
// Taxi") in the thread, in the transaction that records the money. Only a
// member of the thread can receive (a contact): anyone else is ENOTFOUND.
// Money sent to someone who has not set up payments yet waits for them
// (Sent.Waiting): theirs when they finish setting up, back to the sender
// after WaitingFor.
//
// It is the card path of a share's payment (PayByCard): the caps, the
// intent before the charge, and the payment id: the same PaymentID again
// returns the first result without charging, a refused one stays refused.
func (d *DB) SendMoney(ctx context.Context, p PaymentProvider, in Send) (Sent, error) {
	in.PaymentID = strings.TrimSpace(in.PaymentID)
	in.Note = strings.TrimSpace(in.Note)
	if err := checkTransferID(in.PaymentID, 100); err != nil {
		return Sent{}, err
	}
	if utf8.RuneCountInString(in.Note) > MaxSendNote {
		return Sent{}, errSendNoteLong.New(MaxSendNote)
	}
	amount, err := money.New(in.Amount.Amount, in.Amount.Currency)
	if err != nil {
		return Sent{}, errAmountInvalid.New(err)
	}
	if !amount.IsPositive() {
		return Sent{}, errSendAmount.New()
	}
	if in.SenderID == in.RecipientID {
		return Sent{}, errPaySelf.New()
	}
	// Both in the thread: only its members are the sender's contacts here.
	var to string
	err = d.x.GetContext(ctx, &to, `SELECT u.display_name FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $1 AND m.user_id = $2
		  AND EXISTS (SELECT 1 FROM group_members s WHERE s.group_id = $1 AND s.user_id = $3)`, in.ThreadID, in.RecipientID, in.SenderID)
	if errors.Is(err, sql.ErrNoRows) {
		return Sent{}, errNotContact.New()
	}
	if err != nil {
		return Sent{}, err
	}
	release, err := d.holdPayment(ctx, "send", in.SenderID, in.PaymentID)
	if err != nil {
		return Sent{}, err
	}
	defer release()

	// A retry of a send that went through: its first result, no PIN asked.
	if t, err := d.TransferByID(ctx, CardPaymentID(in.SenderID, in.PaymentID)); err == nil {
		return Sent{Transfer: t}, nil
	} else if ErrorCode(err) != ENOTFOUND {
		return Sent{}, err
	}
	// Refused before the PIN is asked: they turned payments off.
	if err := d.acceptsPayments(ctx, d.x, in.RecipientID); err != nil {
		return Sent{}, err
	}
	rp, err := d.PaymentProfile(ctx, in.RecipientID)
	waiting := ErrorCode(err) == ENOTFOUND || (err == nil && !rp.Active)
	if err != nil && !waiting {
		return Sent{}, err
	}
	if !in.SkipPIN {
		if err := d.confirmPayment(ctx, in.SenderID, in.PIN, in.Passkey, in.PaymentID, amount); err != nil {
			return Sent{}, err
		}
	}
	prof, err := d.PaymentProfile(ctx, in.SenderID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && !prof.Active) {
		return Sent{}, ErrSetupFirst
	}
	if err != nil {
		return Sent{}, err
	}
	out := Sent{}
	var expires time.Time
	if waiting {
		expires = d.ledgerTime().Add(WaitingFor)
	}
	// Kept before the charge, for reconciliation after a crash (see
	// chargeRequest) and for a payment that fails to settle (sendFailed).
	var wait *time.Time
	if waiting {
		wait = &expires
	}
	if _, err := d.x.ExecContext(ctx, `INSERT INTO send_details (transfer_id, group_id, sender_id, recipient_id, note, wait_until)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (transfer_id) DO NOTHING`,
		CardPaymentID(in.SenderID, in.PaymentID), in.ThreadID, in.SenderID, in.RecipientID, in.Note, wait); err != nil {
		return Sent{}, err
	}
	t, err := d.PayByCard(ctx, p, CardPayment{ID: in.PaymentID, PayerID: in.SenderID, CollectorID: in.RecipientID,
		Amount: amount, Token: prof.Token, Then: sendPosted(in.ThreadID, in.SenderID, in.RecipientID, to, in.Note, expires, &out.MessageID)})
	if err != nil {
		return Sent{}, err
	}
	out.Transfer = t
	out.Waiting = waiting && out.MessageID != 0
	return out, nil
}

// sendPosted is the hook of a send's money: under the thread's membership
// the recipient must still be there, then the payment card and its event.
// A send to someone who has not set up payments (waitUntil not zero) also
// records that the money waits for them, until then.
func sendPosted(threadID, senderID, recipientID int64, to, note string, waitUntil time.Time, msgID *int64) TransferHook {
	return TransferHook{
		First: func(ctx context.Context, tx sqlx.ExtContext) error {
			var ok bool
			err := sqlx.GetContext(ctx, tx, &ok, `SELECT true FROM group_members WHERE group_id = $1 AND user_id = $2 FOR KEY SHARE`,
				threadID, recipientID)
			if errors.Is(err, sql.ErrNoRows) {
				return errNotContact.New()
			}
			return err
		},
		Before: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) (err error) {
			*msgID, err = insertMessageRow(ctx, tx, threadID, "payment", senderID, "", nil, PaymentData{
				StoredAmount: storedAmount(t.Amount), Method: "send", TransferID: t.ID, To: to, ToID: recipientID, Note: note,
				Waiting: !waitUntil.IsZero()})
			return err
		},
		After: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error {
			if !waitUntil.IsZero() {
				if _, err := tx.ExecContext(ctx, `INSERT INTO waiting_sends (transfer_id, group_id, sender_id, recipient_id, expires_at)
					VALUES ($1, $2, $3, $4, $5)`, t.ID, threadID, senderID, recipientID, waitUntil); err != nil {
					return err
				}
			}
			return addEvents(ctx, tx, threadID, newEvent{kind: EventMessage, messageID: *msgID})
		},
	}
}

// ReadyToReceive returns the members of a thread who can receive money:
// their payments are set up and active.
func (d *DB) ReadyToReceive(ctx context.Context, threadID int64) (map[int64]bool, error) {
	var ids []int64
	err := d.x.SelectContext(ctx, &ids, `SELECT m.user_id FROM group_members m
		JOIN payment_profiles p ON p.user_id = m.user_id AND p.active
		WHERE m.group_id = $1`, threadID)
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// sendRequestHook is the hook of a send recorded by reconciliation (the
// process that charged the card died before recording it): the same card,
// waiting record and events as SendMoney's, from what it kept beforehand.
// Nothing when the payment is not a send.
func sendRequestHook(ctx context.Context, q sqlx.QueryerContext, id string) (TransferHook, bool, error) {
	var sd struct {
		ThreadID  int64      `db:"group_id"`
		Sender    int64      `db:"sender_id"`
		Recipient int64      `db:"recipient_id"`
		Name      string     `db:"display_name"`
		Note      string     `db:"note"`
		WaitUntil *time.Time `db:"wait_until"`
	}
	err := sqlx.GetContext(ctx, q, &sd, `SELECT s.group_id, s.sender_id, s.recipient_id, u.display_name, s.note, s.wait_until
		FROM send_details s JOIN users u ON u.id = s.recipient_id WHERE s.transfer_id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return TransferHook{}, false, nil
	}
	if err != nil {
		return TransferHook{}, false, err
	}
	var wait time.Time
	if sd.WaitUntil != nil {
		wait = *sd.WaitUntil
	}
	return sendPosted(sd.ThreadID, sd.Sender, sd.Recipient, sd.Name, sd.Note, wait, new(int64)), true, nil
}

// sendFailed is the hook of the void of a send's card payment (the
// provider could not settle it): its thread says that nothing was sent.
func sendFailed(t Transfer) TransferHook {
	return TransferHook{After: func(ctx context.Context, tx sqlx.ExtContext, _ Transfer) error {
		var sd struct {
			ThreadID int64  `db:"group_id"`
			Name     string `db:"display_name"`
			Note     string `db:"note"`
		}
		err := sqlx.GetContext(ctx, tx, &sd, `SELECT s.group_id, u.display_name, s.note
			FROM send_details s JOIN users u ON u.id = s.recipient_id WHERE s.transfer_id = $1`, t.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // a card payment that is not a send (or one from before send_details)
		}
		if err != nil {
			return err
		}
		msg, err := insertMessageRow(ctx, tx, sd.ThreadID, "system", t.PayerID, "", nil,
			SystemData{Event: "send_failed", To: sd.Name, Title: sd.Note, StoredAmount: storedAmount(t.Amount), TransferID: t.ID})
		if err != nil {
			return err
		}
		return addEvents(ctx, tx, sd.ThreadID, newEvent{kind: EventMessage, messageID: msg})
	}}
}
