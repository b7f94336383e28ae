package db

import (
	"context"
	"sync"
)

// A thread page shows the group's newest messages and the splits they show.
// Every change to those (a message, a split, a share, a payment, its void,
// a reminder, a cancellation) writes one of the group's events in its own
// transaction, so the group's event id is a version of that data: reads
// made at the same event id read the same rows. LatestMessages keeps the
// last read per group and reuses it while the event id is unchanged; the
// first request after a change reads afresh. Only rows are kept, never
// rendered HTML: what a viewer sees still depends on who they are, their
// language and the time, and is drawn per request.

// maxCachedThreads bounds the memory: past it, a thread's entry is dropped
// for each one added.
const maxCachedThreads = 2048

type threadRows struct {
	seq    int64
	msgs   []Message
	more   bool
	splits map[int64]Split
}

type threadCache struct {
	mu sync.Mutex
	m  map[int64]*threadRows
}

// LatestMessages returns the group's newest messages (up to limit, oldest
// first), whether there are earlier ones, and the splits the split messages
// show. seq is the group's event id read before (ThreadMembers): the rows
// are those of that event id or later, read once per event id. Callers
// must not change what it returns.
func (d *DB) LatestMessages(ctx context.Context, groupID, seq int64, limit int) ([]Message, bool, map[int64]Split, error) {
	d.pages.mu.Lock()
	c := d.pages.m[groupID]
	d.pages.mu.Unlock()
	if c != nil && c.seq == seq && len(c.msgs) <= limit {
		return c.msgs, c.more, c.splits, nil
	}
	msgs, more, err := d.Messages(ctx, groupID, 0, limit)
	if err != nil {
		return nil, false, nil, err
	}
	var ids []int64
	for _, m := range msgs {
		if m.Kind == "split" && m.SplitID != nil {
			ids = append(ids, *m.SplitID)
		}
	}
	splits, err := d.Splits(ctx, ids)
	if err != nil {
		return nil, false, nil, err
	}
	// Read after seq, the rows may be newer than seq: still right for a
	// reader at seq, and a reader at a later id reads again.
	d.pages.mu.Lock()
	defer d.pages.mu.Unlock()
	if d.pages.m == nil {
		d.pages.m = map[int64]*threadRows{}
	}
	if old := d.pages.m[groupID]; old == nil || old.seq <= seq {
		if old == nil && len(d.pages.m) >= maxCachedThreads {
			for id := range d.pages.m {
				delete(d.pages.m, id)
				break
			}
		}
		d.pages.m[groupID] = &threadRows{seq: seq, msgs: msgs, more: more, splits: splits}
	}
	return msgs, more, splits, nil
}
