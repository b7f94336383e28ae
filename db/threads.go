package db

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"divvy/db/money"
)

// Roles in a group.
const (
	RoleOrganizer = "organizer"
	RoleMember    = "member"
)

// Member is a person in a group.
type Member struct {
	UserID      int64     `db:"user_id"`
	DisplayName string    `db:"display_name"`
	Role        string    `db:"role"`
	IsGuest     bool      `db:"is_guest"`
	JoinedAt    time.Time `db:"joined_at"`
}

// NewGroup is what a person types to create a thread.
type NewGroup struct {
	Name     string
	Currency string
}

// Problems returns a message key per field that is wrong.
func (g *NewGroup) Problems() map[string]string {
	p := map[string]string{}
	g.Name = strings.TrimSpace(g.Name)
	g.Currency = strings.ToUpper(strings.TrimSpace(g.Currency))
	switch n := utf8.RuneCountInString(g.Name); {
	case n == 0:
		p["name"] = "thread_name_required"
	case n > 80:
		p["name"] = "thread_name_long"
	}
	if _, ok := money.LookupCurrency(g.Currency); !ok {
		p["currency"] = "currency_unknown"
	}
	return p
}

// CreateGroup creates a thread with its creator as organizer, its first
// invite link and a "created" system message, in one transaction.
func (d *DB) CreateGroup(ctx context.Context, userID int64, in NewGroup) (Group, error) {
	if p := in.Problems(); len(p) > 0 {
		return Group{}, Errorf(EINVALID, "The thread form has problems.")
	}
	var g Group
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &g, `INSERT INTO groups (name, currency, created_by) VALUES ($1, $2, $3)
			RETURNING id, name, currency, created_by, created_at`, in.Name, in.Currency, userID); err != nil {
			return mapErr(err, "user")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, 'organizer')`, g.ID, userID); err != nil {
			return err
		}
		if _, err := d.newInvite(ctx, tx, g.ID, userID); err != nil {
			return err
		}
		return postMessage(ctx, tx, g.ID, "system", userID, "", map[string]any{"event": "created"})
	})
	g.Members = 1
	return g, err
}

// membershipQuery runs on every group route.
const membershipQuery = `
	SELECT g.id, g.name, g.currency, g.created_by, g.created_at, g.event_seq,
	       m.user_id, u.display_name, m.role, u.is_guest, m.joined_at
	FROM groups g
	JOIN group_members m ON m.group_id = g.id AND m.user_id = $2
	JOIN users u ON u.id = m.user_id
	WHERE g.id = $1`

// Membership returns the caller's membership of a group. A group that does
// not exist and one the caller is not in look the same: ENOTFOUND.
func (d *DB) Membership(ctx context.Context, groupID, userID int64) (Group, Member, error) {
	var r struct {
		Group
		Member
	}
	err := d.getPrepared(ctx, d.x, &r, membershipQuery, groupID, userID)
	if err != nil {
		return Group{}, Member{}, mapErr(err, "thread")
	}
	return r.Group, r.Member, nil
}

// Members lists a group's members, organizers first, then by joining order.
func (d *DB) Members(ctx context.Context, groupID int64) ([]Member, error) {
	var ms []Member
	err := d.x.SelectContext(ctx, &ms, `
		SELECT m.user_id, u.display_name, m.role, u.is_guest, m.joined_at
		FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $1
		ORDER BY m.role = 'organizer' DESC, m.joined_at, m.user_id`, groupID)
	return ms, err
}

// addMember adds userID to a group (idempotent) and posts "joined" when new.
func addMember(ctx context.Context, tx sqlx.ExtContext, groupID, userID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, 'member')
		ON CONFLICT DO NOTHING`, groupID, userID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := addEvent(ctx, tx, groupID, EventMembers, 0, 0); err != nil {
		return false, err
	}
	return true, postMessage(ctx, tx, groupID, "system", userID, "", map[string]any{"event": "joined"})
}

// SetLinkKeys sets the secrets invite and pay-link tokens are derived from;
// the first makes new tokens' display, all are tried when showing old ones.
func (d *DB) SetLinkKeys(keys []string) {
	d.linkKeys = nil
	for _, k := range keys {
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte("divvy link tokens"))
		d.linkKeys = append(d.linkKeys, m.Sum(nil))
	}
}

// tokenFor derives a link token from a stored nonce.
func tokenFor(key, nonce []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(nonce)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]) // 128 bits
}

