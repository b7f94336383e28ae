package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Changing the card or the PIN of active payments takes two proofs: the
// current PIN (counted like any PIN try) and a one-time code sent to the
// payment contact. A stolen session alone can do neither.

// Refusals of a change of card or PIN (the PIN and code checks refuse with
// their own reasons).
var (
	errChangeInactive  = NewReason(ECONFLICT, "paychange.inactive")
	errChangeNone      = NewReason(ENOTFOUND, "paychange.none")
	ErrNewPINTooSimple = NewReason(EINVALID, "paychange.pin_too_simple")
	ErrNewPINMismatch  = NewReason(EINVALID, "paychange.pin_mismatch")
	ErrNewPINFormat    = NewReason(EINVALID, "paychange.pin_format")
)

// PaymentChange says what a pending change is, for the code page.
type PaymentChange struct {
	Kind    string // card, pin
	Brand   string // the new card's, for a card change
	Last4   string
	Contact string // where the code went
}

const upsertPaymentChange = `
INSERT INTO payment_changes (user_id, kind, card_token, card_brand, card_last4, card_exp_month, card_exp_year,
	pin_hash, code_hash, code_expires_at, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + $10::interval, now())
ON CONFLICT (user_id) DO UPDATE SET kind = EXCLUDED.kind, card_token = EXCLUDED.card_token,
	card_brand = EXCLUDED.card_brand, card_last4 = EXCLUDED.card_last4,
	card_exp_month = EXCLUDED.card_exp_month, card_exp_year = EXCLUDED.card_exp_year,
	pin_hash = EXCLUDED.pin_hash, code_hash = EXCLUDED.code_hash,
	code_expires_at = EXCLUDED.code_expires_at, code_attempts = 0, created_at = EXCLUDED.created_at`

// activeContact returns where codes go for a person whose payments are
// active: ENOTFOUND without a setup, ECONFLICT before activation.
func (d *DB) activeContact(ctx context.Context, userID int64) (string, error) {
	prof, err := d.PaymentProfile(ctx, userID)
	if err != nil {
		return "", err
	}
	if !prof.Active {
		return "", errChangeInactive.New()
	}
	return prof.Contact, nil
}

// StartCardChange checks the current PIN, has the provider check the new
// card, and sends a code; ConfirmPaymentChange applies it. A wrong PIN is
// CheckPIN's answer; a refused card is the provider's.
func (d *DB) StartCardChange(ctx context.Context, userID int64, p PaymentProvider, n Notifier, pin string, card CardInput) error {
	contact, err := d.activeContact(ctx, userID)
	if err != nil {
		return err
	}
	if err := d.CheckPIN(ctx, userID, pin); err != nil {
		return err
	}
	if strings.TrimSpace(card.Name) == "" {
		prof, _ := d.PaymentProfile(ctx, userID)
		card.Name = prof.LegalName
	}
	c, err := p.Tokenize(ctx, card)
	if err != nil {
		return err
	}
	return d.startChange(ctx, n, userID, contact, "card", &c, nil)
}

// StartPINChange checks the current PIN and the new one (pin_format,
// pin_too_simple, pin_mismatch as EINVALID with that key), and sends a code.
func (d *DB) StartPINChange(ctx context.Context, userID int64, n Notifier, current, next, confirm string) error {
	contact, err := d.activeContact(ctx, userID)
	if err != nil {
		return err
	}
	next, confirm = strings.TrimSpace(next), strings.TrimSpace(confirm)
	switch pinProblem(next) {
	case "pin_format":
		return ErrNewPINFormat.New()
	case "pin_too_simple":
		return ErrNewPINTooSimple.New()
	}
	if next != confirm {
		return ErrNewPINMismatch.New()
	}
	if err := d.CheckPIN(ctx, userID, current); err != nil {
		return err
	}
	pepper, err := d.pinPepper()
	if err != nil {
		return err
	}
	h, err := hashSecret(ctx, next, pepper)
	if err != nil {
		return err
	}
	return d.startChange(ctx, n, userID, contact, "pin", nil, &h)
}

