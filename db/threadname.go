package db

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Refusals of renaming a thread.
var (
	errRenameOrganizer = NewReason(EFORBIDDEN, "thread.rename_organizer")
	errRenameName      = NewReason(EINVALID, "thread.rename_name")
)

// RenameThread gives the thread a new name; only its organizer may. The
// thread says so, in the same transaction.
func (d *DB) RenameThread(ctx context.Context, threadID, actorID int64, name string) error {
	in := NewThread{Name: name, Currency: "EUR"}
	if p := in.Problems(); p["name"] != "" {
		return errRenameName.New()
	}
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var role string
		if err := tx.GetContext(ctx, &role, `SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2`, threadID, actorID); err != nil {
			return mapErr(err, "thread")
		}
		if role != RoleOrganizer {
			return errRenameOrganizer.New()
		}
		if _, err := tx.ExecContext(ctx, `UPDATE groups SET name = $2 WHERE id = $1`, threadID, in.Name); err != nil {
			return err
		}
		return postMessage(ctx, tx, threadID, "system", actorID, "", SystemData{Event: "renamed", Title: in.Name})
	})
	return err
}
