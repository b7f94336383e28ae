package db

import (
	"context"
	"time"
)

// Group is a thread: a conversation with a default currency.
type Group struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	Currency  string    `db:"currency"`
	CreatedBy int64     `db:"created_by"`
	CreatedAt time.Time `db:"created_at"`
	Members   int       `db:"members"`
}

// GroupsOf lists the threads the user belongs to, most recent first.
func (d *DB) GroupsOf(ctx context.Context, userID int64) ([]Group, error) {
	var gs []Group
	err := d.x.SelectContext(ctx, &gs, `
		SELECT g.id, g.name, g.currency, g.created_by, g.created_at,
		       (SELECT count(*) FROM group_members c WHERE c.group_id = g.id) AS members
		FROM groups g JOIN group_members m ON m.group_id = g.id AND m.user_id = $1
		ORDER BY g.created_at DESC, g.id DESC`, userID)
	return gs, err
}

// threadMembersQuery reads the members and the group's event counter in one
// statement, so both come from the same snapshot.
const threadMembersQuery = `
	SELECT m.user_id, u.display_name, m.role, u.is_guest, m.joined_at, g.event_seq
	FROM groups g
	JOIN group_members m ON m.group_id = g.id
	JOIN users u ON u.id = m.user_id
	WHERE g.id = $1
	ORDER BY m.role = 'organizer' DESC, m.joined_at, m.user_id`

// ThreadMembers returns what Members does and the id of the group's latest
// event (LastEventID) in one round trip: a thread page reads both before
// its messages, so its live stream misses nothing. A group without members
// is ENOTFOUND, as it is to anyone asking.
func (d *DB) ThreadMembers(ctx context.Context, groupID int64) ([]Member, int64, error) {
	var rows []struct {
		Member
		EventSeq int64 `db:"event_seq"`
	}
	if err := d.selectPrepared(ctx, d.x, &rows, threadMembersQuery, groupID); err != nil {
		return nil, 0, err
	}
	if len(rows) == 0 {
		return nil, 0, Errorf(ENOTFOUND, "Thread not found.")
	}
	ms := make([]Member, len(rows))
	for i, r := range rows {
		ms[i] = r.Member
	}
	return ms, rows[0].EventSeq, nil
}
