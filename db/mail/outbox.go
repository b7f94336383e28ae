package mail

import (
	"context"
	"log/slog"

	"divvy/db"
)

// Outbox is the development notifier: it writes each mail as it would be
// sent and keeps it in the store's outbox table (DB.Outbox shows it on a
// page), logging it too, so activation codes can be read without an email
// server. Bodies carry one-time codes in the clear: not for production.
type Outbox struct {
	store *db.DB
	log   *slog.Logger
}

// NewOutbox returns a notifier that keeps mail in store's outbox and logs it
// to log (nil: not logged).
func NewOutbox(store *db.DB, log *slog.Logger) *Outbox {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbox{store: store, log: log}
}

// Notify writes n and keeps it (body included: development only).
func (o *Outbox) Notify(ctx context.Context, n db.Notification) error {
	subject, body := "", ""
	if n.Kind != "" {
		var err error
		if subject, body, err = Compose(n); err != nil {
			return err
		}
	}
	if err := o.store.RecordOutbox(ctx, n, subject, body); err != nil {
		return err
	}
	o.log.InfoContext(ctx, "notification (development outbox)", "kind", n.Kind, "user_id", n.UserID,
		"to", n.To, "subject", subject, "body", body)
	return nil
}
