package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/a-h/templ"

	"divvy/db"
	"divvy/views"
)

const (
	// heartbeat keeps proxies from closing a quiet stream, and finds the
	// streams whose browser has gone.
	heartbeat = 15 * time.Second
	// maxReplay is how many missed events a reconnecting browser is sent;
	// past that it is told to reload, which is cheaper for both.
	maxReplay = 500
	// writeTry is how long the broker's write to a stream may block where
	// it cannot be tried without waiting (not a socket: tryWriteDeadline); see
	// sink. slowWait bounds a write that missed it, and the first writes
	// (headers, missed events).
	writeTry = 2 * time.Millisecond
	// sendBuffer is each stream's socket send buffer (SO_SNDBUF).
	sendBuffer = 128 << 10
	slowWait   = 10 * time.Second
)

// handleEvents streams a thread's changes to a member's browser as
// Server-Sent Events. Each event is HTML for htmx to swap in, rendered for
// this viewer (their own actions on a split card, their own messages).
//
// A browser that reconnects sends Last-Event-ID (or ?after= on a fresh
// EventSource) and first gets every event it missed, from the event rows.
//
// The handler takes the connection over (Hijack), writes the headers and
// what was missed, and hands it to the broker, which writes every later
// event: an open stream costs a socket and a small struct, not a goroutine
// with its stack and buffers, and an event reaches all of a thread's
// streams with one write each.
func handleEvents(log *slog.Logger, store *db.DB, b *Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		threadID := currentMembership(r).thread.ID
		after := lastEventID(r)
		sid, max := currentSessionID(r.Context()), streamsPerSession
		if rateLimitsOff(r) {
			max = math.MaxInt
		}
		if !b.reserveStream(sid, max) {
			tooMany(w, r, streamsRetryAfter)
			return
		}
		subscribed := false
		defer func() {
			if !subscribed {
				b.releaseStream(sid)
			}
		}()
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			fail(w, r, log, err)
			return
		}
		// The server's deadlines were for this request; a stream has none
		// but the ones its writes set.
		conn.SetDeadline(time.Time{})
		// A fixed send buffer: enough for bursts, and the kernel memory of
		// ten thousand streams stays bounded (past it, see sink).
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetWriteBuffer(sendBuffer)
		}
		conn.SetWriteDeadline(time.Now().Add(slowWait))
		h := w.Header().Clone()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		// The body ends when the connection does: no length, no chunks.
		h.Set("Connection", "close")
		brw.WriteString("HTTP/1.1 200 OK\r\n")
		h.Write(brw)
		brw.WriteString("\r\nretry: 1000\n: connected\n\n")
		if err := brw.Flush(); err != nil {
			conn.Close()
			return
		}

		s := newSink(conn, r, after)
		if ok, err := b.subscribe(r.Context(), threadID, s); !ok {
			if err != nil {
				log.Error("open event stream", "group_id", threadID, "err", err)
			}
			s.close() // shutting down, or the database is away: the browser retries
			return
		}
		subscribed = true // from here drop releases its place
		// Replay what was missed, then go live. Events the broker
		// delivered meanwhile wait in the sink and are written after, those
		// already replayed skipped by id.
		missed, err := loadBatch(r.Context(), store, threadID, after, maxReplay+1)
		if err != nil {
			log.Error("replay events", "group_id", threadID, "err", err)
			b.drop(threadID, s)
			return
		}
		// Rendered for this viewer alone: the suggestions they dismissed
		// since (in another tab) stay dismissed.
		missed.dismissed = dismissedInBatch(r, store, threadID, missed, currentUser(r).ID)
		if len(missed.events) > maxReplay {
			last, _ := store.LastEventID(r.Context(), threadID)
			conn.Write(eventFrame(last, "reload", "reload"))
			b.drop(threadID, s)
			return
		}
		if err := s.goLive(missed); err != nil {
			b.drop(threadID, s)
		}
		// From here the broker writes; the connection outlives the handler.
	})
}

// lastEventID is where a stream starts: the Last-Event-ID header of an
// automatic reconnection, else the page's ?after=.
func lastEventID(r *http.Request) int64 {
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id >= 0 {
			return id
		}
	}
	return 0
}

