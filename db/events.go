package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"
)

// Event kinds: what a browser showing the thread must update.
const (
	EventMessage = "message" // a new message: append it
	EventSplit   = "split"   // a split's card changed: redraw it
	EventSplits  = "splits"  // many splits' cards changed (SplitIDs): redraw those shown
	EventMembers = "members" // someone joined: redraw the members list
	// EventBalances: members' positions moved; redraw the balances.
	EventBalances = "balances"
)

// Event is one change in a thread, in commit order.
type Event struct {
	ThreadID  int64         `db:"group_id"`
	ID        int64         `db:"id"`
	Kind      string        `db:"kind"`
	MessageID *int64        `db:"message_id"`
	SplitID   *int64        `db:"split_id"`
	ShareID   *int64        `db:"share_id"`  // a split event about one share only
	SplitIDs  pq.Int64Array `db:"split_ids"` // a splits event's splits
	CreatedAt time.Time     `db:"created_at"`
}

// newEvent is an event to record: its kind and what it shows.
type newEvent struct {
	kind                        string
	messageID, splitID, shareID int64
	splitIDs                    []int64 // EventSplits: the splits it names (sorted)
	// positionsSame: the change leaves what the split contributes to the
	// positions as it was (a share covered by a settlement, which moved the
	// positions itself), so its positions need no sync.
	positionsSame bool
}

// addEvent records a change inside the caller's transaction. Taking the
// next id locks the thread row until commit, which keeps ids in commit order.
func addEvent(ctx context.Context, tx sqlx.ExtContext, threadID int64, kind string, messageID, splitID int64) error {
	return addEvents(ctx, tx, threadID, newEvent{kind: kind, messageID: messageID, splitID: splitID})
}

// addEvents records changes, in order, in one statement: the thread row is
// locked from here to commit, so a busy thread's writers should call it
// last. A credit the ledger left for later (creditLater) is applied by the
// same statement, before the thread's row is locked: money accounts are
// locked before the thread's row, and both are held for this statement and
// the commit only.
func addEvents(ctx context.Context, tx sqlx.ExtContext, threadID int64, evs ...newEvent) error {
	if err := noteChange(tx, threadID); err != nil {
		return err
	}
	for _, e := range evs {
		if !e.positionsSame {
			noteSplit(tx, e.splitID)
			for _, id := range e.splitIDs {
				noteSplit(tx, id)
			}
		}
	}
	kinds := make([]string, len(evs))
	msgs := make([]sql.NullInt64, len(evs))
	splits := make([]sql.NullInt64, len(evs))
	shares := make([]sql.NullInt64, len(evs))
	lists := make([]sql.NullString, len(evs)) // a splits event's ids, as an array literal
	for i, e := range evs {
		kinds[i] = e.kind
		msgs[i] = sql.NullInt64{Int64: e.messageID, Valid: e.messageID != 0}
		splits[i] = sql.NullInt64{Int64: e.splitID, Valid: e.splitID != 0}
		shares[i] = sql.NullInt64{Int64: e.shareID, Valid: e.shareID != 0}
		if e.kind == EventSplits {
			ids := make([]string, len(e.splitIDs))
			for j, id := range e.splitIDs {
				ids[j] = strconv.FormatInt(id, 10)
			}
			lists[i] = sql.NullString{String: "{" + strings.Join(ids, ",") + "}", Valid: true}
		}
	}
	args := []any{threadID, len(evs), pq.Array(kinds), pq.Array(msgs), pq.Array(splits), pq.Array(shares), pq.Array(lists)}
	query := addEventsSQL
	if cs := changesOf(tx); cs != nil && len(cs.credits) > 0 {
		ids, amounts := cs.takeCredits()
		query, args = addEventsCreditSQL, append(args, pq.Array(ids), pq.Array(amounts), len(ids))
	}
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(evs)) {
		return fmt.Errorf("db: %d of %d events of thread %d recorded (%v)", n, len(evs), threadID, err)
	}
	return nil
}

