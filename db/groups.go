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
	// EventSeq is the id of the group's latest event when it was read
	// (Membership): what a thread page read after it shows at least.
	EventSeq int64 `db:"event_seq"`
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