func (d *DB) startChange(ctx context.Context, n Notifier, userID int64, contact, kind string, c *Card, pinHash *string) error {
	pepper, err := d.pinPepper()
	if err != nil {
		return err
	}
	if err := d.countCodeSent(ctx, userID); err != nil {
		return err
	}
	code := newActivationCode()
	var token, brand, last4 *string
	var month, year *int
	if c != nil {
		token, brand, last4, month, year = &c.Token, &c.Brand, &c.Last4, &c.ExpMonth, &c.ExpYear
	}
	if _, err := d.x.ExecContext(ctx, upsertPaymentChange, userID, kind, token, brand, last4, month, year, pinHash,
		changeCodeHash(pepper, userID, code), codeTTL.String()); err != nil {
		return err
	}
	return d.sendActivationCode(ctx, n, userID, contact, code)
}

// changeCodeHash keeps change codes apart from activation codes.
func changeCodeHash(pepper string, userID int64, code string) []byte {
	return activationCodeHash(pepper+"\x00change", userID, code)
}

// PendingPaymentChange returns the change waiting for its code, ENOTFOUND
// when there is none.
func (d *DB) PendingPaymentChange(ctx context.Context, userID int64) (PaymentChange, error) {
	var r struct {
		Kind    string  `db:"kind"`
		Brand   *string `db:"card_brand"`
		Last4   *string `db:"card_last4"`
		Contact string  `db:"contact_email"`
	}
	err := d.x.GetContext(ctx, &r, `SELECT c.kind, c.card_brand, c.card_last4, p.contact_email
		FROM payment_changes c JOIN payment_profiles p USING (user_id)
		WHERE c.user_id = $1 AND c.code_expires_at > now()`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return PaymentChange{}, errChangeNone.New()
	}
	if err != nil {
		return PaymentChange{}, err
	}
	pc := PaymentChange{Kind: r.Kind, Contact: r.Contact}
	if r.Brand != nil {
		pc.Brand, pc.Last4 = *r.Brand, *r.Last4
	}
	return pc, nil
}

// ConfirmPaymentChange applies the pending change when code is its code,
// in one transaction with the code's use; it returns the change's kind.
// Wrong codes are counted like activation codes.
func (d *DB) ConfirmPaymentChange(ctx context.Context, userID int64, code string) (string, error) {
	pepper, err := d.pinPepper()
	if err != nil {
		return "", err
	}
	code, err = normalizeCode(code)
	if err != nil {
		return "", err
	}
	var kind string
	var refusal error
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		refusal = nil
		var s struct {
			Kind string `db:"kind"`
			oneTimeCode
		}
		err := tx.GetContext(ctx, &s, `SELECT kind, code_hash, code_expires_at > now() AS fresh, code_attempts
			FROM payment_changes WHERE user_id = $1 FOR UPDATE`, userID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			refusal = errChangeNone.New()
			return nil
		case err != nil:
			return err
		}
		var wrong bool
		if refusal, wrong = s.check(changeCodeHash(pepper, userID, code)); wrong {
			_, err := tx.ExecContext(ctx, `UPDATE payment_changes SET code_attempts = code_attempts + 1 WHERE user_id = $1`, userID)
			return err
		}
		if refusal != nil {
			return nil
		}
		kind = s.Kind
		q := `UPDATE payment_profiles p SET card_token = c.card_token, card_brand = c.card_brand,
			card_last4 = c.card_last4, card_exp_month = c.card_exp_month, card_exp_year = c.card_exp_year, updated_at = now()
			FROM payment_changes c WHERE c.user_id = p.user_id AND p.user_id = $1`
		if kind == "pin" {
			q = `UPDATE payment_profiles p SET pin_hash = c.pin_hash, updated_at = now()
				FROM payment_changes c WHERE c.user_id = p.user_id AND p.user_id = $1`
		}
		if _, err := tx.ExecContext(ctx, q, userID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM payment_changes WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return "", err
	}
	if refusal != nil {
		return "", refusal
	}
	d.log.InfoContext(ctx, "payment "+kind+" changed", "user_id", userID)
	return kind, nil
}
