package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"divvy/handlers"
)

// streamEnds waits for an open stream to be closed by the server.
func streamEnds(t *testing.T, what string, events <-chan sseEvent, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("%s: the event stream is still open after %v", what, within)
		}
	}
}

// Logging out everywhere closes the event streams of every session of that
// person at once, in this process and in others on the same database.
func TestLogoutEverywhereClosesStreams(t *testing.T) {
	p := newPizza(t)
	other := p.app.sameDatabase(t) // a second app process
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	laptop := p.app.client()
	wantStatus(t, "laptop login", laptop.post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"correct horse"}}), http.StatusSeeOther)
	here, _ := laptop.openStream(ctx, p.app.srv.URL, p.thread, "")
	there, _ := laptop.openStream(ctx, other.srv.URL, p.thread, "")
	sams, _ := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "")
	time.Sleep(200 * time.Millisecond)

	wantStatus(t, "log out everywhere", p.org.post("/logout/everywhere", nil), http.StatusSeeOther)
	streamEnds(t, "laptop's stream, same process", here, 3*time.Second)
	streamEnds(t, "laptop's stream, other process", there, 3*time.Second)

	// Sam's stream goes on.
	wantStatus(t, "message", p.lea.post(p.thread+"/messages", url.Values{"body": {"still here?"}}), http.StatusSeeOther)
	next(t, sams, "still here?", 3*time.Second)
}

// A member removed from a thread loses its event stream.
func TestRemovedMemberStreamCloses(t *testing.T) {
	p := newPizza(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, _ := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "")
	time.Sleep(200 * time.Millisecond)
	if _, err := p.app.store.SQL().Exec(`DELETE FROM group_members WHERE user_id = $1`, p.ids["Sam"]); err != nil {
		t.Fatal(err)
	}
	p.app.broker.Revoked(ctx)
	streamEnds(t, "removed member's stream", events, 3*time.Second)
}

// otherProcess is a second app over the same database, with its own broker.
type otherProcess struct{ srv *httptest.Server }

func (a *testApp) sameDatabase(t *testing.T) otherProcess {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	b := handlers.NewBroker(a.store, log)
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.Run(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handlers.New(log, a.store, a.provider, nil, b, handlers.Options{
		SessionKeys: []string{"test-session-key-0123456789abcdef0123456789"}, BaseURL: "http://divvy.test"}))
	t.Cleanup(func() { b.Close(); cancel(); srv.Close() })
	time.Sleep(100 * time.Millisecond) // let its LISTEN connection settle
	return otherProcess{srv}
}
