package db

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// A pay link is an invitation to its split's thread, as the invite link is
// (see JoinBySplitLink): resetting the thread's invite link resets every pay
// link of the thread too, and the collector or an organizer can reset one
// split's pay link.

var errPayLinkReset = NewReason(EFORBIDDEN, "paylink.reset_forbidden")

// newPayLinks gives every split of the thread a new pay link; the old ones
// stop working.
func (d *DB) newPayLinks(ctx context.Context, tx *sqlx.Tx, threadID int64, splitIDs ...int64) error {
	if len(splitIDs) == 0 {
		if err := tx.SelectContext(ctx, &splitIDs, `SELECT id FROM splits WHERE group_id = $1`, threadID); err != nil {
			return err
		}
	}
	for _, id := range splitIDs {
		nonce, token := d.newLink()
		if _, err := tx.ExecContext(ctx, `UPDATE splits SET pay_nonce = $3, pay_token_hash = $4 WHERE id = $1 AND group_id = $2`,
			id, threadID, nonce, hashToken(token)); err != nil {
			return err
		}
	}
	return nil
}

// ResetPayLink gives a split a new pay link, so the old one stops working.
// Only its collector or an organizer of the thread may (EFORBIDDEN).
func (d *DB) ResetPayLink(ctx context.Context, threadID, splitID, userID int64) error {
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var r struct {
			CollectorID int64  `db:"payee_id"`
			Role        string `db:"role"`
		}
		err := tx.GetContext(ctx, &r, `SELECT s.payee_id, m.role FROM splits s
			JOIN group_members m ON m.group_id = s.group_id AND m.user_id = $3
			WHERE s.id = $2 AND s.group_id = $1 FOR UPDATE OF s`, threadID, splitID, userID)
		if err != nil {
			return mapErr(err, "split")
		}
		if r.CollectorID != userID && r.Role != RoleOrganizer {
			return errPayLinkReset.New()
		}
		return d.newPayLinks(ctx, tx, threadID, splitID)
	})
}