// showToken recomputes the token whose hash is stored, trying every key so
// links survive a key rotation.
func (d *DB) showToken(nonce, hash []byte) string {
	for _, k := range d.linkKeys {
		t := tokenFor(k, nonce)
		if hmac.Equal(hashToken(t), hash) {
			return t
		}
	}
	return ""
}

func (d *DB) newLink() (nonce []byte, token string) {
	if len(d.linkKeys) == 0 {
		panic("db: SetLinkKeys was not called")
	}
	nonce = make([]byte, 16)
	rand.Read(nonce)
	return nonce, tokenFor(d.linkKeys[0], nonce)
}

func (d *DB) newInvite(ctx context.Context, tx sqlx.ExtContext, groupID, userID int64) (string, error) {
	nonce, token := d.newLink()
	_, err := tx.ExecContext(ctx, `INSERT INTO group_invites (group_id, nonce, token_hash, created_by) VALUES ($1, $2, $3, $4)`,
		groupID, nonce, hashToken(token), userID)
	return token, err
}

// InviteToken returns the token of the group's live invite link, making one
// if the last was revoked.
func (d *DB) InviteToken(ctx context.Context, groupID, userID int64) (string, error) {
	var r struct {
		Nonce []byte `db:"nonce"`
		Hash  []byte `db:"token_hash"`
	}
	err := d.x.GetContext(ctx, &r, `SELECT nonce, token_hash FROM group_invites
		WHERE group_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
		  AND (max_uses IS NULL OR uses < max_uses)
		ORDER BY id DESC LIMIT 1`, groupID)
	if err == nil {
		if t := d.showToken(r.Nonce, r.Hash); t != "" {
			return t, nil
		}
	} else if ErrorCode(mapErr(err, "")) != ENOTFOUND {
		return "", err
	}
	return d.newInvite(ctx, d.x, groupID, userID)
}

// ResetInvite revokes every invite link of the group and makes a new one.
// Only an organizer may.
func (d *DB) ResetInvite(ctx context.Context, groupID, userID int64) (string, error) {
	var token string
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var role string
		if err := tx.GetContext(ctx, &role, `SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2`, groupID, userID); err != nil {
			return mapErr(err, "thread")
		}
		if role != RoleOrganizer {
			return Errorf(EFORBIDDEN, "Only the organizer can change the invite link.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE group_invites SET revoked_at = now() WHERE group_id = $1 AND revoked_at IS NULL`, groupID); err != nil {
			return err
		}
		var err error
		token, err = d.newInvite(ctx, tx, groupID, userID)
		return err
	})
	return token, err
}

// InviteGroup returns the group an invite token opens. Revoked, expired,
// used-up and unknown tokens are all ENOTFOUND.
func (d *DB) InviteGroup(ctx context.Context, token string) (Group, error) {
	var g Group
	err := d.x.GetContext(ctx, &g, `
		SELECT g.id, g.name, g.currency, g.created_by, g.created_at,
		       (SELECT count(*) FROM group_members c WHERE c.group_id = g.id) AS members
		FROM group_invites i JOIN groups g ON g.id = i.group_id
		WHERE i.token_hash = $1 AND i.revoked_at IS NULL AND (i.expires_at IS NULL OR i.expires_at > now())
		  AND (i.max_uses IS NULL OR i.uses < i.max_uses)`, hashToken(token))
	return g, mapErr(err, "invite")
}

// JoinByInvite adds the user to the group of a live invite. Joining twice
// is harmless. It returns the group.
func (d *DB) JoinByInvite(ctx context.Context, token string, userID int64) (Group, error) {
	var g Group
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var inv struct {
			ID      int64 `db:"id"`
			GroupID int64 `db:"group_id"`
		}
		// Lock the invite so a use-limited link cannot be over-used by racing joins.
		err := tx.GetContext(ctx, &inv, `SELECT id, group_id FROM group_invites
			WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
			  AND (max_uses IS NULL OR uses < max_uses)
			FOR UPDATE`, hashToken(token))
		if err != nil {
			return Errorf(ENOTFOUND, "This invite link is not valid any more. Ask for a new one.")
		}
		added, err := addMember(ctx, tx, inv.GroupID, userID)
		if err != nil {
			return err
		}
		if added {
			if _, err := tx.ExecContext(ctx, `UPDATE group_invites SET uses = uses + 1 WHERE id = $1`, inv.ID); err != nil {
				return err
			}
		}
		return tx.GetContext(ctx, &g, `SELECT id, name, currency, created_by, created_at FROM groups WHERE id = $1`, inv.GroupID)
	})
	if err == nil {
		d.changed(g.ID)
	}
	return g, err
}
