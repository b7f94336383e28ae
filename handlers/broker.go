package handlers

import (
	"context"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"divvy/db"
)

// Broker fans a thread's events out to the event streams open in this
// process. Processes learn of each other's changes through PostgreSQL: a
// writer signals after commit, the signals are coalesced into one NOTIFY,
// and every process's LISTEN loop fetches the new event rows once per thread
// and hands them to its streams. Nothing but PostgreSQL is shared.
type Broker struct {
	store *db.DB
	log   *slog.Logger

	mu     sync.Mutex
	hubs   map[int64]*hub
	closed bool

	outMu sync.Mutex
	dirty map[int64]bool // threads changed here, not yet announced
	kick  chan struct{}

	writers chan struct{} // bounds the goroutines writing to streams

	perSession map[string]int // open streams by session id; see reserveStream
}

// hub is one thread's open streams and the last event handed to them.
type hub struct {
	sinks map[*sink]struct{}
	last  int64
}

// mailbox is how many batches a stream may have waiting while its replay or
// a slow write is under way; past that it is dropped (see sink).
const mailbox = 32

// eventBatch is new events with what they show, loaded once for every
// stream of the thread.
type eventBatch struct {
	events   []db.Event
	messages map[int64]db.Message
	splits   map[int64]db.Split
	members  []db.Member
	balance  db.ThreadBalance // when the batch moves balances
	// dismissed: the messages whose suggestion the one viewer of a
	// replayed batch dismissed (a replay is rendered for its stream
	// alone); nil for a batch the broker sends to every stream.
	dismissed map[int64]bool

	mu     sync.Mutex
	frames map[frameKey]*frame   // rendered events by kind of viewer
	joined map[viewerKey]*joined // a stream's bytes by viewer; see joinedFor
}

// NewBroker returns a broker; Run starts it.
func NewBroker(store *db.DB, log *slog.Logger) *Broker {
	return &Broker{store: store, log: log, hubs: map[int64]*hub{}, dirty: map[int64]bool{}, kick: make(chan struct{}, 1),
		perSession: map[string]int{},
		writers:    make(chan struct{}, 4*runtime.GOMAXPROCS(0))}
}

// Signal records that a thread changed; called by the store after commit.
// It never blocks: the announcement goes out from another goroutine.
func (b *Broker) Signal(threadID int64) {
	b.outMu.Lock()
	b.dirty[threadID] = true
	b.outMu.Unlock()
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Run announces this process's changes and listens for everyone's until
// ctx ends.
func (b *Broker) Run(ctx context.Context) error {
	l, err := b.store.ListenChanges()
	if err != nil {
		return err
	}
	go b.announce(ctx)
	go b.heartbeats(ctx)
	go func() {
		defer l.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				threads := map[int64]bool{}
				all := n == nil // reconnected: anything may have been missed
				recheck := all || db.IsRecheck(n.Extra)
				if n != nil {
					addThreads(threads, n.Extra)
				}
				// Coalesce whatever else is already waiting.
			drain:
				for {
					select {
					case n := <-l.Notify:
						if n == nil {
							all, recheck = true, true
						} else {
							recheck = recheck || db.IsRecheck(n.Extra)
							addThreads(threads, n.Extra)
						}
					default:
						break drain
					}
				}
				b.deliver(ctx, threads, all)
				if recheck {
					b.recheck(ctx)
				}
			case <-time.After(time.Minute):
				// A quiet connection may be a dead one.
				go l.Ping()
			}
		}
	}()
	return nil
}

func addThreads(into map[int64]bool, payload string) {
	for _, s := range strings.Split(payload, ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			into[id] = true
		}
	}
}

