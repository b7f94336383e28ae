package db

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Activation codes: 6 digits, valid for codeTTL, maxCodeTries wrong tries
// each, at most codesPerHour sent to one person (setups and resends).
const (
	codeTTL      = 15 * time.Minute
	maxCodeTries = 5
	codesPerHour = 10
)

// Refusals of payment setup and activation; wait is how long until another
// code may be sent.
var (
	errSetupForm        = NewReason(EINVALID, "setup.form")
	errCodeFormat       = NewReason(EINVALID, "code.format")
	errCodeNone         = NewReason(EINVALID, "code.none")
	errCodeUsedUp       = NewReason(EINVALID, "code.used_up")
	errCodeExpired      = NewReason(EINVALID, "code.expired")
	errCodeWrong        = NewReason(EINVALID, "code.wrong", "left")
	errCodeLastTry      = NewReason(EINVALID, "code.last_try")
	errCodesTooMany     = NewReason(ETOOMANY, "code.too_many", "wait")
	errCodeNotSent      = NewReason(EUNAVAILABLE, "code.not_sent")
	errCodeNotSentSaved = NewReason(EUNAVAILABLE, "code.not_sent_saved")
	ErrPaymentsActive   = NewReason(ECONFLICT, "payments.active")
)

// PaymentProfile is what a person set up to pay: the provider's token for
// their card (never the number), what identifies the card to them, and
// whether payments are activated. The PIN is checked with CheckPIN.
type PaymentProfile struct {
	UserID    int64
	LegalName string
	Contact   string // where activation codes go
	Token     string // the provider's card token, for Charge
	Brand     string // "visa", "mastercard", ...
	Last4     string
	ExpMonth  int
	ExpYear   int
	// Active is true once the activation code came back; payments need it.
	Active      bool
	ActivatedAt time.Time // zero until active
	// CodeExpiresAt is when the pending activation code expires (zero: none pending).
	CodeExpiresAt time.Time
	UpdatedAt     time.Time
}

