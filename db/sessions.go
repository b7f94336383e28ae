package db

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errSessionEnded = NewReason(EUNAUTHORIZED, "session.ended")
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
// the cookie carries; the database keeps its hash. userAgent is the
// browser's User-Agent, kept so the account page can say which device it is.
func (d *DB) CreateSession(ctx context.Context, userID int64, userAgent string) (string, error) {
	id := NewToken()
	_, err := d.x.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, expires_at, user_agent) VALUES ($1, $2, $3, $4)`,
		hashToken(id), userID, d.now().Add(SessionTTL), clip(userAgent, 512))
	return id, mapErr(err, "user")
}

// clip cuts s to at most n bytes, on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Device is one live session of a user, as the account page lists it.
type Device struct {
	ID        int64 // names the session in forms; not a secret
	CreatedAt time.Time
	SeenAt    time.Time
	UserAgent string
	Current   bool // the session the list was asked from
}

// Devices lists the user's live sessions, the one currentSessionID names
// flagged as current, most recently used first.
func (d *DB) Devices(ctx context.Context, userID int64, currentSessionID string) ([]Device, error) {
	var rows []struct {
		ID        int64     `db:"device_id"`
		CreatedAt time.Time `db:"created_at"`
		SeenAt    time.Time `db:"seen_at"`
		UserAgent string    `db:"user_agent"`
		Current   bool      `db:"current"`
	}
	err := d.x.SelectContext(ctx, &rows, `
		SELECT device_id, created_at, seen_at, user_agent, id_hash = $2 AS current
		FROM sessions WHERE user_id = $1 AND expires_at > now()
		ORDER BY id_hash = $2 DESC, seen_at DESC, device_id DESC`, userID, hashToken(currentSessionID))
	if err != nil {
		return nil, err
	}
	out := make([]Device, len(rows))
	for i, r := range rows {
		out[i] = Device(r)
	}
	return out, nil
}

var errDeviceGone = NewReason(ENOTFOUND, "device.gone")

// SignOutDevice revokes one of the user's sessions by its device id; nobody
// can revoke another person's session. It reports whether that session was
// the one currentSessionID names.
func (d *DB) SignOutDevice(ctx context.Context, userID, deviceID int64, currentSessionID string) (wasCurrent bool, err error) {
	err = d.x.GetContext(ctx, &wasCurrent, `DELETE FROM sessions WHERE user_id = $1 AND device_id = $2
		RETURNING id_hash = $3`, userID, deviceID, hashToken(currentSessionID))
	if errors.Is(err, sql.ErrNoRows) {
		return false, errDeviceGone.New()
	}
	return wasCurrent, err
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
			return User{}, errSessionEnded.New()
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

// LiveSessions reports which of these session ids are live (neither
// revoked nor expired).
func (d *DB) LiveSessions(ctx context.Context, sessionIDs []string) (map[string]bool, error) {
	hashes := make([][]byte, len(sessionIDs))
	byHash := make(map[string]string, len(sessionIDs))
	for i, id := range sessionIDs {
		hashes[i] = hashToken(id)
		byHash[string(hashes[i])] = id
	}
	var live [][]byte
	if err := d.x.SelectContext(ctx, &live, `SELECT id_hash FROM sessions WHERE id_hash = ANY($1) AND expires_at > now()`,
		pq.ByteaArray(hashes)); err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(live))
	for _, h := range live {
		out[byHash[string(h)]] = true
	}
	return out, nil
}
