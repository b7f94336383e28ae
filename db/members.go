package db

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// Refusals of removing a member and of leaving a thread (worded in
// views/refusals_text.go).
var (
	// ErrRemoveOrganizerOnly refuses removing someone to a member who does
	// not organize the thread.
	ErrRemoveOrganizerOnly = NewReason(EFORBIDDEN, "member.remove_organizer_only")
	errRemoveSelf          = NewReason(EINVALID, "member.remove_self")
	errRemoveAnOrganizer   = NewReason(EFORBIDDEN, "member.remove_an_organizer")
	errRemoveOwes          = NewReason(ECONFLICT, "member.remove_owes", "name")
	errLeaveOwes           = NewReason(ECONFLICT, "member.leave_owes")
	// ErrLeaveOrganizer refuses leaving to the organizer while others are
	// in the thread.
	ErrLeaveOrganizer     = NewReason(ECONFLICT, "member.leave_organizer")
	errRejoinAfterRemoval = NewReason(EFORBIDDEN, "member.removed")
	errThreadLeft         = NewReason(ECONFLICT, "member.thread_left")
)

// memberOwes reports whether userID owes or is owed money in the thread,
// which keeps them in it: nobody leaves, or is removed, until settled.
// It is the one place that rule is written; today someone owes or is owed
// when
//
//   - they have a share not paid (due, or "paid another way" not yet
//     confirmed) in an open split of the thread;
//
//   - they collect an open split of the thread that has such a share;
//
//   - a card payment of the thread's splits that they made or collect has
//     not settled yet (it could still fail and leave a share due, and the
//     collector's money is not theirs to withdraw until it settles).
//
//   - their position in the thread is not zero in some currency (the
//     balances: what they fronted and paid against what they owe and
//     received), or a payment made another way to or by them waits for
//     its receiver.
//
// Run it after locking the person's member row (RemoveMember and
// LeaveThread delete it first): a split being created with them waits for
// that lock (CreateSplit and addToSplit read member rows FOR KEY SHARE), so
// this sees it.
func memberOwes(ctx context.Context, q sqlx.QueryerContext, threadID, userID int64) (bool, error) {
	var owes bool
	err := sqlx.GetContext(ctx, q, &owes, `
		SELECT EXISTS (
			SELECT 1 FROM splits s
			JOIN shares sh ON sh.split_id = s.id
			LEFT JOIN share_payments p ON `+paysShare+`
			WHERE s.group_id = $1 AND s.status = 'open'
			  AND sh.user_id <> s.payee_id
			  AND (sh.user_id = $2 OR s.payee_id = $2)
			GROUP BY sh.id, sh.amount HAVING NOT `+shareFullyPaidAgg+`
		) OR EXISTS (
			SELECT 1 FROM ledger_pending q
			JOIN ledger_transfers t ON t.id = q.transfer_id
			JOIN splits s ON s.id = t.split_id
			WHERE s.group_id = $1 AND (s.payee_id = $2 OR t.payer_user_id = $2)
		) OR EXISTS (
			SELECT 1 FROM ledger_accounts a
			WHERE a.kind = 'thread_position' AND a.group_id = $1 AND a.user_id = $2 AND a.balance <> 0
		) OR EXISTS (
			SELECT 1 FROM settle_claims c
			WHERE c.group_id = $1 AND (c.payer_id = $2 OR c.to_id = $2) AND c.transfer_id IS NULL AND c.rejected_at IS NULL
		)`, threadID, userID)
	return owes, err
}

// leaveSQL takes the member out of the thread and returns their role and
// name. Deleting the row first locks it: see memberOwes.
const leaveSQL = `
	WITH m AS (
		DELETE FROM group_members WHERE group_id = $1 AND user_id = $2 RETURNING role
	)
	SELECT m.role, u.display_name FROM m, users u WHERE u.id = $2`