type paymentProfileRow struct {
	UserID        int64      `db:"user_id"`
	LegalName     string     `db:"legal_name"`
	Contact       string     `db:"contact_email"`
	Token         string     `db:"card_token"`
	Brand         string     `db:"card_brand"`
	Last4         string     `db:"card_last4"`
	ExpMonth      int        `db:"card_exp_month"`
	ExpYear       int        `db:"card_exp_year"`
	Active        bool       `db:"active"`
	ActivatedAt   *time.Time `db:"activated_at"`
	CodeExpiresAt *time.Time `db:"code_expires_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
}

func (r paymentProfileRow) profile() PaymentProfile {
	p := PaymentProfile{UserID: r.UserID, LegalName: r.LegalName, Contact: r.Contact, Token: r.Token,
		Brand: r.Brand, Last4: r.Last4, ExpMonth: r.ExpMonth, ExpYear: r.ExpYear, Active: r.Active, UpdatedAt: r.UpdatedAt}
	if r.ActivatedAt != nil {
		p.ActivatedAt = *r.ActivatedAt
	}
	if r.CodeExpiresAt != nil {
		p.CodeExpiresAt = *r.CodeExpiresAt
	}
	return p
}

const paymentProfileColumns = `user_id, legal_name, contact_email, card_token, card_brand, card_last4,
	card_exp_month, card_exp_year, active, activated_at, code_expires_at, updated_at`

// PaymentSetup is what a person types to set up payments.
type PaymentSetup struct {
	LegalName  string
	Contact    string    // an email address for the activation code
	Card       CardInput // Card.Name defaults to LegalName
	PIN        string
	PINConfirm string
}

// Problems checks the form (not the card: the provider does) and returns a
// problem key per field: legal_name (legal_name_required, legal_name_long),
// contact (contact_required, contact_invalid), pin (pin_format: not exactly
// 6 digits; pin_too_simple), pin_confirm (pin_mismatch). It trims what was typed.
func (s *PaymentSetup) Problems() map[string]string {
	p := map[string]string{}
	s.LegalName = strings.Join(strings.Fields(s.LegalName), " ")
	s.Contact = strings.ToLower(strings.TrimSpace(s.Contact))
	s.PIN, s.PINConfirm = strings.TrimSpace(s.PIN), strings.TrimSpace(s.PINConfirm)
	switch n := utf8.RuneCountInString(s.LegalName); {
	case n == 0:
		p["legal_name"] = "legal_name_required"
	case n > 100:
		p["legal_name"] = "legal_name_long"
	}
	switch checkEmail(s.Contact) {
	case "email_required":
		p["contact"] = "contact_required"
	case "email_invalid":
		p["contact"] = "contact_invalid"
	}
	if msg := pinProblem(s.PIN); msg != "" {
		p["pin"] = msg
	}
	if s.PINConfirm != s.PIN {
		p["pin_confirm"] = "pin_mismatch"
	}
	return p
}

// Setup may run again until payments are activated (the code did not
// arrive, another card): it replaces everything and needs a new
// activation. Not once they are active: a stolen session must not swap the
// PIN that guards payments and withdrawals (a change proven with the PIN is
// not offered yet). Not while payments are locked after wrong PINs either
// (a new PIN must not undo a lock-out), and the growth of lock-outs is
// kept. The rule is in the statement's condition, so a setup racing an
// activation cannot slip in after it. The time is read in VALUES only
// (EXCLUDED.updated_at): Citus refuses now() in DO UPDATE.
const upsertPaymentProfile = `
INSERT INTO payment_profiles AS p (user_id, legal_name, contact_email, card_token, card_brand, card_last4,
	card_exp_month, card_exp_year, pin_hash, code_hash, code_expires_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now() + $11::interval, now())
ON CONFLICT (user_id) DO UPDATE SET
	legal_name = EXCLUDED.legal_name, contact_email = EXCLUDED.contact_email,
	card_token = EXCLUDED.card_token, card_brand = EXCLUDED.card_brand, card_last4 = EXCLUDED.card_last4,
	card_exp_month = EXCLUDED.card_exp_month, card_exp_year = EXCLUDED.card_exp_year,
	pin_hash = EXCLUDED.pin_hash, pin_attempts = 0, pin_locked_until = NULL,
	active = false, activated_at = NULL,
	code_hash = EXCLUDED.code_hash, code_expires_at = EXCLUDED.code_expires_at, code_attempts = 0,
	updated_at = EXCLUDED.updated_at
WHERE NOT p.active AND (p.pin_locked_until IS NULL OR p.pin_locked_until <= EXCLUDED.updated_at) AND p.pin_attempts < $12
RETURNING ` + paymentProfileColumns

// SetupPayments sets up (or, until activated, replaces) the user's card
// and PIN: it checks the form (EINVALID; Problems says what), has the
// provider tokenize the card (a refusal comes back as the provider's
// *Error, EINVALID or EDECLINED, to show by the card field), hashes the PIN
// with the pepper, and sends a new 6-digit activation code to in.Contact
// through n. Payments stay inactive until
// ActivatePayments gets the code. ECONFLICT once payments are active;
// ETOOMANY while payments are locked after wrong PINs, or when too many
// codes were sent lately.
//
// The profile is saved before the code is sent: when sending fails, the
// saved profile comes back with an EUNAVAILABLE error saying to ask for a
// new code (ResendActivation).
func (d *DB) SetupPayments(ctx context.Context, userID int64, p PaymentProvider, n Notifier, in PaymentSetup) (PaymentProfile, error) {
	if probs := in.Problems(); len(probs) > 0 {
		return PaymentProfile{}, errSetupForm.New()
	}
	pepper, err := d.pinPepper()
	if err != nil {
		return PaymentProfile{}, err
	}
	// Refused early when it can be told (no card sent to the provider, no
	// code counted); the upsert's condition is what holds under races.
	if prof, err := d.PaymentProfile(ctx, userID); err == nil && prof.Active {
		return PaymentProfile{}, ErrPaymentsActive.New()
	}
	if _, until, err := d.PINStatus(ctx, userID); err == nil && !until.IsZero() {
		return PaymentProfile{}, d.pinRefusal(ctx, userID)
	}
	if strings.TrimSpace(in.Card.Name) == "" {
		in.Card.Name = in.LegalName
	}
	card, err := p.Tokenize(ctx, in.Card)
	if err != nil {
		return PaymentProfile{}, err
	}
	if err := d.countCodeSent(ctx, userID); err != nil {
		return PaymentProfile{}, err
	}
	pinHash, err := hashSecret(ctx, in.PIN, pepper)
	if err != nil {
		return PaymentProfile{}, err
	}
	code := newActivationCode()
	var r paymentProfileRow
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &r, upsertPaymentProfile, userID, in.LegalName, in.Contact,
			card.Token, card.Brand, card.Last4, card.ExpMonth, card.ExpYear, pinHash,
			activationCodeHash(pepper, userID, code), codeTTL.String(), maxPINTries)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// The upsert's condition refused: payments are active, or locked.
		if prof, err := d.PaymentProfile(ctx, userID); err == nil && prof.Active {
			return PaymentProfile{}, ErrPaymentsActive.New()
		}
		return PaymentProfile{}, d.pinRefusal(ctx, userID)
	case ErrorCode(mapErr(err, "")) == ENOTFOUND:
		return PaymentProfile{}, ErrNotFound.New("user")
	case err != nil:
		return PaymentProfile{}, err
	}
	d.log.InfoContext(ctx, "payments set up", "user_id", userID, "brand", card.Brand)
	if err := d.sendActivationCode(ctx, n, userID, in.Contact, code); err != nil {
		return r.profile(), errCodeNotSentSaved.New()
	}
	return r.profile(), nil
}

// ActivatePayments activates payments with the code sent at setup. A wrong
// code is EINVALID "Wrong code, N tries left."; after 5 wrong ones, or 15
// minutes, the code no longer works (EINVALID) and ResendActivation sends a
// new one. Activating active payments again is nil; without a profile,
// ENOTFOUND.
func (d *DB) ActivatePayments(ctx context.Context, userID int64, code string) error {
	pepper, err := d.pinPepper()
	if err != nil {
		return err
	}
	code, err = normalizeCode(code)
	if err != nil {
		return err
	}
	var refusal error // decided in the transaction, returned after it commits
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		refusal = nil
		var s struct {
			Active bool `db:"active"`
			oneTimeCode
		}
		err := tx.GetContext(ctx, &s, `SELECT active, code_hash, coalesce(code_expires_at > now(), false) AS fresh,
			code_attempts FROM payment_profiles WHERE user_id = $1 FOR UPDATE`, userID)
		if errors.Is(err, sql.ErrNoRows) {
			refusal = errPaymentsNotSetUp.New()
			return nil
		}
		switch {
		case err != nil:
			return err
		case s.Hash == nil && s.Active:
			return nil
		case s.Hash == nil:
			refusal = errCodeNone.New()
			return nil
		}
		var wrong bool
		if refusal, wrong = s.check(activationCodeHash(pepper, userID, code)); wrong {
			_, err := tx.ExecContext(ctx, `UPDATE payment_profiles SET code_attempts = code_attempts + 1
				WHERE user_id = $1`, userID)
			return err
		}
		if refusal != nil {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE payment_profiles SET active = true, activated_at = now(),
			code_hash = NULL, code_expires_at = NULL, code_attempts = 0, updated_at = now()
			WHERE user_id = $1`, userID)
		if err != nil {
			return err
		}
		// Payments turned off before are on again.
		_, err = tx.ExecContext(ctx, `DELETE FROM payments_removed WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return err
	}
	if refusal == nil {
		d.log.InfoContext(ctx, "payments activated", "user_id", userID)
		// Money sent while they were not set up is theirs now (if this
		// fails, ReturnUnclaimedSends claims it for them).
		if _, err := d.ClaimWaitingSends(ctx, userID); err != nil {
			d.log.WarnContext(ctx, "claim money waiting for payments setup", "user_id", userID, "err", err)
		}
	}
	return refusal
}

// ResendActivation sends a new activation code (the one before stops
// working) to the contact given at setup. ENOTFOUND without a profile,
// ECONFLICT when payments are already active, ETOOMANY when too many codes
// were sent lately. Like SetupPayments, EUNAVAILABLE when the code could not
// be sent.
func (d *DB) ResendActivation(ctx context.Context, userID int64, n Notifier) error {
	pepper, err := d.pinPepper()
	if err != nil {
		return err
	}
	var st struct {
		Active  bool   `db:"active"`
		Contact string `db:"contact_email"`
	}
	err = d.x.GetContext(ctx, &st, `SELECT active, contact_email FROM payment_profiles WHERE user_id = $1`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return errPaymentsNotSetUp.New()
	}
	if err != nil {
		return err
	}
	if st.Active {
		return ErrPaymentsActive.New()
	}
	if err := d.countCodeSent(ctx, userID); err != nil {
		return err
	}
	code := newActivationCode()
	var contact string
	err = d.x.GetContext(ctx, &contact, `UPDATE payment_profiles SET code_hash = $2,
		code_expires_at = now() + $3::interval, code_attempts = 0, updated_at = now()
		WHERE user_id = $1 AND NOT active RETURNING contact_email`,
		userID, activationCodeHash(pepper, userID, code), codeTTL.String())
	if errors.Is(err, sql.ErrNoRows) {
		return ErrPaymentsActive.New()
	}
	if err != nil {
		return err
	}
	return d.sendActivationCode(ctx, n, userID, contact, code)
}

const selectPaymentProfile = `SELECT ` + paymentProfileColumns + ` FROM payment_profiles WHERE user_id = $1`

// PaymentProfile returns the user's payment profile, ENOTFOUND if payments
// were never set up.
func (d *DB) PaymentProfile(ctx context.Context, userID int64) (PaymentProfile, error) {
	var r paymentProfileRow
	err := d.getPrepared(ctx, d.x, &r, selectPaymentProfile, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return PaymentProfile{}, errPaymentsNotSetUp.New()
	}
	return r.profile(), err
}

// countCodeSent counts one activation code against the user's hourly limit.
func (d *DB) countCodeSent(ctx context.Context, userID int64) error {
	ok, retry, err := d.Hit(ctx, "activation_code:"+strconv.FormatInt(userID, 10), codesPerHour, time.Hour)
	if err != nil {
		return err
	}
	if !ok {
		return errCodesTooMany.New(retry)
	}
	return nil
}

func (d *DB) sendActivationCode(ctx context.Context, n Notifier, userID int64, to, code string) error {
	var locale string
	if err := d.x.GetContext(ctx, &locale, `SELECT locale FROM users WHERE id = $1`, userID); err != nil {
		return err
	}
	err := n.Notify(ctx, Notification{
		UserID: userID,
		To:     to,
		Kind:   NotifyActivationCode,
		Locale: locale,
		Data:   map[string]any{"code": code, "minutes": int(codeTTL.Minutes())},
	})
	if err != nil {
		d.log.ErrorContext(ctx, "activation code not sent", "user_id", userID, "err", err)
		return errCodeNotSent.New()
	}
	return nil
}

// newActivationCode returns 6 uniformly random digits.
func newActivationCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// activationCodeHash is what is kept of a code: an HMAC keyed with the
// pepper, so a copy of the database does not give the pending codes away
// (a plain hash of 6 digits is undone in a millisecond).
func activationCodeHash(pepper string, userID int64, code string) []byte {
	m := hmac.New(sha256.New, []byte(pepper))
	fmt.Fprintf(m, "divvy activation code\x00%d\x00%s", userID, code)
	return m.Sum(nil)
}

// normalizeCode is a typed one-time code without the spaces and dashes
// people type in it, refused unless it is 6 digits.
func normalizeCode(code string) (string, error) {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return "", errCodeFormat.New()
	}
	return code, nil
}

// oneTimeCode is a one-time code's row state: its hash, whether it is
// still fresh, and the wrong tries counted so far.
type oneTimeCode struct {
	Hash     []byte `db:"code_hash"`
	Fresh    bool   `db:"fresh"`
	Attempts int    `db:"code_attempts"`
}

// check says why a code hashing to got is refused (nil when it is right),
// and whether the refusal is a wrong try the caller must count.
func (c oneTimeCode) check(got []byte) (refusal error, wrong bool) {
	switch {
	case c.Attempts >= maxCodeTries:
		return errCodeUsedUp.New(), false
	case !c.Fresh:
		return errCodeExpired.New(), false
	case hmac.Equal(c.Hash, got):
		return nil, false
	case maxCodeTries-c.Attempts-1 > 0:
		return errCodeWrong.New(maxCodeTries - c.Attempts - 1), true
	}
	return errCodeLastTry.New(), true
}
