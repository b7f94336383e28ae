package db

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"divvy/db/money"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errThreadForm = NewReason(EINVALID, "thread.form")
)

// Roles in a thread.
const (
	RoleOrganizer = "organizer"
	RoleMember    = "member"
)

// Member is a person in a thread.
type Member struct {
	UserID      int64     `db:"user_id"`
	DisplayName string    `db:"display_name"`
	Role        string    `db:"role"`
	IsGuest     bool      `db:"is_guest"`
	JoinedAt    time.Time `db:"joined_at"`
}

// NewThread is what a person types to create a thread.
type NewThread struct {
	Name     string
	Currency string
}

// Problems returns a message key per field that is wrong.
func (g *NewThread) Problems() map[string]string {
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

// CreateThread creates a thread with its creator as organizer, its first
// invite link and a "created" system message, in one transaction.
func (d *DB) CreateThread(ctx context.Context, userID int64, in NewThread) (Thread, error) {
	if p := in.Problems(); len(p) > 0 {
		return Thread{}, errThreadForm.New()
	}
	var g Thread
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
		return postMessage(ctx, tx, g.ID, "system", userID, "", SystemData{Event: "created"})
	})
	g.Members = 1
	return g, err
}

// membershipQuery runs on every thread route.
const membershipQuery = `
	SELECT g.id, g.name, g.currency, g.created_by, g.created_at, g.event_seq, g.direct,
	       m.user_id, u.display_name, m.role, u.is_guest, m.joined_at
	FROM groups g
	JOIN group_members m ON m.group_id = g.id AND m.user_id = $2
	JOIN users u ON u.id = m.user_id
	WHERE g.id = $1`

// Membership returns the caller's membership of a thread. A thread that does
// not exist and one the caller is not in look the same: ENOTFOUND.
func (d *DB) Membership(ctx context.Context, threadID, userID int64) (Thread, Member, error) {
	var r struct {
		Thread
		Member
	}
	err := d.getPrepared(ctx, d.x, &r, membershipQuery, threadID, userID)
	if err != nil {
		return Thread{}, Member{}, mapErr(err, "thread")
	}
	return r.Thread, r.Member, nil
}

// Members lists a thread's members, organizers first, then by joining order.
func (d *DB) Members(ctx context.Context, threadID int64) ([]Member, error) {
	var ms []Member
	err := d.x.SelectContext(ctx, &ms, `
		SELECT m.user_id, u.display_name, m.role, u.is_guest, m.joined_at
		FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $1
		ORDER BY m.role = 'organizer' DESC, m.joined_at, m.user_id`, threadID)
	return ms, err
}

// addMember adds userID to a thread (idempotent) and posts "joined" when new.
// A person removed from the thread, or a thread everyone left, is refused
// (see joinable).
func addMember(ctx context.Context, tx sqlx.ExtContext, threadID, userID int64) (bool, error) {
	if err := joinable(ctx, tx, threadID, userID); err != nil {
		return false, err
	}
	// Nobody joins a two-person thread (see OpenDirect).
	res, err := tx.ExecContext(ctx, `INSERT INTO group_members (group_id, user_id, role)
		SELECT $1, $2, 'member' FROM groups WHERE id = $1 AND NOT direct
		ON CONFLICT DO NOTHING`, threadID, userID)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, refuseDirectJoin(ctx, tx, threadID, userID)
	}
	if err := addEvent(ctx, tx, threadID, EventMembers, 0, 0); err != nil {
		return false, err
	}
	return true, postMessage(ctx, tx, threadID, "system", userID, "", SystemData{Event: "joined"})
}

// Thread is a conversation of several people with a default currency.
type Thread struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	Currency  string    `db:"currency"`
	CreatedBy int64     `db:"created_by"`
	CreatedAt time.Time `db:"created_at"`
	Members   int       `db:"members"`
	// EventSeq is the id of the thread's latest event when it was read
	// (Membership): what a thread page read after it shows at least.
	EventSeq int64 `db:"event_seq"`
	// Direct: a two-person thread (see OpenDirect), without invite links.
	Direct bool `db:"direct"`
}

// ThreadsOf lists the threads the user belongs to, most recent first.
func (d *DB) ThreadsOf(ctx context.Context, userID int64) ([]Thread, error) {
	var gs []Thread
	err := d.x.SelectContext(ctx, &gs, `
		SELECT g.id, g.name, g.currency, g.created_by, g.created_at, g.direct,
		       (SELECT count(*) FROM group_members c WHERE c.group_id = g.id) AS members
		FROM groups g JOIN group_members m ON m.group_id = g.id AND m.user_id = $1
		ORDER BY g.created_at DESC, g.id DESC`, userID)
	return gs, err
}
