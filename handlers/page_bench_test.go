package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"divvy/db/dbtest"
	"divvy/handlers"
)

// BenchmarkThreadPage serves the thread page of the load harness's page
// scenario (10 members, 5 splits, 50 messages) to one member, through the
// real router, middleware and database, compressed as a browser asks for
// it: the server's time per page, one request at a time, without the
// harness's 32 clients and the noise of a shared machine. The database's
// part (session and membership reads) is in it; the page rows and the
// balances are kept between views, as in the server.
func BenchmarkThreadPage(b *testing.B) {
	app := newAppStore(b, slog.New(slog.DiscardHandler), dbtest.New(b), func(o *handlers.Options) { o.NoRateLimits = true })
	org := app.client()
	org.signup("Olivia", "olivia@example.com", "correct horse")
	thread := org.newThread("Pizza Friday")
	invite := org.inviteURL(thread)
	members := []*client{org}
	for i := range 9 {
		members = append(members, app.joinAsGuest(invite, fmt.Sprintf("Guest %d", i+1)))
	}
	var ids []string
	if err := app.store.SQL().Select(&ids, `SELECT user_id::text FROM group_members ORDER BY user_id`); err != nil {
		b.Fatal(err)
	}
	for i := range 5 {
		f := url.Values{"title": {fmt.Sprintf("Dinner %d", i+1)}, "total": {fmt.Sprintf("%d,%02d", 40+7*i, 13*i%100)},
			"currency": {"EUR"}, "collector": {ids[0]}, "mode": {"equal"}, "people": ids}
		wantStatus(b, "split", org.post(thread+"/splits", f), http.StatusSeeOther)
	}
	for i := range 45 {
		body := strings.Repeat("See you at eight, bring the drinks. ", 1+i%3)
		wantStatus(b, "message", members[i%len(members)].post(thread+"/messages", url.Values{"body": {body}}), http.StatusSeeOther)
	}
	res := org.get(thread)
	wantStatus(b, "thread page", res, http.StatusOK)
	b.SetBytes(int64(len(res.body)))
	b.ReportAllocs()
	for b.Loop() {
		if res := org.get(thread); res.status != http.StatusOK {
			b.Fatalf("thread page: status %d", res.status)
		}
	}
}