// announce sends the coalesced NOTIFY for changes made in this process.
// Under load many changes share one NOTIFY; none is ever sent from inside a
// money transaction.
func (b *Broker) announce(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.kick:
		}
		b.outMu.Lock()
		ids := make([]int64, 0, len(b.dirty))
		for id := range b.dirty {
			ids = append(ids, id)
		}
		clear(b.dirty)
		b.outMu.Unlock()
		if err := b.store.NotifyChanges(ctx, ids); err != nil && ctx.Err() == nil {
			b.log.Error("announce changes", "err", err)
			// Put them back: the next kick retries.
			for _, id := range ids {
				b.Signal(id)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// deliver fetches the new events of the threads with open streams here and
// hands them out.
func (b *Broker) deliver(ctx context.Context, threads map[int64]bool, all bool) {
	b.mu.Lock()
	type job struct {
		id   int64
		last int64
	}
	var jobs []job
	for id, h := range b.hubs {
		if all || threads[id] {
			jobs = append(jobs, job{id, h.last})
		}
	}
	b.mu.Unlock()
	for _, j := range jobs {
		batch, err := loadBatch(ctx, b.store, j.id, j.last, 1000)
		if err != nil {
			if ctx.Err() == nil {
				b.log.Error("load events", "group_id", j.id, "err", err)
			}
			continue
		}
		if len(batch.events) == 0 {
			continue
		}
		b.mu.Lock()
		h := b.hubs[j.id]
		var sinks []*sink
		if last := batch.events[len(batch.events)-1].ID; h != nil && last > h.last {
			h.last = last
			sinks = h.list()
		}
		b.mu.Unlock()
		b.fanOut(j.id, sinks, func(s *sink) error { return s.deliver(batch) })
	}
}

// fanOut runs write on every sink, a few goroutines at a time, and drops
// the sinks it fails on. It returns when all are written, so a thread's
// batches reach each stream in order.
func (b *Broker) fanOut(threadID int64, sinks []*sink, write func(*sink) error) {
	const chunk = 128
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []*sink
	for i := 0; i < len(sinks); i += chunk {
		part := sinks[i:min(i+chunk, len(sinks))]
		b.writers <- struct{}{}
		wg.Go(func() {
			defer func() { <-b.writers }()
			for _, s := range part {
				if err := write(s); err != nil {
					mu.Lock()
					failed = append(failed, s)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, s := range failed {
		b.drop(threadID, s)
	}
}

// heartbeats writes a comment to every live stream now and then, which
// keeps proxies from closing quiet ones and finds the browsers that left.
func (b *Broker) heartbeats(ctx context.Context) {
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		threads := b.streams()
		b.endRevoked(ctx, threads)
		for id, sinks := range threads {
			b.fanOut(id, sinks, (*sink).ping)
		}
	}
}

// Revoked closes the streams, in every app process, whose session was
// revoked or whose user is no longer a member of the thread. Call it
// after committing a log-out or a member's removal.
func (b *Broker) Revoked(ctx context.Context) {
	b.recheck(ctx)
	if err := b.store.NotifyRecheck(context.WithoutCancel(ctx)); err != nil {
		b.log.Error("announce revoked sessions", "err", err)
	}
}

// recheck ends this process's streams that may not go on (see endRevoked)
// now, rather than at the next heartbeat.
func (b *Broker) recheck(ctx context.Context) { b.endRevoked(ctx, b.streams()) }

// endRevoked ends the streams whose session was revoked (signed out, that
// device signed out from another, a password reset) in any process, or
// whose person is no longer a member of the thread: they must stop
// receiving the thread, not only making requests. One query checks every
// stream of this process, at each heartbeat and on Revoked.
func (b *Broker) endRevoked(ctx context.Context, threads map[int64][]*sink) {
	var keys []db.StreamKey
	for id, sinks := range threads {
		for _, s := range sinks {
			keys = append(keys, db.StreamKey{SessionID: s.session, ThreadID: id})
		}
	}
	if len(keys) == 0 {
		return
	}
	allowed, err := b.store.StreamsAllowed(context.WithoutCancel(ctx), keys)
	if err != nil {
		if ctx.Err() == nil {
			b.log.Warn("check the sessions of event streams", "err", err)
		}
		return
	}
	for id, sinks := range threads {
		kept := sinks[:0]
		for _, s := range sinks {
			if allowed[db.StreamKey{SessionID: s.session, ThreadID: id}] {
				kept = append(kept, s)
			} else {
				b.drop(id, s)
			}
		}
		threads[id] = kept
	}
}

// streams returns the open streams by thread.
func (b *Broker) streams() map[int64][]*sink {
	b.mu.Lock()
	defer b.mu.Unlock()
	threads := make(map[int64][]*sink, len(b.hubs))
	for id, h := range b.hubs {
		threads[id] = h.list()
	}
	return threads
}

func (h *hub) list() []*sink {
	out := make([]*sink, 0, len(h.sinks))
	for s := range h.sinks {
		out = append(out, s)
	}
	return out
}

// loadBatch reads events after an id with the messages, splits and members
// they show.
func loadBatch(ctx context.Context, store *db.DB, threadID, after int64, limit int) (*eventBatch, error) {
	evs, err := store.EventsAfter(ctx, threadID, after, limit)
	if err != nil || len(evs) == 0 {
		return &eventBatch{events: evs}, err
	}
	var msgIDs, splitIDs []int64
	needMembers, needBalances := false, false
	for _, e := range evs {
		if e.MessageID != nil {
			msgIDs = append(msgIDs, *e.MessageID)
		}
		if e.SplitID != nil {
			splitIDs = append(splitIDs, *e.SplitID)
		}
		needMembers = needMembers || e.Kind == db.EventMembers
		needBalances = needBalances || e.Kind == db.EventBalances
	}
	b := &eventBatch{events: evs}
	if b.messages, err = store.MessagesByID(ctx, msgIDs); err != nil {
		return nil, err
	}
	for _, m := range b.messages {
		if m.SplitID != nil {
			splitIDs = append(splitIDs, *m.SplitID)
		}
	}
	if b.splits, err = store.Splits(ctx, splitIDs); err != nil {
		return nil, err
	}
	if needMembers {
		if b.members, err = store.Members(ctx, threadID); err != nil {
			return nil, err
		}
	}
	if needBalances {
		if b.balance, err = store.ThreadBalances(ctx, threadID); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// subscribeUnlocked, when set (by a test), runs while subscribe holds no lock
// between looking for the thread's hub and making one.
var subscribeUnlocked func()

// subscribe adds a stream to its thread's hub; false when shutting down.
// A new hub starts from the thread's latest event (what came before is the
// replay's), read without holding the lock; the hub is looked for again
// after, since the thread's last stream may leave, or another subscriber
// make the hub, in between.
func (b *Broker) subscribe(ctx context.Context, threadID int64, s *sink) (bool, error) {
	var last int64
	haveLast := false
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return false, nil
		}
		h := b.hubs[threadID]
		if h == nil && haveLast {
			h = &hub{sinks: map[*sink]struct{}{}, last: last}
			b.hubs[threadID] = h
		}
		if h != nil {
			h.sinks[s] = struct{}{}
			b.mu.Unlock()
			return true, nil
		}
		b.mu.Unlock()
		if subscribeUnlocked != nil {
			subscribeUnlocked()
		}
		var err error
		if last, err = b.store.LastEventID(ctx, threadID); err != nil {
			return false, err
		}
		haveLast = true
	}
}

// drop ends a stream and forgets it.
func (b *Broker) drop(threadID int64, s *sink) {
	s.kill()
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.hubs[threadID]; h != nil {
		if _, ok := h.sinks[s]; ok {
			b.releaseStreamLocked(s.session)
		}
		delete(h.sinks, s)
		if len(h.sinks) == 0 {
			delete(b.hubs, threadID)
		}
	}
}

// reserveStream counts one more open stream for a session, unless it
// already holds max: one session cannot hold the server's sockets. The
// place is released by drop (or releaseStream if the stream never opened).
func (b *Broker) reserveStream(sessionID string, max int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.perSession[sessionID] >= max {
		return false
	}
	b.perSession[sessionID]++
	return true
}

func (b *Broker) releaseStream(sessionID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.releaseStreamLocked(sessionID)
}

func (b *Broker) releaseStreamLocked(sessionID string) {
	if b.perSession[sessionID]--; b.perSession[sessionID] <= 0 {
		delete(b.perSession, sessionID)
	}
}

// Close ends every open stream (graceful shutdown: the HTTP server does not
// know them once taken over) and refuses new ones.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, h := range b.hubs {
		for s := range h.sinks {
			s.kill()
		}
	}
	clear(b.hubs)
	clear(b.perSession)
}

// Streams returns how many event streams are open in this process.
func (b *Broker) Streams() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, h := range b.hubs {
		n += len(h.sinks)
	}
	return n
}
