package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errInviteOrganizerOnly = NewReason(EFORBIDDEN, "invite.organizer_only")
	errInviteInvalid       = NewReason(ENOTFOUND, "invite.invalid")
)

func (d *DB) newInvite(ctx context.Context, tx sqlx.ExtContext, threadID, userID int64) (string, error) {
	nonce, token := d.newLink()
	_, err := tx.ExecContext(ctx, `INSERT INTO group_invites (group_id, nonce, token_hash, created_by) VALUES ($1, $2, $3, $4)`,
		threadID, nonce, hashToken(token), userID)
	return token, err
}

// InviteToken returns the token of the thread's live invite link, making one
// if the last was revoked.
func (d *DB) InviteToken(ctx context.Context, threadID, userID int64) (string, error) {
	var r struct {
		Nonce []byte `db:"nonce"`
		Hash  []byte `db:"token_hash"`
	}
	err := d.x.GetContext(ctx, &r, `SELECT nonce, token_hash FROM group_invites
		WHERE group_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
		  AND (max_uses IS NULL OR uses < max_uses)
		ORDER BY id DESC LIMIT 1`, threadID)
	if err == nil {
		if t := d.showToken(r.Nonce, r.Hash); t != "" {
			return t, nil
		}
	} else if ErrorCode(mapErr(err, "")) != ENOTFOUND {
		return "", err
	}
	return d.newInvite(ctx, d.x, threadID, userID)
}

// ResetInvite revokes every invite link of the thread and makes a new one.
// Only an organizer may.
func (d *DB) ResetInvite(ctx context.Context, threadID, userID int64) (string, error) {
	var token string
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var role string
		if err := tx.GetContext(ctx, &role, `SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2`, threadID, userID); err != nil {
			return mapErr(err, "thread")
		}
		if role != RoleOrganizer {
			return errInviteOrganizerOnly.New()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE group_invites SET revoked_at = now() WHERE group_id = $1 AND revoked_at IS NULL`, threadID); err != nil {
			return err
		}
		// Whoever gets the new link gets it from a member: the people
		// removed earlier may come back through it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_removals WHERE group_id = $1`, threadID); err != nil {
			return err
		}
		// A pay link joins its thread too: the old ones go with the old invite.
		if err := d.newPayLinks(ctx, tx, threadID); err != nil {
			return err
		}
		var err error
		token, err = d.newInvite(ctx, tx, threadID, userID)
		return err
	})
	return token, err
}

// InviteThread returns the thread an invite token opens. Revoked, expired,
// used-up and unknown tokens are all ENOTFOUND.
func (d *DB) InviteThread(ctx context.Context, token string) (Thread, error) {
	var g Thread
	err := d.x.GetContext(ctx, &g, `
		SELECT g.id, g.name, g.currency, g.created_by, g.created_at,
		       (SELECT count(*) FROM group_members c WHERE c.group_id = g.id) AS members
		FROM group_invites i JOIN groups g ON g.id = i.group_id
		WHERE i.token_hash = $1 AND i.revoked_at IS NULL AND (i.expires_at IS NULL OR i.expires_at > now())
		  AND (i.max_uses IS NULL OR i.uses < i.max_uses)`, hashToken(token))
	return g, mapErr(err, "invite")
}

// JoinByInvite adds the user to the thread of a live invite. Joining twice
// is harmless. It returns the thread.
func (d *DB) JoinByInvite(ctx context.Context, token string, userID int64) (Thread, error) {
	var g Thread
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var inv struct {
			ID       int64 `db:"id"`
			ThreadID int64 `db:"group_id"`
		}
		// Find the invite's thread first, then lock the invite by (thread,
		// id), so a use-limited link cannot be over-used by racing joins: a
		// lock must name the thread on Citus, and the token alone does not.
		err := tx.GetContext(ctx, &inv, `SELECT id, group_id FROM group_invites WHERE token_hash = $1`, hashToken(token))
		if errors.Is(err, sql.ErrNoRows) {
			return errInviteInvalid.New()
		}
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &inv, `SELECT id, group_id FROM group_invites
			WHERE group_id = $1 AND id = $2 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
			  AND (max_uses IS NULL OR uses < max_uses)
			FOR UPDATE`, inv.ThreadID, inv.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return errInviteInvalid.New()
		}
		if err != nil {
			return err
		}
		added, err := addMember(ctx, tx, inv.ThreadID, userID)
		if err != nil {
			return err
		}
		if added {
			if _, err := tx.ExecContext(ctx, `UPDATE group_invites SET uses = uses + 1 WHERE group_id = $1 AND id = $2`, inv.ThreadID, inv.ID); err != nil {
				return err
			}
		}
		return tx.GetContext(ctx, &g, `SELECT id, name, currency, created_by, created_at FROM groups WHERE id = $1`, inv.ThreadID)
	})
	return g, err
}