const addEventsSQL = `
	WITH seq AS (UPDATE groups SET event_seq = event_seq + $2 WHERE id = $1 RETURNING event_seq)
	INSERT INTO events (group_id, id, kind, message_id, split_id, share_id, split_ids)
	SELECT $1, seq.event_seq - $2 + e.n, e.kind, e.message_id, e.split_id, e.share_id, e.split_ids::bigint[]
	FROM seq, unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
		WITH ORDINALITY AS e(kind, message_id, split_id, share_id, split_ids, n)`

// addEventsCreditSQL is addEventsSQL that first credits accounts $8 with
// amounts $9 ($10 of them, in id order): the thread's row is updated only
// once they all are (its condition reads the credit's count, so the credit
// runs, and locks the accounts, first), and no event is written otherwise.
const addEventsCreditSQL = `
	WITH credited AS (
		UPDATE ledger_accounts a SET balance = a.balance + c.amount
		FROM unnest($8::bigint[], $9::numeric[]) AS c(id, amount) WHERE a.id = c.id
		RETURNING a.id
	), seq AS (
		UPDATE groups SET event_seq = event_seq + $2 WHERE id = $1 AND (SELECT count(*) FROM credited) = $10
		RETURNING event_seq
	)
	INSERT INTO events (group_id, id, kind, message_id, split_id, share_id, split_ids)
	SELECT $1, seq.event_seq - $2 + e.n, e.kind, e.message_id, e.split_id, e.share_id, e.split_ids::bigint[]
	FROM seq, unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
		WITH ORDINALITY AS e(kind, message_id, split_id, share_id, split_ids, n)`

// EventsAfter returns up to limit events of a thread after id, oldest first.
func (d *DB) EventsAfter(ctx context.Context, threadID, after int64, limit int) ([]Event, error) {
	var es []Event
	err := d.x.SelectContext(ctx, &es, `SELECT group_id, id, kind, message_id, split_id, share_id, split_ids, created_at FROM events
		WHERE group_id = $1 AND id > $2 ORDER BY id LIMIT $3`, threadID, after, limit)
	return es, err
}

// LastEventID returns the id of a thread's latest event (0 when none).
func (d *DB) LastEventID(ctx context.Context, threadID int64) (int64, error) {
	var id int64
	err := d.x.GetContext(ctx, &id, `SELECT event_seq FROM groups WHERE id = $1`, threadID)
	return id, mapErr(err, "thread")
}

// MessagesByID returns messages by id.
func (d *DB) MessagesByID(ctx context.Context, ids []int64) (map[int64]Message, error) {
	out := map[int64]Message{}
	if len(ids) == 0 {
		return out, nil
	}
	ms, err := d.messages(ctx, `m.id = ANY($1)`, pq.Array(ids))
	for _, m := range ms {
		out[m.ID] = m
	}
	return out, err
}

// SetChangeHook sets what is called, after commit, with the thread of every
// change that wrote events: the live-update broker signals other processes.
// Signalling outside the money transactions keeps NOTIFY's commit-time lock
// out of them.
func (d *DB) SetChangeHook(fn func(threadID int64)) { d.onChange = fn }

// changeSet is the threads whose events a transaction wrote, and the
// splits whose positions it may have moved (synced before commit; see
// syncPositions).
type changeSet struct {
	threads, splits []int64
	undone          [][2]string // {transfer, undone by}: its own position transfer, if any, to reverse
	// credits are the ledger's credits still to apply (creditLater).
	credits []credit
	// deltas are position deltas read under the thread's row lock, by
	// split, for syncPositions (splitDeltaUnderLock); noting the split
	// again drops its delta.
	deltas map[int64]splitDelta
}

// credit is an amount a transfer put in an account whose balance is not
// updated yet.
type credit struct {
	account int64
	amount  decimal.Decimal
	minor   int32 // the currency's: balances keep its scale
}