// sink is one open event stream: the connection taken over from the HTTP
// server, the viewer it renders for, and how far it got.
//
// A write is first tried without waiting (tryWrite: what the socket takes
// at once); a browser that reads keeps its buffer far from full, so the
// broker writes every stream of a thread in turn without waiting on any.
// The rest of a write the socket could not take goes on in its own
// goroutine with a long deadline, and batches that come meanwhile wait in the queue; a
// stream that is still stuck then, or falls mailbox batches behind, is
// closed, and its browser reconnects and replays from its last id.
type sink struct {
	conn    net.Conn
	r       *http.Request // carries only the viewer and their language, for rendering
	me      int64
	locale  string
	zone    string
	session string          // the viewer's session: when it is revoked, the stream ends
	view    string          // the page the stream is on: "balances" for the Balances page, else the thread
	raw     syscall.RawConn // conn's socket, for tryWrite; nil: not a socket

	mu     sync.Mutex
	sent   int64         // the last event id written
	busy   bool          // the replay or a slow write is under way: batches wait in queue
	queue  []*eventBatch // batches to write once not busy
	dead   bool
	closed sync.Once
}

func newSink(conn net.Conn, r *http.Request, after int64) *sink {
	u := currentUser(r)
	locale := views.Locale(r.Context())
	// Not the request's own context, which ends with the handler.
	ctx := views.WithZone(views.WithLocale(context.WithValue(context.Background(), userKey, u), locale), views.Zone(r.Context()))
	return &sink{conn: conn, r: (&http.Request{}).WithContext(ctx), me: u.ID, locale: locale, zone: views.Zone(ctx).String(),
		session: currentSessionID(r.Context()), sent: after, busy: true, view: r.URL.Query().Get("view"), raw: rawConn(conn)}
}

var (
	errBehind = errors.New("event stream too far behind")
	errGone   = errors.New("event stream closed")
)

// deliver writes a batch, or queues it while the stream is busy.
func (s *sink) deliver(b *eventBatch) error {
	s.mu.Lock()
	switch {
	case s.dead:
		s.mu.Unlock()
		return errGone
	case s.busy:
		if len(s.queue) >= mailbox {
			s.mu.Unlock()
			s.kill()
			return errBehind
		}
		s.queue = append(s.queue, b)
		s.mu.Unlock()
		return nil
	}
	buf, last := s.frames(b)
	if len(buf) == 0 {
		s.mu.Unlock()
		return nil
	}
	s.busy = true
	s.mu.Unlock()
	return s.send(buf, last)
}

// frames are the batch's events this stream has not had, joined, and the
// last id among them; under s.mu. A stream that had none of them (nearly
// always) gets the bytes made once for every stream of its kind of viewer.
func (s *sink) frames(b *eventBatch) ([]byte, int64) {
	if len(b.events) == 0 {
		return nil, s.sent
	}
	if s.sent < b.events[0].ID {
		j := b.joinedFor(s)
		return j.b, j.last
	}
	var buf []byte
	last := s.sent
	for _, e := range b.events {
		if e.ID > last {
			buf = append(buf, b.frame(e, s)...)
			last = e.ID
		}
	}
	return buf, last
}

// send writes buf with s busy, and then what was queued meanwhile. It
// writes what the socket takes at once (a browser that reads keeps its
// buffer far from full), so the broker writes every stream of a thread in
// turn without waiting on any; the rest of a write the socket could not
// take goes on in its own goroutine, with a long deadline.
func (s *sink) send(buf []byte, last int64) error {
	n, err := s.tryWrite(buf)
	if err != nil {
		s.kill()
		return err
	}
	if n < len(buf) {
		go s.finishSlowly(buf[n:], last)
		return nil
	}
	s.mu.Lock()
	s.sent = max(s.sent, last)
	if len(s.queue) == 0 {
		s.busy = false
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	go s.flushQueue()
	return nil
}

// tryWriteDeadline is tryWrite for a connection that is not a socket: a
// write with a deadline so short that only a full buffer makes it miss.
func (s *sink) tryWriteDeadline(buf []byte) (int, error) {
	s.conn.SetWriteDeadline(time.Now().Add(writeTry))
	n, err := s.conn.Write(buf)
	s.conn.SetWriteDeadline(time.Time{})
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil
	}
	return n, err
}

// finishSlowly writes the rest of a write the socket could not take at
// once, then the queue.
func (s *sink) finishSlowly(rest []byte, last int64) {
	if s.writeSlowly(rest, last) == nil {
		s.flushQueue()
	}
}

// writeSlowly writes buf with the long deadline and records last as sent;
// a failure closes the stream. The deadline is lifted after, so that the
// next tryWrite does not find it passed.
func (s *sink) writeSlowly(buf []byte, last int64) error {
	s.conn.SetWriteDeadline(time.Now().Add(slowWait))
	_, err := s.conn.Write(buf)
	s.conn.SetWriteDeadline(time.Time{})
	if err != nil {
		s.kill()
		return err
	}
	s.mu.Lock()
	s.sent = max(s.sent, last)
	s.mu.Unlock()
	return nil
}

