package handlers

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// The last stream of a thread leaves while a new one subscribes. The new
// stream's hub must start from the thread's latest event: started from 0,
// every change of a thread with more than 1 000 events loads its oldest
// 1 000 (all seen already), and its live page stalls.
func TestBrokerSubscribeWhileTheLastStreamLeaves(t *testing.T) {
	store := dbtest.New(t)
	ctx := t.Context()
	u, err := store.CreateGuest(ctx, "Olivia", "en")
	if err != nil {
		t.Fatal(err)
	}
	th, err := store.CreateThread(ctx, u.ID, db.NewThread{Name: "Busy", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.SQL().Exec(`WITH g AS (UPDATE groups SET event_seq = event_seq + 1100 WHERE id = $1 RETURNING event_seq)
		INSERT INTO events (group_id, id, kind) SELECT $1, s, 'members' FROM g, generate_series(g.event_seq - 1099, g.event_seq) s`, th.ID); err != nil {
		t.Fatal(err)
	}
	last, err := store.LastEventID(ctx, th.ID)
	if err != nil {
		t.Fatal(err)
	}

	b := NewBroker(store, slog.New(slog.DiscardHandler))
	stream := func() (*sink, <-chan string) {
		server, client := net.Pipe()
		got := make(chan string, 16)
		go func() {
			buf := make([]byte, 64<<10)
			for {
				n, err := client.Read(buf)
				if n > 0 {
					got <- string(buf[:n])
				}
				if err != nil {
					close(got)
					return
				}
			}
		}()
		r := httptest.NewRequest("GET", "/threads/"+strconv.FormatInt(th.ID, 10)+"/events", nil)
		s := newSink(server, r.WithContext(context.WithValue(r.Context(), userKey, &u)), last)
		s.busy = false // as after the replay
		return s, got
	}
	first, _ := stream()
	if ok, err := b.subscribe(ctx, th.ID, first); !ok || err != nil {
		t.Fatal(ok, err)
	}
	second, got := stream()
	subscribeUnlocked = func() { b.drop(th.ID, first) }
	ok, err := b.subscribe(ctx, th.ID, second)
	subscribeUnlocked = nil
	if !ok || err != nil {
		t.Fatal(ok, err)
	}

	if _, err := store.PostText(ctx, th.ID, u.ID, "still live?"); err != nil {
		t.Fatal(err)
	}
	b.deliver(ctx, map[int64]bool{th.ID: true}, false)
	want := "id: " + strconv.FormatInt(last+1, 10) + "\n"
	deadline := time.After(2 * time.Second)
	for {
		select {
		case text, open := <-got:
			if !open {
				t.Fatalf("stream closed before event %d", last+1)
			}
			if strings.Contains(text, want) && strings.Contains(text, "still live?") {
				second.kill()
				return
			}
		case <-deadline:
			b.mu.Lock()
			hubLast := int64(-1)
			if h := b.hubs[th.ID]; h != nil {
				hubLast = h.last
			}
			b.mu.Unlock()
			t.Fatalf("the new stream did not get event %d (its hub is at event %d)", last+1, hubLast)
		}
	}
}
