package handlers

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// A revoked session stops receiving its threads: at the next heartbeat its
// event streams end, whichever process revoked it; other sessions' streams
// go on.
func TestLiveStreamOfRevokedSessionEnds(t *testing.T) {
	ctx := context.Background()
	store := dbtest.New(t)
	u, err := store.CreateUser(ctx, db.SignUp{DisplayName: "Olivia", Email: "olivia@example.com", Password: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := store.CreateThread(ctx, u.ID, db.NewThread{Name: "Pizza Friday", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBroker(store, slog.New(slog.DiscardHandler))
	open := func(sessionID string) (*sink, net.Conn) {
		server, client := net.Pipe()
		go io.Copy(io.Discard, client)
		r := httptest.NewRequest("GET", "/threads/1/events", nil)
		rctx := context.WithValue(context.WithValue(r.Context(), userKey, &u), sessionIDKey{}, sessionID)
		s := newSink(server, r.WithContext(rctx), 0)
		if ok, err := b.subscribe(ctx, g.ID, s); !ok || err != nil {
			t.Fatalf("subscribe: %v, %v", ok, err)
		}
		return s, client
	}
	phoneID, _ := store.CreateSession(ctx, u.ID, "phone")
	laptopID, _ := store.CreateSession(ctx, u.ID, "laptop")
	phone, phoneConn := open(phoneID)
	laptop, laptopConn := open(laptopID)
	defer phoneConn.Close()
	defer laptopConn.Close()

	b.endRevoked(ctx, b.streams())
	if b.Streams() != 2 {
		t.Fatalf("%d streams after a check with both sessions live; want 2", b.Streams())
	}
	if err := store.DeleteSession(ctx, laptopID); err != nil { // as another process would
		t.Fatal(err)
	}
	b.endRevoked(ctx, b.streams())
	if b.Streams() != 1 {
		t.Errorf("%d streams after the laptop's session was revoked; want 1", b.Streams())
	}
	laptop.mu.Lock()
	laptopDead := laptop.dead
	laptop.mu.Unlock()
	phone.mu.Lock()
	phoneDead := phone.dead
	phone.mu.Unlock()
	if !laptopDead || phoneDead {
		t.Errorf("laptop stream ended: %v (want true); phone stream ended: %v (want false)", laptopDead, phoneDead)
	}
}
