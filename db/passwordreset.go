package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// ResetLinkTTL is how long a password reset link works.
const ResetLinkTTL = 30 * time.Minute

var (
	errResetLinkDead  = NewReason(ENOTFOUND, "reset.link_dead")
	errPasswordLength = NewReason(EINVALID, "password.length")
)

// PasswordProblem returns the problem key of a new password, "" when it will do.
func PasswordProblem(password string) string {
	switch n := utf8.RuneCountInString(password); {
	case n < 8:
		return "password_short"
	case n > 200:
		return "password_long"
	}
	return ""
}

// RequestPasswordReset makes a one-time reset token for the full account
// with this email and returns it with its user. found is false, with no
// error, when no account has that email: the caller answers the same either
// way, so the answer does not tell who has an account. Only the token's
// hash is kept.
//
// Every request first deletes the links that can no longer be used (used,
// or expired): they answer nothing a missing row would not ("this link no
// longer works"), so the table holds only live links and the last few
// minutes' worth of dead ones. Requests are rate-limited, so this is
// cheap, and it runs whether or not the address has an account.
func (d *DB) RequestPasswordReset(ctx context.Context, email string) (token string, u User, found bool, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := d.pruneResetLinks(ctx); err != nil {
		return "", User{}, false, err
	}
	var r userRow
	err = d.x.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE email = $1 AND NOT is_guest`, email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", User{}, false, nil
	}
	if err != nil {
		return "", User{}, false, err
	}
	token = NewToken()
	_, err = d.x.ExecContext(ctx, `INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		hashToken(token), r.ID, d.now().Add(ResetLinkTTL))
	if err != nil {
		return "", User{}, false, err
	}
	return token, r.user(), true, nil
}

// pruneResetLinks deletes the reset links that were used or have expired.
func (d *DB) pruneResetLinks(ctx context.Context) error {
	_, err := d.x.ExecContext(ctx, `DELETE FROM password_resets WHERE used_at IS NOT NULL OR expires_at <= $1`, d.now())
	return err
}

var selectResetUser = `SELECT ` + prefixed("u.", userColumns) + `
	FROM password_resets p JOIN users u ON u.id = p.user_id
	WHERE p.token_hash = $1 AND p.used_at IS NULL AND p.expires_at > $2`

// PasswordResetUser returns whose password a live reset token resets. An
// unknown, used or expired token is refused with one reason: the page says
// the same for all three.
func (d *DB) PasswordResetUser(ctx context.Context, token string) (User, error) {
	var r userRow
	err := d.x.GetContext(ctx, &r, selectResetUser, hashToken(token), d.now())
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errResetLinkDead.New()
	}
	return r.user(), err
}

// ResetPassword sets a new password with a live reset token and, in the
// same transaction, uses up the token (and every other reset token of the
// account) and revokes every session of the account: whoever knew the old
// password is signed out everywhere. The payment PIN is not touched.
// Concurrent uses of one token: the first to claim the row wins, the others
// find it used and are refused.
func (d *DB) ResetPassword(ctx context.Context, token, password string) (User, error) {
	if p := PasswordProblem(password); p != "" {
		return User{}, errPasswordLength.New()
	}
	// Check before the slow hash, so a dead link costs nothing.
	if _, err := d.PasswordResetUser(ctx, token); err != nil {
		return User{}, err
	}
	hash, err := hashSecret(ctx, password, "")
	if err != nil {
		return User{}, err
	}
	var r userRow
	err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var userID int64
		// The row lock makes a racing use wait, then see used_at set.
		err := tx.GetContext(ctx, &userID, `UPDATE password_resets SET used_at = $2
			WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id`, hashToken(token), d.now())
		if errors.Is(err, sql.ErrNoRows) {
			return errResetLinkDead.New()
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
			userID, d.now()); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &r, `UPDATE users SET password_hash = $2 WHERE id = $1 AND NOT is_guest
			RETURNING `+userColumns, userID, hash); err != nil {
			return mapErr(err, "user")
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return User{}, err
	}
	return r.user(), nil
}

// EmailProblem returns the problem key of an email address as a person
// typed it, "" when it looks deliverable.
func EmailProblem(email string) string {
	return checkEmail(strings.ToLower(strings.TrimSpace(email)))
}
