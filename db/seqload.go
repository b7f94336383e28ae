package db

import (
	"context"
	"sync"
)

// seqLoads are the reads under way of one kind of a thread's rows, at most
// one per thread, each at an event id: views that come while a read for
// their id or a later one is under way wait for it instead of reading the
// same rows again (after a write to a busy thread, all its viewers ask for
// the new id at once). The thread page's rows and its balances both go
// through it.
type seqLoads[T any] map[int64]*seqLoad[T]

// seqLoad is one read of a thread's rows at event id seq; shape tells reads
// of different shapes apart (the page's length), which never share.
type seqLoad[T any] struct {
	seq   int64
	shape int
	done  chan struct{}
	v     T
	err   error
}

// load returns what read gives for the thread at seq (or later), sharing a
// read under way. It is called with mu held, after the caller's own cache
// missed, and releases it; loads is guarded by mu. A view whose shared read
// failed (its request ended, say) reads for itself.
func (loads *seqLoads[T]) load(ctx context.Context, mu *sync.Mutex, threadID, seq int64, shape int, read func() (T, error)) (T, error) {
	l := (*loads)[threadID]
	switch {
	case l != nil && l.seq >= seq && l.shape == shape:
		mu.Unlock()
		select {
		case <-l.done:
			if l.err == nil {
				return l.v, nil
			}
			return read()
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	case l != nil && l.shape != shape:
		// A read of another shape is under way: this one goes alone.
		mu.Unlock()
		return read()
	}
	// No read, or one at an earlier id: this one is the thread's newest.
	l = &seqLoad[T]{seq: seq, shape: shape, done: make(chan struct{})}
	if *loads == nil {
		*loads = seqLoads[T]{}
	}
	(*loads)[threadID] = l
	mu.Unlock()

	l.v, l.err = read()
	mu.Lock()
	if (*loads)[threadID] == l {
		delete(*loads, threadID)
	}
	mu.Unlock()
	close(l.done)
	return l.v, l.err
}