// flushQueue writes the queued batches in order, with s busy, and clears
// busy once the queue is empty.
func (s *sink) flushQueue() error {
	for {
		s.mu.Lock()
		if s.dead {
			s.mu.Unlock()
			return errGone
		}
		if len(s.queue) == 0 {
			s.busy = false
			s.mu.Unlock()
			return nil
		}
		b := s.queue[0]
		s.queue = s.queue[1:]
		buf, last := s.frames(b)
		s.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		if err := s.writeSlowly(buf, last); err != nil {
			return err
		}
	}
}

// goLive writes the replay and whatever was delivered meanwhile; from then
// on the broker writes each batch as it comes.
func (s *sink) goLive(missed *eventBatch) error {
	s.mu.Lock()
	buf, last := s.frames(missed)
	s.mu.Unlock()
	if len(buf) > 0 {
		if err := s.writeSlowly(buf, last); err != nil {
			return err
		}
	}
	// The headers' deadline, when nothing was replayed.
	s.conn.SetWriteDeadline(time.Time{})
	return s.flushQueue()
}

var pingFrame = []byte(": ping\n\n")

// ping writes a heartbeat, unless a write is under way anyway.
func (s *sink) ping() error {
	s.mu.Lock()
	if s.dead {
		s.mu.Unlock()
		return errGone
	}
	if s.busy {
		s.mu.Unlock()
		return nil
	}
	s.busy = true
	last := s.sent
	s.mu.Unlock()
	return s.send(pingFrame, last)
}

// kill marks the stream dead and closes it. It does not wait for a write
// in progress: closing the connection is what frees it.
func (s *sink) kill() {
	s.mu.Lock()
	s.dead, s.queue = true, nil
	s.mu.Unlock()
	s.close()
}

func (s *sink) close() { s.closed.Do(func() { s.conn.Close() }) }

// frameKey is what an event's HTML depends on besides the event: the
// reader's language and how the reader relates to what it shows (author of
// the message, collector of the split, holder of a share). Streams with the
// same key get the same bytes, so an event is rendered once per kind of
// viewer rather than once per open stream.
type frameKey struct {
	event     int64
	locale    string
	zone      string // times are shown in it
	mine      bool   // the viewer wrote the message
	collector bool   // the viewer collects the split shown
	share     int64  // the viewer's share in the split shown (0: none)
	memberOf  int64  // members list, balances: the viewer (marked "you")
	page      string // balances: the page the stream is on (view=)
	suggest   string // a text message's money-talk suggestion for the viewer (send, request, split)
}

// viewerKey is everything a stream's frames depend on: who reads, in which
// language and zone, on which page (frameKey's viewer fields all follow
// from these).
type viewerKey struct {
	me           int64
	locale, zone string
	view         string
}

// joined is a batch's frames for one kind of viewer, in one piece: the
// bytes written to each stream of that kind. Streams share them, so
// nothing done per event (finding the message, decoding its data, the
// viewer's share) is done per stream.
type joined struct {
	once sync.Once
	b    []byte
	last int64
}

// joinedFor returns the batch's frames as s shows them, made by the first
// stream of its kind of viewer.
func (b *eventBatch) joinedFor(s *sink) *joined {
	k := viewerKey{me: s.me, locale: s.locale, zone: s.zone, view: s.view}
	b.mu.Lock()
	j := b.joined[k]
	if j == nil {
		if b.joined == nil {
			b.joined = map[viewerKey]*joined{}
		}
		j = &joined{}
		b.joined[k] = j
	}
	b.mu.Unlock()
	j.once.Do(func() {
		for _, e := range b.events {
			j.b = append(j.b, b.frame(e, s)...)
		}
		j.last = b.events[len(b.events)-1].ID
	})
	return j
}

// frame is one rendered SSE event, made by the first stream that needs it.
type frame struct {
	once sync.Once
	b    []byte
}

