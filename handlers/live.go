package handlers

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
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

		sub, err := b.subscribe(r.Context(), groupID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		defer b.unsubscribe(groupID, sub)

		rc := http.NewResponseController(w)
		// The server's read and write timeouts are for ordinary requests;
		// a stream lives until the browser leaves or the server stops.
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})
		// A dropped stream may be stuck in a write to a browser that reads
		// nothing: an expired deadline frees it.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-sub.gone:
				rc.SetWriteDeadline(time.Now())
			case <-done:
			}
		}()
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "retry: 1000\n: connected\n\n")
		if err := rc.Flush(); err != nil {
			return
		}

		s := &stream{w: w, r: r, sent: after}
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
	w    io.Writer
	r    *http.Request
	sent int64
	buf  bytes.Buffer
}

func (s *stream) send(b *eventBatch) error {
	for _, e := range b.events {
		if e.ID <= s.sent {
			continue
		}
		s.buf.Reset()
		var c templ.Component
		switch e.Kind {
		case db.EventMessage:
			m, ok := b.messages[derefID(e.MessageID)]
			if !ok {
				break // deleted since
			}
			it := messageItem(s.r.Context(), m, currentUser(s.r).ID)
			if m.SplitID != nil {
				if sp, ok := b.splits[*m.SplitID]; ok {
					it.Title = sp.Title
					if m.Kind == "split" {
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
			c = views.LiveMembers(memberItems(b.members, currentUser(s.r).ID))
		}
		if c != nil {
			if err := c.Render(s.r.Context(), &s.buf); err != nil {
				return err
			}
		}
		if err := writeEvent(s.w, e.ID, e.Kind, s.buf.String()); err != nil {
			return err
		}
		s.sent = e.ID
	}
	return nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// writeEvent writes one SSE event; every line of data gets its own field.
func writeEvent(w io.Writer, id int64, name, data string) error {
	var b strings.Builder
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
	_, err := io.WriteString(w, b.String())
	return err
}

func memberItems(ms []db.Member, me int64) []views.MemberItem {
	var out []views.MemberItem
	for _, m := range ms {
		out = append(out, views.MemberItem{Name: m.DisplayName, Role: m.Role, IsYou: m.UserID == me, IsGuest: m.IsGuest})
	}
	return out
}
