package db

import (
	"context"
	"sync"
	"sync/atomic"
)

// A thread page shows the thread's members, its newest messages and the
// splits they show. Every change to those (a member joining or keeping
// their account, a message, a split, a share, a payment, its void, a
// reminder, a cancellation) writes one of the thread's events in its own
// transaction, so the thread's event id is a version of that data: reads
// made at the same event id read the same rows. ThreadPage keeps the last
// read per thread and reuses it while the event id is unchanged; the first
// request after a change reads afresh, and the requests that come while it
// reads wait for its rows instead of reading the same rows again (on a busy
// thread, every write used to send all its concurrent viewers to the
// database at once). Only rows are kept, never
// rendered HTML: what a viewer sees still depends on who they are, their
// language and the time, and is drawn per request.

// maxCachedThreads bounds the memory: past it, a thread's entry is dropped
// for each one added.
const maxCachedThreads = 2048

type threadRows struct {
	seq     int64
	members []Member
	msgs    []Message
	more    bool
	splits  map[int64]Split
}

type threadCache struct {
	mu      sync.Mutex
	m       map[int64]*threadRows
	loading seqLoads[ThreadRows] // the read in progress per thread
	reads   atomic.Int64         // reads from the database, for tests
}

// ThreadRows is what a thread page shows, as read.
type ThreadRows struct {
	Members  []Member
	Messages []Message // the newest, oldest first
	Earlier  bool      // whether there are messages before them
	Splits   map[int64]Split
}

// ThreadPage returns the thread's members, its newest messages (up to limit)
// and the splits the split messages show. seq is the thread's event id read
// before (Thread.EventSeq from Membership): the rows are those of that event
// id or later, read once per event id (a request at an earlier id takes the
// rows of a later one, kept or being read: they were read after its id too).
// Callers must not change what it returns.
func (d *DB) ThreadPage(ctx context.Context, threadID, seq int64, limit int) (ThreadRows, error) {
	d.pages.mu.Lock()
	c := d.pages.m[threadID]
	if c != nil && c.seq >= seq && len(c.msgs) <= limit {
		d.pages.mu.Unlock()
		return ThreadRows{c.members, c.msgs, c.more, c.splits}, nil
	}
	return d.pages.loading.load(ctx, &d.pages.mu, threadID, seq, limit, func() (ThreadRows, error) {
		return d.readThreadPage(ctx, threadID, seq, limit)
	})
}

// readThreadPage reads a thread page's rows and keeps them for requests
// at the same event id.
func (d *DB) readThreadPage(ctx context.Context, threadID, seq int64, limit int) (ThreadRows, error) {
	d.pages.reads.Add(1)
	members, err := d.Members(ctx, threadID)
	if err != nil {
		return ThreadRows{}, err
	}
	msgs, more, splits, err := d.MessagePage(ctx, threadID, 0, limit)
	if err != nil {
		return ThreadRows{}, err
	}
	// Read after seq, the rows may be newer than seq: still right for a
	// reader at seq, and a reader at a later id reads again.
	d.pages.mu.Lock()
	defer d.pages.mu.Unlock()
	if d.pages.m == nil {
		d.pages.m = map[int64]*threadRows{}
	}
	if old := d.pages.m[threadID]; old == nil || old.seq <= seq {
		if old == nil && len(d.pages.m) >= maxCachedThreads {
			for id := range d.pages.m {
				delete(d.pages.m, id)
				break
			}
		}
		d.pages.m[threadID] = &threadRows{seq: seq, members: members, msgs: msgs, more: more, splits: splits}
	}
	return ThreadRows{members, msgs, more, splits}, nil
}