// frame returns the SSE bytes of event e as stream s shows it.
func (b *eventBatch) frame(e db.Event, s *sink) []byte {
	k := frameKey{event: e.ID, locale: s.locale, zone: s.zone}
	var sp *db.Split
	var msg *db.Message
	switch e.Kind {
	case db.EventMessage:
		if m, ok := b.messages[derefID(e.MessageID)]; ok {
			msg = &m
			k.mine = m.AuthorID != nil && *m.AuthorID == s.me
			if d, ok := m.Payload().(db.TextData); ok && !b.dismissed[m.ID] {
				k.suggest = d.Suggestion.For(s.me)
			}
			if m.SplitID != nil && m.Kind == "split" {
				if x, ok := b.splits[*m.SplitID]; ok {
					sp = &x
				}
			}
		}
	case db.EventSplit:
		if x, ok := b.splits[derefID(e.SplitID)]; ok {
			sp = &x
		}
	case db.EventMembers:
		k.memberOf = s.me
	case db.EventBalances:
		k.memberOf = s.me
		k.page = s.view
	}
	if sp != nil {
		k.collector = sp.CollectorID == s.me
		if sh, ok := sp.ShareOf(s.me); ok {
			k.share = sh.ID
		}
	}
	b.mu.Lock()
	f := b.frames[k]
	if f == nil {
		if b.frames == nil {
			b.frames = map[frameKey]*frame{}
		}
		f = &frame{}
		b.frames[k] = f
	}
	b.mu.Unlock()
	f.once.Do(func() { f.b = b.render(e, msg, s) })
	return f.b
}

// render makes the SSE bytes of an event for the viewer of s (any viewer
// with the same frameKey would get the same).
func (b *eventBatch) render(e db.Event, msg *db.Message, s *sink) []byte {
	ctx := s.r.Context()
	var c templ.Component
	switch e.Kind {
	case db.EventMessage:
		if msg == nil {
			break // deleted since
		}
		it := messageItem(ctx, *msg, s.me)
		if b.dismissed[msg.ID] {
			it.Suggest = nil
		}
		if msg.SplitID != nil {
			if sp, ok := b.splits[*msg.SplitID]; ok {
				it.Title = sp.Title
				if msg.Kind == "split" {
					card := splitCard(s.r, sp)
					it.Split = &card
				}
			}
		}
		c = views.LiveMessage(it)
	case db.EventSplit:
		if sp, ok := b.splits[derefID(e.SplitID)]; ok {
			card := splitCard(s.r, sp)
			c = views.LiveSplit(card)
			// About one share: its line and the progress are enough.
			for _, line := range card.Shares {
				if e.ShareID != nil && line.ID == *e.ShareID && !card.Request {
					c = views.LiveShare(card, line)
				}
			}
		}
	case db.EventMembers:
		c = views.LiveMembers(e.ThreadID, memberItems(e.ThreadID, b.members, s.me))
	case db.EventSplits:
		// The splits, not their cards: there may be thousands, and a page
		// shows a few of them. The page asks for the cards it shows
		// (static/app.js), each drawn for its reader.
		ids := make([]string, len(e.SplitIDs))
		for i, id := range e.SplitIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		return eventFrame(e.ID, e.Kind, `<template data-split-ids="`+strings.Join(ids, ",")+`"></template>`)
	case db.EventBalances:
		c = views.LiveBalances(balancesView(e.ThreadID, b.balance, s.me), s.view == "balances")
	}
	var html bytes.Buffer
	if c != nil {
		if err := c.Render(ctx, &html); err != nil {
			html.Reset() // an empty event still moves the reader's id on
		}
	}
	return eventFrame(e.ID, e.Kind, html.String())
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// eventFrame is one SSE event; every line of data gets its own field.
// Browsers end a line at CR, LF or CRLF alike, so data is split at all
// three: a CR left inside a data line would start a field of its own
// (a message body could then set the id or the event name).
func eventFrame(id int64, name, data string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "id: %d\nevent: %s\n", id, name)
	if data == "" {
		data = " "
	}
	for _, line := range strings.Split(sseLineBreaks.Replace(data), "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

var sseLineBreaks = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// memberItems is the members list as the reader me sees it: an organizer
// is offered to remove the others who do not organize.
func memberItems(threadID int64, ms []db.Member, me int64) []views.MemberItem {
	organizer := false
	for _, m := range ms {
		if m.UserID == me && m.Role == db.RoleOrganizer {
			organizer = true
		}
	}
	out := make([]views.MemberItem, 0, len(ms))
	for _, m := range ms {
		out = append(out, views.MemberItem{ThreadID: threadID, UserID: m.UserID, Name: m.DisplayName, Role: m.Role,
			IsYou: m.UserID == me, IsGuest: m.IsGuest, CanRemove: organizer && m.UserID != me && m.Role != db.RoleOrganizer})
	}
	return out
}