// takeCredits returns the credits to apply, summed by account in id order,
// and forgets them.
func (cs *changeSet) takeCredits() (ids []int64, amounts []string) {
	sum := map[int64]decimal.Decimal{}
	minor := map[int64]int32{}
	for _, c := range cs.credits {
		if _, ok := sum[c.account]; !ok {
			ids = append(ids, c.account)
		}
		sum[c.account] = sum[c.account].Add(c.amount)
		minor[c.account] = c.minor
	}
	slices.Sort(ids)
	for _, id := range ids {
		amounts = append(amounts, sum[id].StringFixed(minor[id]))
	}
	cs.credits = nil
	return ids, amounts
}

// changesOf is the changeSet of q's transaction, nil outside inTx.
func changesOf(q sqlx.ExtContext) *changeSet {
	if p, ok := q.(prepared); ok {
		q = p.ExtContext
	}
	tx, _ := q.(*sqlx.Tx)
	if tx == nil {
		return nil
	}
	if v, ok := openChanges.Load(tx); ok {
		return v.(*changeSet)
	}
	return nil
}

// applyCredits applies the credits left for later in q's transaction, if
// any (see creditLater).
func applyCredits(ctx context.Context, q sqlx.ExtContext) error {
	cs := changesOf(q)
	if cs == nil || len(cs.credits) == 0 {
		return nil
	}
	ids, amounts := cs.takeCredits()
	res, err := q.ExecContext(ctx, `UPDATE ledger_accounts a SET balance = a.balance + c.amount
		FROM unnest($1::bigint[], $2::numeric[]) AS c(id, amount) WHERE a.id = c.id`, pq.Array(ids), pq.Array(amounts))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(ids)) {
		return fmt.Errorf("db: %d of %d credited accounts updated (%v)", n, len(ids), err)
	}
	return nil
}

// openChanges maps each transaction inTx has open to its changeSet.
// addEvents finds the set through the transaction it writes in (the ledger
// hands its hooks the transaction wrapped by prep), so an event row written
// in a transaction inTx did not open is refused rather than left unsignalled.
var openChanges sync.Map // *sqlx.Tx -> *changeSet

// noteChange records that q's transaction wrote events of the thread.
func noteChange(q sqlx.ExtContext, threadID int64) error {
	if p, ok := q.(prepared); ok {
		q = p.ExtContext
	}
	tx, _ := q.(*sqlx.Tx)
	v, ok := openChanges.Load(tx)
	if tx == nil || !ok {
		return errors.New("db: events written outside inTx: no live page would hear of them")
	}
	cs := v.(*changeSet)
	if !slices.Contains(cs.threads, threadID) {
		cs.threads = append(cs.threads, threadID)
	}
	return nil
}

// noteSplit records that q's transaction changed split splitID (its shares,
// status or payments), so its positions are synced before commit. Outside
// inTx it does nothing.
func noteSplit(q sqlx.ExtContext, splitID int64) {
	if splitID == 0 {
		return
	}
	if cs := changesOf(q); cs != nil {
		if !slices.Contains(cs.splits, splitID) {
			cs.splits = append(cs.splits, splitID)
		}
		delete(cs.deltas, splitID)
	}
}

// changeChannel is the PostgreSQL channel app processes tell each other of
// changes on.
const changeChannel = "divvy_changes"

// ListenChanges opens a listener on the change channel; its Notify channel
// carries payloads of comma-separated thread ids (and nil after a
// reconnection, when notifications may have been missed).
func (d *DB) ListenChanges() (*pq.Listener, error) {
	l := pq.NewListener(d.url, 50*time.Millisecond, 5*time.Second, nil)
	if err := l.Listen(changeChannel); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// NotifyChanges tells every app process that these threads changed, in one
// NOTIFY per call (payloads stay under PostgreSQL's 8000-byte limit).
func (d *DB) NotifyChanges(ctx context.Context, threadIDs []int64) error {
	for len(threadIDs) > 0 {
		n := min(len(threadIDs), 400)
		var b strings.Builder
		for i, id := range threadIDs[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(itoa(id))
		}
		if _, err := d.x.ExecContext(ctx, `SELECT pg_notify($1, $2)`, changeChannel, b.String()); err != nil {
			return err
		}
		threadIDs = threadIDs[n:]
	}
	return nil
}
