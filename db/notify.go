package db

import (
	"context"
	"time"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errNotificationKind = NewReason(EINVALID, "notification.kind")
	// ErrEmailInvalid and ErrEmailRefused are for mail senders: an address
	// that is not one, or one the mail server refuses for good.
	ErrEmailInvalid = NewReason(EINVALID, "email.invalid")
	ErrEmailRefused = NewReason(EINVALID, "email.refused", "address")
)

// Notification kinds; package db/mail has a template for each, in every
// language, and lists the data each one uses.
const (
	NotifyActivationCode = "activation_code" // code, minutes: the one-time code that activates payments
	NotifyReminder       = "reminder"        // from, amount (money.Money), title, link: a collector's nudge to pay a share
	NotifyPasswordReset  = "password_reset"  // name, link, minutes: a one-time link to choose a new password
	NotifySignupConfirm  = "signup_confirm"  // name, link, hours: the link that makes the account of a sign-up
	NotifySignupExists   = "signup_exists"   // name, login, forgot: someone signed up with an address that has an account
	NotifyMoneyWaiting   = "money_waiting"   // from, amount (money.Money), note, link, days: money sent waits for payments to be set up
)

// Notification is what to tell one person outside the app: a kind of
// message and its data, worded in their language by package db/mail.
type Notification struct {
	UserID int64
	To     string // an email address; may be empty (then only the outbox sees it)
	Kind   string // NotifyActivationCode, NotifyReminder, ...
	Locale string // the reader's language ("en" when not one Divvy speaks)
	Data   map[string]any
}

// Notifier delivers notifications: the boundary with email. Package
// db/mail has the implementations (SMTP; the development outbox).
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

const insertOutbox = `
INSERT INTO outbox (user_id, recipient, kind, subject, body)
VALUES (NULLIF($1, 0), $2, $3, $4, $5)`

// RecordOutbox keeps a written notification in the development outbox
// (package db/mail writes it), so a developer can read activation codes on
// a page (DB.Outbox) without an email server.
func (d *DB) RecordOutbox(ctx context.Context, n Notification, subject, body string) error {
	if n.Kind == "" {
		return errNotificationKind.New()
	}
	if _, err := d.x.ExecContext(ctx, insertOutbox, n.UserID, n.To, n.Kind, subject, body); err != nil {
		return mapErr(err, "notification")
	}
	return nil
}

// OutboxMessage is a notification kept in the development outbox, as
// written.
type OutboxMessage struct {
	ID            int64
	UserID        int64
	To, Kind      string
	Subject, Body string
	CreatedAt     time.Time
}

type outboxRow struct {
	ID        int64     `db:"id"`
	UserID    *int64    `db:"user_id"`
	Recipient string    `db:"recipient"`
	Kind      string    `db:"kind"`
	Subject   string    `db:"subject"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
}

const selectOutbox = `
SELECT id, user_id, recipient, kind, subject, body, created_at
FROM outbox ORDER BY id DESC LIMIT $1`

// Outbox returns the latest limit (1 to 500) notifications of the
// development outbox, newest first. It is for a development-only page: the
// bodies carry one-time codes.
func (d *DB) Outbox(ctx context.Context, limit int) ([]OutboxMessage, error) {
	limit = min(max(limit, 1), 500)
	var rows []outboxRow
	if err := d.x.SelectContext(ctx, &rows, selectOutbox, limit); err != nil {
		return nil, err
	}
	out := make([]OutboxMessage, len(rows))
	for i, r := range rows {
		out[i] = OutboxMessage{ID: r.ID, CreatedAt: r.CreatedAt, To: r.Recipient, Kind: r.Kind, Subject: r.Subject, Body: r.Body}
		if r.UserID != nil {
			out[i].UserID = *r.UserID
		}
	}
	return out, nil
}