// RemoveMember takes userID out of the thread; only an organizer may, not
// of themselves (they leave) nor of another organizer, and not while the
// person owes or is owed money there (memberOwes). They lose access at once
// (every thread route checks membership; the caller ends their open event
// streams) and cannot come back through the links they had until the
// invite link is reset. The thread says who removed whom, in the same
// transaction.
func (d *DB) RemoveMember(ctx context.Context, threadID, actorID, userID int64) error {
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var actorRole string
		if err := tx.GetContext(ctx, &actorRole, `SELECT role FROM group_members WHERE group_id = $1 AND user_id = $2`, threadID, actorID); err != nil {
			return mapErr(err, "thread")
		}
		if actorRole != RoleOrganizer {
			return ErrRemoveOrganizerOnly.New()
		}
		if actorID == userID {
			return errRemoveSelf.New()
		}
		var gone struct {
			Role string `db:"role"`
			Name string `db:"display_name"`
		}
		if err := tx.GetContext(ctx, &gone, leaveSQL, threadID, userID); err != nil {
			return mapErr(err, "user")
		}
		if gone.Role == RoleOrganizer {
			return errRemoveAnOrganizer.New()
		}
		owes, err := memberOwes(ctx, tx, threadID, userID)
		if err != nil {
			return err
		}
		if owes {
			return errRemoveOwes.New(gone.Name)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO group_removals (group_id, user_id, removed_by, removed_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (group_id, user_id) DO UPDATE SET removed_by = EXCLUDED.removed_by, removed_at = EXCLUDED.removed_at`,
			threadID, userID, actorID, time.Now()); err != nil {
			return err
		}
		// A place kept for someone by name goes with them: nobody takes it over.
		if _, err := tx.ExecContext(ctx, `DELETE FROM named_guests WHERE group_id = $1 AND user_id = $2`, threadID, userID); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, threadID, EventMembers, 0, 0); err != nil {
			return err
		}
		return postMessage(ctx, tx, threadID, "system", actorID, "", SystemData{Event: "removed", To: gone.Name})
	})
}

// LeaveThread takes userID out of the thread, not while they owe or are
// owed money there (memberOwes). An organizer leaves only when another
// organizer stays or nobody else is left: a thread with people in it keeps
// someone who can manage it. The last person out leaves the thread to its
// records (splits and payments stay for the ledger) and its links stop
// working. The thread says who left, in the same transaction.
func (d *DB) LeaveThread(ctx context.Context, threadID, userID int64) error {
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var gone struct {
			Role string `db:"role"`
			Name string `db:"display_name"`
		}
		if err := tx.GetContext(ctx, &gone, leaveSQL, threadID, userID); err != nil {
			return mapErr(err, "thread")
		}
		var others struct {
			Members    int `db:"members"`
			Organizers int `db:"organizers"`
		}
		// Locking the others' rows keeps a join (which locks the organizer's
		// row, see addMember) from slipping in unseen.
		if err := tx.GetContext(ctx, &others, `
			SELECT count(*) AS members, count(*) FILTER (WHERE role = 'organizer') AS organizers
			FROM (SELECT role FROM group_members WHERE group_id = $1 FOR KEY SHARE) m`, threadID); err != nil {
			return err
		}
		if gone.Role == RoleOrganizer && others.Members > 0 && others.Organizers == 0 {
			return ErrLeaveOrganizer.New()
		}
		owes, err := memberOwes(ctx, tx, threadID, userID)
		if err != nil {
			return err
		}
		if owes {
			return errLeaveOwes.New()
		}
		if others.Members == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE group_invites SET revoked_at = now() WHERE group_id = $1 AND revoked_at IS NULL`, threadID); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, threadID, EventMembers, 0, 0); err != nil {
			return err
		}
		return postMessage(ctx, tx, threadID, "system", userID, "", SystemData{Event: "left"})
	})
}

// joinable refuses to add userID to the thread when an organizer removed
// them (until the invite link is reset) or when everyone has left it (a
// thread nobody organizes takes nobody in). It locks the organizers' rows
// (FOR KEY SHARE), so an organizer leaving the thread at the same time
// either sees the newcomer or is seen gone.
func joinable(ctx context.Context, tx sqlx.QueryerContext, threadID, userID int64) error {
	var r struct {
		Removed    bool `db:"removed"`
		Organizers int  `db:"organizers"`
	}
	if err := sqlx.GetContext(ctx, tx, &r, `
		SELECT EXISTS (SELECT 1 FROM group_removals WHERE group_id = $1 AND user_id = $2) AS removed,
		       (SELECT count(*) FROM (SELECT 1 FROM group_members WHERE group_id = $1 AND role = 'organizer' FOR KEY SHARE) o) AS organizers`,
		threadID, userID); err != nil {
		return err
	}
	if r.Removed {
		return errRejoinAfterRemoval.New()
	}
	if r.Organizers == 0 {
		return errThreadLeft.New()
	}
	return nil
}
