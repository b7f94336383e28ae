package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// SignupLinkTTL is how long the link that finishes a sign-up works.
const SignupLinkTTL = 24 * time.Hour

var errSignupLinkDead = NewReason(ENOTFOUND, "signup.link_dead")

// SignupRequest is what RequestSignup did with a sign-up: for an address
// without an account, the token of the link that makes the account; for one
// with an account, that account (Exists), whose owner is told someone tried.
type SignupRequest struct {
	Token    string
	Exists   bool
	Existing User
}

// RequestSignup starts a sign-up and answers the same way, with the same
// work, whether or not the address has an account: the password is hashed
// either way, and the caller mails either the link that makes the account
// or, to the account that already has the address, a word that someone
// tried (no second account is made). Used and expired requests are deleted
// on the way, like reset links.
func (d *DB) RequestSignup(ctx context.Context, s SignUp) (SignupRequest, error) {
	if p := s.Problems(); len(p) > 0 {
		return SignupRequest{}, errSignupForm.New()
	}
	hash, err := hashSecret(ctx, s.Password, "")
	if err != nil {
		return SignupRequest{}, err
	}
	now := d.now()
	if _, err := d.x.ExecContext(ctx, `DELETE FROM signup_requests WHERE expires_at <= $1`, now); err != nil {
		return SignupRequest{}, err
	}
	var r userRow
	err = d.x.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE email = $1`, s.Email)
	if err == nil {
		return SignupRequest{Exists: true, Existing: r.user()}, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return SignupRequest{}, err
	}
	token := NewToken()
	_, err = d.x.ExecContext(ctx, `INSERT INTO signup_requests (token_hash, email, display_name, password_hash, locale, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, hashToken(token), s.Email, s.DisplayName, hash, normLocale(s.Locale), now, now.Add(SignupLinkTTL))
	if err != nil {
		return SignupRequest{}, err
	}
	return SignupRequest{Token: token}, nil
}

// SignupEmail returns the address a live sign-up link confirms (ENOTFOUND
// for an unknown, used or expired one: the page says the same for all).
func (d *DB) SignupEmail(ctx context.Context, token string) (string, error) {
	var email string
	err := d.x.GetContext(ctx, &email, `SELECT email FROM signup_requests WHERE token_hash = $1 AND expires_at > $2`, hashToken(token), d.now())
	if errors.Is(err, sql.ErrNoRows) {
		return "", errSignupLinkDead.New()
	}
	return email, err
}

// ConfirmSignup makes the account a live sign-up link was mailed for, and
// uses up every sign-up link of that address, in one transaction. When the
// address got an account meanwhile (another link of it, or a guest who kept
// theirs), it is a conflict: nobody gets a second account.
func (d *DB) ConfirmSignup(ctx context.Context, token string) (User, error) {
	var u userRow
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var req struct {
			Email  string `db:"email"`
			Name   string `db:"display_name"`
			Hash   string `db:"password_hash"`
			Locale string `db:"locale"`
		}
		err := tx.GetContext(ctx, &req, `DELETE FROM signup_requests WHERE token_hash = $1 AND expires_at > $2
			RETURNING email, display_name, password_hash, locale`, hashToken(token), d.now())
		if errors.Is(err, sql.ErrNoRows) {
			return errSignupLinkDead.New()
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM signup_requests WHERE email = $1`, req.Email); err != nil {
			return err
		}
		err = tx.GetContext(ctx, &u, `INSERT INTO users (display_name, email, password_hash, locale)
			VALUES ($1, $2, $3, $4) RETURNING `+userColumns, req.Name, req.Email, req.Hash, req.Locale)
		if ErrorCode(mapErr(err, "")) == ECONFLICT {
			return errEmailTaken.New()
		}
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u.user(), nil
}
