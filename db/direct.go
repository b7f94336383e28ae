package db

import (
	"context"
	"database/sql"
	"errors"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Refusals of two-person threads (worded in views/refusals_text_direct.go).
var (
	// Someone the caller shares no thread with looks like nobody: ids
	// reveal nothing.
	errNotContact   = NewReason(ENOTFOUND, "contact.unknown")
	errDirectSelf   = NewReason(EINVALID, "direct.self")
	errDirectNoJoin = NewReason(EFORBIDDEN, "direct.no_join")
)

// directPair is the key of a pair's two-person thread: lower id first.
func directPair(a, b int64) (lo, hi int64) {
	if a < b {
		return a, b
	}
	return b, a
}

// contactCurrency returns the currency of the latest thread a and b share,
// and ENOTFOUND (contact.unknown) when they share none: only people who
// share a thread are contacts.
func contactCurrency(ctx context.Context, q sqlx.QueryerContext, a, b int64) (string, error) {
	var cur string
	err := sqlx.GetContext(ctx, q, &cur, `
		SELECT g.currency FROM group_members x
		JOIN group_members y ON y.group_id = x.group_id AND y.user_id = $2
		JOIN groups g ON g.id = x.group_id
		WHERE x.user_id = $1
		ORDER BY g.created_at DESC, g.id DESC LIMIT 1`, a, b)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNotContact.New()
	}
	return cur, err
}

// IsContact reports whether two people share a thread.
func (d *DB) IsContact(ctx context.Context, a, b int64) (bool, error) {
	_, err := contactCurrency(ctx, d.x, a, b)
	if ErrorCode(err) == ENOTFOUND {
		return false, nil
	}
	return err == nil, err
}

// OpenDirect returns the two-person thread of userID and otherID, creating
// it the first time (at most one per pair, whoever starts it, even when both
// start it at once). otherID must be a contact of userID: someone they share
// a thread with; anyone else is ENOTFOUND, and nothing is written. A member
// who left the pair's thread is back in it.
func (d *DB) OpenDirect(ctx context.Context, userID, otherID int64) (Thread, error) {
	if userID == otherID {
		return Thread{}, errDirectSelf.New()
	}
	lo, hi := directPair(userID, otherID)
	var g Thread
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('direct:' || $1::text || ':' || $2::text, 0))`, lo, hi); err != nil {
			return err
		}
		cur, err := contactCurrency(ctx, tx, userID, otherID)
		if err != nil {
			return err
		}
		var id int64
		err = tx.GetContext(ctx, &id, `SELECT group_id FROM direct_threads WHERE user_lo = $1 AND user_hi = $2`, lo, hi)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if id, err = createDirect(ctx, tx, userID, otherID, cur); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			for _, u := range []int64{userID, otherID} {
				if _, err := rejoinDirect(ctx, tx, id, u); err != nil {
					return err
				}
			}
		}
		return tx.GetContext(ctx, &g, `SELECT id, name, currency, created_by, created_at, direct FROM groups WHERE id = $1`, id)
	})
	g.Members = 2
	return g, err
}

// createDirect creates the pair's thread, named after both.
func createDirect(ctx context.Context, tx sqlx.ExtContext, userID, otherID int64, currency string) (int64, error) {
	var names struct {
		Me    string `db:"me"`
		Other string `db:"other"`
	}
	if err := sqlx.GetContext(ctx, tx, &names, `SELECT (SELECT display_name FROM users WHERE id = $1) AS me,
		(SELECT display_name FROM users WHERE id = $2) AS other`, userID, otherID); err != nil {
		return 0, err
	}
	name := names.Me + " & " + names.Other
	for utf8.RuneCountInString(name) > 80 {
		r := []rune(name)
		name = string(r[:80])
	}
	var id int64
	if err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO groups (name, currency, created_by, direct) VALUES ($1, $2, $3, true)
		RETURNING id`, name, currency, userID); err != nil {
		return 0, mapErr(err, "user")
	}
	lo, hi := directPair(userID, otherID)
	if _, err := tx.ExecContext(ctx, `INSERT INTO direct_threads (user_lo, user_hi, group_id) VALUES ($1, $2, $3)`, lo, hi, id); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, 'member'), ($1, $3, 'member')`,
		id, userID, otherID); err != nil {
		return 0, err
	}
	return id, postMessage(ctx, tx, id, "system", userID, "", SystemData{Event: "created"})
}

// rejoinDirect puts one of the pair back in their thread, if they left.
func rejoinDirect(ctx context.Context, tx sqlx.ExtContext, threadID, userID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role) VALUES ($1, $2, 'member')
		ON CONFLICT DO NOTHING`, threadID, userID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := addEvent(ctx, tx, threadID, EventMembers, 0, 0); err != nil {
		return false, err
	}
	return true, postMessage(ctx, tx, threadID, "system", userID, "", SystemData{Event: "joined"})
}

// refuseDirectJoin says why addMember added nobody: already a member (nil),
// or a two-person thread, which nobody joins (invite, pay link, named guest).
func refuseDirectJoin(ctx context.Context, tx sqlx.ExtContext, threadID, userID int64) error {
	var st struct {
		Direct bool `db:"direct"`
		Member bool `db:"member"`
	}
	err := sqlx.GetContext(ctx, tx, &st, `SELECT g.direct,
		EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.user_id = $2) AS member
		FROM groups g WHERE g.id = $1`, threadID, userID)
	if err != nil {
		return mapErr(err, "thread")
	}
	if st.Direct && !st.Member {
		return errDirectNoJoin.New()
	}
	return nil
}
