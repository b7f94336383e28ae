package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"testing"

	"divvy/db/dbtest"
	"divvy/handlers"
)

// behindRouter is an app whose router (the loopback) is trusted, so each
// test client can come from its own address.
func behindRouter(t *testing.T) *testApp {
	return newAppStore(t, slog.New(slog.DiscardHandler), dbtest.New(t), func(o *handlers.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
}

func want429(t *testing.T, what string, res response) {
	t.Helper()
	wantStatus(t, what, res, http.StatusTooManyRequests)
	wantBody(t, what, res, "Please wait")
	if res.header.Get("Retry-After") == "" {
		t.Errorf("%s: 429 without Retry-After", what)
	}
}

// One address makes at most 10 accounts an hour; another still can.
func TestSignupRateLimited(t *testing.T) {
	app := behindRouter(t)
	form := func(i int) url.Values {
		return url.Values{"name": {"Bot"}, "email": {fmt.Sprintf("bot%d@example.com", i)}, "password": {"correct horse"}}
	}
	for i := range 10 {
		wantStatus(t, "sign-up", app.client().postFrom("203.0.113.5", "/signup", form(i)), http.StatusOK)
	}
	want429(t, "11th sign-up from one address", app.client().postFrom("203.0.113.5", "/signup", form(10)))
	wantStatus(t, "sign-up from another address", app.client().postFrom("198.51.100.8", "/signup", form(11)), http.StatusOK)
}

// Guest accounts are limited per address, and joins per thread.
func TestGuestJoinsRateLimited(t *testing.T) {
	app := behindRouter(t)
	org := app.client()
	org.signup("Olivia", "olivia@example.com", "correct horse")
	invite := org.inviteURL(org.newThread("Pizza Friday"))
	for i := range 20 {
		wantStatus(t, "join", app.client().postFrom("203.0.113.5", invite, url.Values{"name": {fmt.Sprint("Guest ", i)}}), http.StatusSeeOther)
	}
	want429(t, "21st guest from one address", app.client().postFrom("203.0.113.5", invite, url.Values{"name": {"One more"}}))
	for i := range 40 {
		wantStatus(t, "join", app.client().postFrom(fmt.Sprintf("198.51.100.%d", i+1), invite, url.Values{"name": {fmt.Sprint("Friend ", i)}}), http.StatusSeeOther)
	}
	want429(t, "61st join into one thread", app.client().postFrom("192.0.2.1", invite, url.Values{"name": {"Late"}}))
	var members int
	app.store.SQL().Get(&members, `SELECT count(*) FROM group_members`)
	if members != 61 {
		t.Errorf("%d members; want 61 (the organizer and 60 joins)", members)
	}
}

// One person posts at most 100 messages a minute in a thread.
func TestMessagesRateLimited(t *testing.T) {
	p := newPizza(t)
	for i := range 100 {
		wantStatus(t, "message", p.sam.post(p.thread+"/messages", url.Values{"body": {fmt.Sprint("spam ", i)}}), http.StatusSeeOther)
	}
	want429(t, "101st message in a minute", p.sam.post(p.thread+"/messages", url.Values{"body": {"more"}}))
	wantStatus(t, "someone else's message", p.lea.post(p.thread+"/messages", url.Values{"body": {"hi"}}), http.StatusSeeOther)
}

// One session holds at most 20 event streams open; closing one frees its
// place, and other sessions are not affected.
func TestStreamsPerSessionLimited(t *testing.T) {
	p := newPizza(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	first, cancelFirst := context.WithCancel(ctx)
	p.sam.openStream(first, p.app.srv.URL, p.thread, "")
	for range 19 {
		if events, res := p.sam.openStream(ctx, p.app.srv.URL, p.thread, ""); events == nil {
			t.Fatalf("stream refused: %d", res.StatusCode)
		}
	}
	_, res := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("21st stream of one session: %d (Retry-After %q); want 429 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if events, res := p.lea.openStream(ctx, p.app.srv.URL, p.thread, ""); events == nil {
		t.Fatalf("another session's stream refused: %d", res.StatusCode)
	}
	// A closed stream frees its place once the server notices (a write
	// fails: here on new messages, else at the next heartbeat).
	cancelFirst()
	waitFor(t, "a place freed", func() bool {
		p.lea.post(p.thread+"/messages", url.Values{"body": {"ping"}})
		events, _ := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "")
		return events != nil
	})
}
