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
	loading map[int64]*pageLoad // the read in progress per thread
	reads   atomic.Int64        // reads from the database, for tests
}

// pageLoad is a read of a thread's page rows at an event id, which
// requests at the same id wait for.
type pageLoad struct {
	seq   int64
	limit int
	done  chan struct{}
	rows  ThreadRows
	err   error
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
	l := d.pages.loading[threadID]
	if l != nil && l.seq >= seq && l.limit == limit {
		d.pages.mu.Unlock()
		select {
		case <-l.done:
			if l.err == nil {
				return l.rows, nil
			}
			// The reader failed (its browser left, say): read for ourselves.
			return d.readThreadPage(ctx, threadID, seq, limit)
		case <-ctx.Done():
			return ThreadRows{}, ctx.Err()
		}
	}
	if l != nil && l.limit != limit {
		// A read of another length is under way: this one goes alone.
		d.pages.mu.Unlock()
		return d.readThreadPage(ctx, threadID, seq, limit)
	}
	// No read, or one at an earlier event id: this one is the thread's
	// newest, which the requests at its id (or earlier) wait for.
	l = &pageLoad{seq: seq, limit: limit, done: make(chan struct{})}
	if d.pages.loading == nil {
		d.pages.loading = map[int64]*pageLoad{}
	}
	d.pages.loading[threadID] = l
	d.pages.mu.Unlock()

	l.rows, l.err = d.readThreadPage(ctx, threadID, seq, limit)
	d.pages.mu.Lock()
	if d.pages.loading[threadID] == l {
		delete(d.pages.loading, threadID)
	}
	d.pages.mu.Unlock()
	close(l.done)
	return l.rows, l.err
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
