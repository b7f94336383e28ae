package handlers

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"divvy/db"
)

// Broker fans a group's events out to the event streams open in this
// process. Processes learn of each other's changes through PostgreSQL: a
// writer signals after commit, the signals are coalesced into one NOTIFY,
// and every process's LISTEN loop fetches the new event rows once per group
// and hands them to its streams. Nothing but PostgreSQL is shared.
type Broker struct {
	store *db.DB
	log   *slog.Logger

	mu     sync.Mutex
	hubs   map[int64]*hub
	closed bool

	outMu sync.Mutex
	dirty map[int64]bool // groups changed here, not yet announced
	kick  chan struct{}
}

// hub is one group's open streams and the last event handed to them.
type hub struct {
	subs map[*subscription]struct{}
	last int64
}

// subscription is one stream's mailbox. A stream that falls behind (its
// mailbox full) is dropped: its browser reconnects and replays from the
// event rows, and nobody else waits for it.
type subscription struct {
	ch     chan *eventBatch
	gone   chan struct{}
	once   sync.Once
	onDrop func() // frees a stream stuck writing to a reader that reads nothing
}

// drop ends the subscription. It is called under the broker's lock, so never
// after unsubscribe has returned.
func (s *subscription) drop() {
	s.once.Do(func() {
		close(s.gone)
		if s.onDrop != nil {
			s.onDrop()
		}
	})
}

// eventBatch is new events with what they show, loaded once for every
// stream of the group.
type eventBatch struct {
	events   []db.Event
	messages map[int64]db.Message
	splits   map[int64]db.Split
	members  []db.Member

	mu     sync.Mutex
	frames map[frameKey]*frame // rendered events by kind of viewer
}

// mailbox is how many batches a stream may have waiting.
const mailbox = 32

// NewBroker returns a broker; Run starts it.
func NewBroker(store *db.DB, log *slog.Logger) *Broker {
	return &Broker{store: store, log: log, hubs: map[int64]*hub{}, dirty: map[int64]bool{}, kick: make(chan struct{}, 1)}
}

// Signal records that a group changed; called by the store after commit.
// It never blocks: the announcement goes out from another goroutine.
func (b *Broker) Signal(groupID int64) {
	b.outMu.Lock()
	b.dirty[groupID] = true
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
	go func() {
		defer l.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				groups := map[int64]bool{}
				all := n == nil // reconnected: anything may have been missed
				if n != nil {
					addGroups(groups, n.Extra)
				}
				// Coalesce whatever else is already waiting.
			drain:
				for {
					select {
					case n := <-l.Notify:
						if n == nil {
							all = true
						} else {
							addGroups(groups, n.Extra)
						}
					default:
						break drain
					}
				}
				b.deliver(ctx, groups, all)
			case <-time.After(time.Minute):
				// A quiet connection may be a dead one.
				go l.Ping()
			}
		}
	}()
	return nil
}

func addGroups(into map[int64]bool, payload string) {
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

// deliver fetches the new events of the groups with open streams here and
// hands them out.
func (b *Broker) deliver(ctx context.Context, groups map[int64]bool, all bool) {
	b.mu.Lock()
	type job struct {
		id   int64
		last int64
	}
	var jobs []job
	for id, h := range b.hubs {
		if all || groups[id] {
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
		if h != nil {
			h.last = batch.events[len(batch.events)-1].ID
			for s := range h.subs {
				select {
				case s.ch <- batch:
				default:
					// Too far behind: drop it so nobody waits for it.
					s.drop()
					delete(h.subs, s)
				}
			}
		}
		b.mu.Unlock()
	}
}

// loadBatch reads events after an id with the messages, splits and members
// they show.
func loadBatch(ctx context.Context, store *db.DB, groupID, after int64, limit int) (*eventBatch, error) {
	evs, err := store.EventsAfter(ctx, groupID, after, limit)
	if err != nil || len(evs) == 0 {
		return &eventBatch{events: evs}, err
	}
	var msgIDs, splitIDs []int64
	needMembers := false
	for _, e := range evs {
		if e.MessageID != nil {
			msgIDs = append(msgIDs, *e.MessageID)
		}
		if e.SplitID != nil {
			splitIDs = append(splitIDs, *e.SplitID)
		}
		needMembers = needMembers || e.Kind == db.EventMembers
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
		if b.members, err = store.Members(ctx, groupID); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// subscribe opens a mailbox for a group's events; onDrop runs if the
// broker drops it.
func (b *Broker) subscribe(ctx context.Context, groupID int64, onDrop func()) (*subscription, error) {
	s := &subscription{ch: make(chan *eventBatch, mailbox), gone: make(chan struct{}), onDrop: onDrop}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.drop()
		return s, nil
	}
	h := b.hubs[groupID]
	if h == nil {
		last, err := b.store.LastEventID(ctx, groupID)
		if err != nil {
			return nil, err
		}
		h = &hub{subs: map[*subscription]struct{}{}, last: last}
		b.hubs[groupID] = h
	}
	h.subs[s] = struct{}{}
	return s, nil
}

func (b *Broker) unsubscribe(groupID int64, s *subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if h := b.hubs[groupID]; h != nil {
		delete(h.subs, s)
		if len(h.subs) == 0 {
			delete(b.hubs, groupID)
		}
	}
}

// Close ends every open stream (graceful shutdown: streams never go idle
// by themselves) and refuses new ones.
func (b *Broker) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for _, h := range b.hubs {
		for s := range h.subs {
			s.drop()
		}
	}
}

// Streams returns how many event streams are open in this process.
func (b *Broker) Streams() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, h := range b.hubs {
		n += len(h.subs)
	}
	return n
}
