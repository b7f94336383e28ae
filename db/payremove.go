package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Turning payments off: a person with nothing pending and nothing left to
// withdraw removes their card and PIN (confirmed with the PIN); their pay
// link and request links then say they are not accepting payments, and
// every payment to them is refused, until they set payments up again.

// Refusals of turning payments off, and of paying someone who did
// (worded in views/refusals_text_remove.go).
var (
	errRemovePending  = NewReason(ECONFLICT, "payments.remove_pending", "amount")
	errRemoveBalance  = NewReason(ECONFLICT, "payments.remove_balance", "amount")
	errRemoveInFlight = NewReason(ECONFLICT, "payments.remove_in_flight")
	errRemoveWaiting  = NewReason(ECONFLICT, "payments.remove_waiting", "name")
	errRemoveSplit    = NewReason(ECONFLICT, "payments.remove_collecting", "title")
	errNotAccepting   = NewReason(ECONFLICT, "pay.not_accepting", "name")
)

// PaymentsRemovable says why a person's payments cannot be turned off now
// (nil when they can): money pending in their balance, money to withdraw,
// a payment or withdrawal of theirs under way, money they sent that waits
// for someone, an open split they collect. ENOTFOUND when payments were
// never set up (or are already off).
func (d *DB) PaymentsRemovable(ctx context.Context, userID int64) error {
	if _, err := d.PaymentProfile(ctx, userID); err != nil {
		return err
	}
	return paymentsHeld(ctx, d.x, userID)
}

// paymentsHeld is what keeps a person's payments on (see PaymentsRemovable).
func paymentsHeld(ctx context.Context, q sqlx.QueryerContext, userID int64) error {
	var held []struct {
		Kind     AccountKind     `db:"kind"`
		Currency string          `db:"currency"`
		Balance  decimal.Decimal `db:"balance"`
	}
	if err := sqlx.SelectContext(ctx, q, &held, `SELECT kind, currency, balance FROM ledger_accounts
		WHERE user_id = $1 AND kind IN ('user_pending', 'user_available') AND balance <> 0
		ORDER BY kind DESC, currency`, userID); err != nil {
		return err
	}
	for _, h := range held {
		m := money.Money{Amount: h.Balance, Currency: h.Currency}
		if h.Kind == AccountPending {
			return errRemovePending.New(m)
		}
		return errRemoveBalance.New(m)
	}
	var inFlight bool
	if err := sqlx.GetContext(ctx, q, &inFlight, `SELECT EXISTS (SELECT 1 FROM ledger_intents_open o
		JOIN ledger_intents i ON i.id = o.id WHERE i.user_id = $1 OR i.collector_user_id = $1)`, userID); err != nil {
		return err
	}
	if inFlight {
		return errRemoveInFlight.New()
	}
	var name string
	err := sqlx.GetContext(ctx, q, &name, `SELECT u.display_name FROM waiting_sends w JOIN users u ON u.id = w.recipient_id
		WHERE w.sender_id = $1 AND w.claimed_at IS NULL AND w.returned_at IS NULL ORDER BY w.expires_at LIMIT 1`, userID)
	if err == nil {
		return errRemoveWaiting.New(name)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	var title string
	err = sqlx.GetContext(ctx, q, &title, `SELECT title FROM splits WHERE payee_id = $1 AND status = 'open' ORDER BY id LIMIT 1`, userID)
	if err == nil {
		return errRemoveSplit.New(title)
	} else if !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return nil
}

// RemovePayments turns a person's payments off, confirmed with their PIN
// (a *PINRefused when it is not): the payment profile (card token, PIN,
// contact), any card or PIN change in progress and the passkeys are
// deleted, and
// payments_removed keeps that they chose it. Refused (ECONFLICT, as
// PaymentsRemovable says) while anything is pending or left to withdraw,
// checked again under the locks of the profile and the person's accounts,
// so money that lands meanwhile is seen.
func (d *DB) RemovePayments(ctx context.Context, userID int64, pin string) error {
	if err := d.PaymentsRemovable(ctx, userID); err != nil {
		return err
	}
	if err := d.confirmPIN(ctx, userID, pin); err != nil {
		return err
	}
	now := d.ledgerTime()
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		// Card payments to this person take it shared (checkTransfer).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('payee:' || $1::text, 0))`, userID); err != nil {
			return err
		}
		var one int
		err := tx.GetContext(ctx, &one, `SELECT 1 FROM payment_profiles WHERE user_id = $1 FOR UPDATE`, userID)
		if errors.Is(err, sql.ErrNoRows) {
			return errPaymentsNotSetUp.New()
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT id FROM ledger_accounts WHERE user_id = $1
			AND kind IN ('user_pending', 'user_available') ORDER BY id FOR NO KEY UPDATE`, userID); err != nil {
			return err
		}
		if err := paymentsHeld(ctx, tx, userID); err != nil {
			return err
		}
		// Passkeys confirm payments and carry the profile's WebAuthn
		// user handle: they go with it.
		for _, table := range []string{"payment_changes", "passkey_challenges", "passkeys"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE user_id = $1`, userID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM payment_profiles WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO payments_removed (user_id, removed_at) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET removed_at = EXCLUDED.removed_at`, userID, now)
		return err
	})
	if err != nil {
		return err
	}
	d.log.InfoContext(ctx, "payments turned off", "user_id", userID)
	return nil
}

// PaymentsRemoved reports whether a person turned their payments off (and
// has not activated them again since).
func (d *DB) PaymentsRemoved(ctx context.Context, userID int64) (bool, error) {
	var off bool
	err := d.x.GetContext(ctx, &off, `SELECT EXISTS (SELECT 1 FROM payments_removed WHERE user_id = $1)`, userID)
	return off, err
}

// acceptsPayments refuses a payment to someone who turned payments off.
func (d *DB) acceptsPayments(ctx context.Context, q sqlx.QueryerContext, userID int64) error {
	var name string
	err := d.getPrepared(ctx, q, &name, `SELECT u.display_name FROM payments_removed r JOIN users u ON u.id = r.user_id WHERE r.user_id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return errNotAccepting.New(name)
}
