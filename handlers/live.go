package handlers

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"divvy/db"
	"divvy/views"
)

const (
	// heartbeat keeps proxies from closing a quiet stream.
	heartbeat = 15 * time.Second
	// maxReplay is how many missed events a reconnecting browser is sent;
	// past that it is told to reload, which is cheaper for both.
	maxReplay = 500
)

// handleEvents streams a thread's changes to a member's browser as
// Server-Sent Events. Each event is HTML for htmx to swap in, rendered for
// this viewer (their own actions on a split card, their own messages).
//
// A browser that reconnects sends Last-Event-ID (or ?after= on a fresh
// EventSource) and first gets every event it missed, from the event rows.
func handleEvents(log *slog.Logger, store *db.DB, b *Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		groupID := ms.group.ID
		after := lastEventID(r)

		rc := http.NewResponseController(w)
		// A dropped stream may be stuck in a write to a browser that reads
		// nothing: an expired deadline frees it.
		sub, err := b.subscribe(r.Context(), groupID, func() { rc.SetWriteDeadline(time.Now()) })
		if err != nil {
			fail(w, r, log, err)
			return
		}
		defer b.unsubscribe(groupID, sub)

		// The server's read and write timeouts are for ordinary requests;
		// a stream lives until the browser leaves or the server stops.
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})
		select {
		case <-sub.gone: // dropped already: the reset above undid onDrop
			return
		default:
		}
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "retry: 1000\n: connected\n\n")
		if err := rc.Flush(); err != nil {
			return
		}

		s := newStream(w, r, after)
		// Replay what was missed, then go live. Events the broker also
		// delivers are skipped by id.
		missed, err := loadBatch(r.Context(), store, groupID, after, maxReplay+1)
		if err != nil {
			log.Error("replay events", "group_id", groupID, "err", err)
			return
		}
		if len(missed.events) > maxReplay {
			last, _ := store.LastEventID(r.Context(), groupID)
			fmt.Fprintf(w, "id: %d\nevent: reload\ndata: reload\n\n", last)
			rc.Flush()
			return
		}
		if err := s.send(missed); err != nil {
			return
		}
		rc.Flush()

		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		for {
			select {
			case batch := <-sub.ch:
				if err := s.send(batch); err != nil {
					return
				}
			case <-tick.C:
				io.WriteString(w, ": ping\n\n")
			case <-sub.gone:
				return
			case <-r.Context().Done():
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
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

// stream writes one viewer's events.
type stream struct {
	w      io.Writer
	r      *http.Request
	me     int64
	locale string
	sent   int64
}

func newStream(w io.Writer, r *http.Request, after int64) *stream {
	return &stream{w: w, r: r, me: currentUser(r).ID, locale: views.Locale(r.Context()), sent: after}
}

func (s *stream) send(b *eventBatch) error {
	for _, e := range b.events {
		if e.ID <= s.sent {
			continue
		}
		if _, err := s.w.Write(b.frame(e, s)); err != nil {
			return err
		}
		s.sent = e.ID
	}
	return nil
}

// frameKey is what an event's HTML depends on besides the event: the
// reader's language and how the reader relates to what it shows (author of
// the message, collector of the split, holder of a share). Streams with the
// same key get the same bytes, so an event is rendered once per kind of
// viewer rather than once per open stream.
type frameKey struct {
	event    int64
	locale   string
	mine     bool  // the viewer wrote the message
	payee    bool  // the viewer collects the split shown
	share    int64 // the viewer's share in the split shown (0: none)
	memberOf int64 // members list: the viewer (marked "you")
}

// frame is one rendered SSE event, made by the first stream that needs it.
type frame struct {
	once sync.Once
	b    []byte
}

// frame returns the SSE bytes of event e as stream s shows it.
func (b *eventBatch) frame(e db.Event, s *stream) []byte {
	k := frameKey{event: e.ID, locale: s.locale}
	var sp *db.Split
	var msg *db.Message
	switch e.Kind {
	case db.EventMessage:
		if m, ok := b.messages[derefID(e.MessageID)]; ok {
			msg = &m
			k.mine = m.AuthorID != nil && *m.AuthorID == s.me
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
	}
	if sp != nil {
		k.payee = sp.PayeeID == s.me
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
func (b *eventBatch) render(e db.Event, msg *db.Message, s *stream) []byte {
	ctx := s.r.Context()
	var c templ.Component
	switch e.Kind {
	case db.EventMessage:
		if msg == nil {
			break // deleted since
		}
		it := messageItem(ctx, *msg, s.me)
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
			c = views.LiveSplit(splitCard(s.r, sp))
		}
	case db.EventMembers:
		c = views.LiveMembers(memberItems(b.members, s.me))
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
func eventFrame(id int64, name, data string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "id: %d\nevent: %s\n", id, name)
	if data == "" {
		data = " "
	}
	for _, line := range strings.Split(data, "\n") {
		b.WriteString("data: ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.Bytes()
}

func memberItems(ms []db.Member, me int64) []views.MemberItem {
	var out []views.MemberItem
	for _, m := range ms {
		out = append(out, views.MemberItem{Name: m.DisplayName, Role: m.Role, IsYou: m.UserID == me, IsGuest: m.IsGuest})
	}
	return out
}
