package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// An event is rendered once per kind of viewer (language, collector, own
// share), and every stream of that kind gets the same bytes: what a viewer
// sees never depends on which stream rendered it first.
func TestLiveEventRenderedOncePerKindOfViewer(t *testing.T) {
	eur := func(s string) money.Money { m, _ := money.New(decimal.RequireFromString(s), "EUR"); return m }
	splitID := int64(7)
	sp := db.Split{ID: splitID, ThreadID: 1, Title: "Pizza", Total: eur("30"), CollectorID: 1, CollectorName: "Olivia",
		Status: db.SplitOpen, Shares: []db.Share{
			{ID: 70, UserID: 1, Name: "Olivia", Amount: eur("10"), Status: db.ShareSelf},
			{ID: 71, UserID: 2, Name: "Sam", Amount: eur("10"), Status: db.SharePaid, Method: "card"},
			{ID: 72, UserID: 3, Name: "Léa", Amount: eur("10"), Status: db.ShareDue},
		}}
	b := &eventBatch{events: []db.Event{{ThreadID: 1, ID: 5, Kind: db.EventSplit, SplitID: &splitID}},
		splits: map[int64]db.Split{splitID: sp}}

	viewer := func(id int64, locale string, conn net.Conn) *sink {
		r := httptest.NewRequest("GET", "/threads/1/events", nil)
		ctx := context.WithValue(r.Context(), userKey, &db.User{ID: id})
		s := newSink(conn, r.WithContext(views.WithLocale(ctx, locale)), 0)
		s.busy = false // as after the replay
		return s
	}
	out := map[string]string{}
	for _, v := range []struct {
		name   string
		id     int64
		locale string
	}{{"olivia", 1, "en"}, {"sam", 2, "en"}, {"sam-again", 2, "en"}, {"lea", 3, "en"},
		{"outsider", 4, "en"}, {"outsider2", 5, "en"}, {"outsider-fr", 6, "fr"}} {
		server, client := net.Pipe()
		got := make(chan []byte)
		go func() { b, _ := io.ReadAll(client); got <- b }()
		s := viewer(v.id, v.locale, server)
		if err := s.deliver(b); err != nil {
			t.Fatal(err)
		}
		for busy := true; busy; { // a write that missed its short deadline goes on by itself
			s.mu.Lock()
			busy = s.busy
			s.mu.Unlock()
		}
		s.close()
		text := string(<-got)
		if !strings.HasPrefix(text, "id: 5\nevent: split\n") {
			t.Fatalf("%s got %.80q", v.name, text)
		}
		if s.sent != 5 {
			t.Errorf("%s: sent = %d after event 5", v.name, s.sent)
		}
		out[v.name] = text
	}
	if n := len(b.frames); n != 5 {
		t.Errorf("rendered %d times for 7 streams of 5 kinds of viewer", n)
	}
	// Each viewer's bytes are joined once: the two streams of Sam share them.
	if n := len(b.joined); n != 6 {
		t.Errorf("joined the batch %d times for 7 streams of 6 viewers", n)
	}
	if out["sam"] != out["sam-again"] || out["outsider"] != out["outsider2"] {
		t.Error("streams of the same kind of viewer got different bytes")
	}
	if !strings.Contains(out["olivia"], "Remind") || strings.Contains(out["lea"], "Remind") || strings.Contains(out["outsider"], "Remind") {
		t.Error("only the collector's card has the Remind action")
	}
	if out["lea"] == out["outsider"] || out["sam"] == out["lea"] {
		t.Error("a share holder's card is the same as someone else's")
	}
	if !strings.Contains(out["outsider-fr"], "payé") || strings.Contains(out["outsider"], "payé") {
		t.Errorf("the French viewer's card is not in French: %.300s", out["outsider-fr"])
	}
}

// A browser that stops reading for a while (a phone between networks) is
// not dropped for it: the write that would block goes on in its own
// goroutine, later batches wait in the queue, and once the browser reads
// again it gets every event, in order, on the same connection. Past the
// mailbox it is dropped.
func TestLiveSlowReaderCatchesUp(t *testing.T) {
	msgs := map[int64]db.Message{}
	var batches []*eventBatch
	for i := int64(1); i <= 10; i++ {
		id := 100 + i
		msgs[id] = db.Message{ID: id, ThreadID: 1, Kind: "text", Body: fmt.Sprintf("message %02d", i)}
		batches = append(batches, &eventBatch{events: []db.Event{{ThreadID: 1, ID: i, Kind: db.EventMessage, MessageID: &id}}, messages: msgs})
	}
	server, client := net.Pipe() // no buffer at all: a write waits for the reader
	defer client.Close()
	r := httptest.NewRequest("GET", "/threads/1/events", nil)
	s := newSink(server, r.WithContext(context.WithValue(r.Context(), userKey, &db.User{ID: 9})), 0)
	s.busy = false
	start := time.Now()
	for _, b := range batches {
		if err := s.deliver(b); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("delivering to a stream nobody reads took %v", took)
	}
	client.SetReadDeadline(time.Now().Add(5 * time.Second))
	var all []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(all), "message 10") {
		n, err := client.Read(buf)
		all = append(all, buf[:n]...)
		if err != nil {
			t.Fatalf("reading: %v after %q", err, all)
		}
	}
	ids := regexp.MustCompile(`(?m)^id: (\d+)$`).FindAllStringSubmatch(string(all), -1)
	if len(ids) != 10 {
		t.Fatalf("got %d events, want 10: %q", len(ids), all)
	}
	for i, m := range ids {
		if m[1] != strconv.Itoa(i+1) {
			t.Fatalf("event %d has id %s: out of order", i, m[1])
		}
	}
	waitUntil(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return !s.busy && s.sent == 10 })

	// Stuck for good: more batches than the mailbox while busy, and the
	// stream is closed.
	s.mu.Lock()
	s.busy = true
	s.mu.Unlock()
	var err error
	for i := 0; i <= mailbox && err == nil; i++ {
		err = s.deliver(batches[0])
	}
	if !errors.Is(err, errBehind) {
		t.Errorf("past the mailbox: %v, want errBehind", err)
	}
	if _, err := client.Read(buf); err != io.EOF {
		t.Errorf("the dropped stream's connection: %v, want EOF", err)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// A kept message is the HTML the template draws for that reader: per
// language and author-or-not, never another reader's.
func TestRenderedMessagesMatchTheTemplate(t *testing.T) {
	author := int64(3)
	m := db.Message{ID: 41, ThreadID: 1, Kind: "text", AuthorID: &author, AuthorName: "Sam", Body: "pizza at 8? https://example.com",
		Data: []byte(`{}`), CreatedAt: time.Date(2026, 11, 23, 19, 30, 0, 0, time.UTC)}
	seen := map[string]bool{}
	for _, v := range []struct {
		me     int64
		locale string
	}{{3, "en"}, {4, "en"}, {3, "fr"}, {4, "fr"}} {
		ctx := views.WithLocale(context.Background(), v.locale)
		var want strings.Builder
		if err := views.Message(messageItem(ctx, m, v.me)).Render(ctx, &want); err != nil {
			t.Fatal(err)
		}
		for range 2 { // rendered, then kept
			got, ok := renderedMessages.get(ctx, nil, m, v.me, v.locale, "", "")
			if !ok || got != want.String() {
				t.Fatalf("reader %d (%s): kept %q, template %q", v.me, v.locale, got, want.String())
			}
		}
		seen[want.String()] = true
	}
	if len(seen) != 4 {
		t.Errorf("%d different renderings for 4 kinds of reader; want 4 (mine or not, two languages)", len(seen))
	}
}
