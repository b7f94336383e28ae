package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// SessionTTL is how long a session lasts without use.
const SessionTTL = 30 * 24 * time.Hour

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// NewToken returns 128 bits of randomness, URL-safe.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSession starts a session for the user and returns its id, which only
// the cookie carries; the database keeps its hash.
func (d *DB) CreateSession(ctx context.Context, userID int64) (string, error) {
	id := NewToken()
	_, err := d.x.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, expires_at) VALUES ($1, $2, $3)`,
		hashToken(id), userID, d.now().Add(SessionTTL))
	return id, mapErr(err, "user")
}

// sessionUserQuery runs on every signed-in request.
var sessionUserQuery = `SELECT ` + prefixed("u.", userColumns) + `, s.seen_at
	FROM sessions s JOIN users u ON u.id = s.user_id
	WHERE s.id_hash = $1 AND s.expires_at > now()`

// SessionUser returns the user of a live session. An unknown, revoked or
// expired session is EUNAUTHORIZED. Use slides the expiry forward, at most
// once a minute, so most requests only read.
func (d *DB) SessionUser(ctx context.Context, sessionID string) (User, error) {
	var r struct {
		userRow
		SeenAt time.Time `db:"seen_at"`
	}
	err := d.getPrepared(ctx, d.x, &r, sessionUserQuery, hashToken(sessionID))
	if err != nil {
		if ErrorCode(mapErr(err, "")) == ENOTFOUND {
			return User{}, Errorf(EUNAUTHORIZED, "Your session has ended. Please log in again.")
		}
		return User{}, err
	}
	if d.now().Sub(r.SeenAt) > time.Minute {
		_, err = d.x.ExecContext(ctx, `UPDATE sessions SET seen_at = now(), expires_at = $2 WHERE id_hash = $1`,
			hashToken(sessionID), d.now().Add(SessionTTL))
		if err != nil {
			return User{}, err
		}
	}
	return r.user(), nil
}

// DeleteSession revokes one session (log out).
func (d *DB) DeleteSession(ctx context.Context, sessionID string) error {
	_, err := d.x.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, hashToken(sessionID))
	return err
}

// DeleteUserSessions revokes every session of the user (log out everywhere).
func (d *DB) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := d.x.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
