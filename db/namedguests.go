package db

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Refusals of adding people by name.
var (
	errNamedGuestName = NewReason(EINVALID, "named_guest.name", "name")
	errNamedGuestGone = NewReason(ENOTFOUND, "named_guest.gone")
)

// AddNamedGuests makes a guest account and a membership of the thread for
// each name, for a member to include people in a split before they joined.
// Each stays "named" until someone claims it from the split's pay link
// (ClaimNamedGuest). All or none are added.
func (d *DB) AddNamedGuests(ctx context.Context, threadID, actorID int64, names []string, locale string) ([]Member, error) {
	var out []Member
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		out = out[:0]
		var member bool
		if err := tx.GetContext(ctx, &member, `SELECT EXISTS (SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2)`, threadID, actorID); err != nil {
			return err
		}
		if !member {
			return ErrNotFound.New("thread")
		}
		for _, name := range names {
			name = strings.TrimSpace(name)
			if checkDisplayName(name) != "" {
				return errNamedGuestName.New(name)
			}
			var id int64
			if err := tx.GetContext(ctx, &id, `INSERT INTO users (display_name, is_guest, locale) VALUES ($1, true, $2) RETURNING id`,
				name, normLocale(locale)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO named_guests (user_id, group_id, added_by) VALUES ($1, $2, $3)`, id, threadID, actorID); err != nil {
				return err
			}
			if _, err := addMember(ctx, tx, threadID, id); err != nil {
				return err
			}
			out = append(out, Member{UserID: id, DisplayName: name})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NamedGuest is a person added by name whose account nobody took yet.
type NamedGuest struct {
	UserID int64  `db:"user_id"`
	Name   string `db:"display_name"`
}

// NamedGuestsInSplit lists the people added by name who have a share in
// the split and whose account nobody took yet.
func (d *DB) NamedGuestsInSplit(ctx context.Context, threadID, splitID int64) ([]NamedGuest, error) {
	var out []NamedGuest
	err := d.x.SelectContext(ctx, &out, `SELECT u.id AS user_id, u.display_name
		FROM shares s JOIN named_guests n ON n.user_id = s.user_id AND n.group_id = $1
		JOIN users u ON u.id = s.user_id
		WHERE s.split_id = $2 AND s.removed_at IS NULL ORDER BY s.position`, threadID, splitID)
	return out, err
}

// ClaimNamedGuest takes over the account of a person added by name to the
// split, once: the caller then signs the browser in as them.
func (d *DB) ClaimNamedGuest(ctx context.Context, threadID, splitID, userID int64) error {
	res, err := d.x.ExecContext(ctx, `DELETE FROM named_guests n WHERE n.user_id = $1 AND n.group_id = $2
		AND EXISTS (SELECT 1 FROM shares s WHERE s.split_id = $3 AND s.user_id = n.user_id AND s.removed_at IS NULL)`, userID, threadID, splitID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNamedGuestGone.New()
	}
	return nil
}
