package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"divvy/db"
)

// Signing up answers the same whether or not the address has an account:
// same status, same page but for the address, and neither waits for the
// mail. The account holder is told by mail that someone tried, with links
// to log in and reset the password; no second account is made. A new
// address gets the link that makes the account.
func TestSignupDoesNotTellWhoHasAnAccount(t *testing.T) {
	const delay = 3 * time.Second
	t.Parallel()
	app := newAppNotifying(t, func(n db.Notifier) db.Notifier { return slowMail{n, delay} })
	app.client().signup("Olivia", "olivia@example.com", "correct horse")

	answer := func(email string) (response, time.Duration) {
		start := time.Now()
		res := app.client().post("/signup", url.Values{"name": {"Eve"}, "email": {email}, "password": {"another horse"}})
		return res, time.Since(start)
	}
	taken, tookTaken := answer("Olivia@Example.com")
	fresh, tookFresh := answer("nobody@example.com")
	wantStatus(t, "sign-up with a taken address", taken, http.StatusOK)
	wantStatus(t, "sign-up with a new address", fresh, http.StatusOK)
	wantBody(t, "answer", taken, `data-testid="signup-sent"`, "olivia@example.com")
	if a, b := strings.ReplaceAll(taken.body, "olivia@example.com", "ADDRESS"), strings.ReplaceAll(fresh.body, "nobody@example.com", "ADDRESS"); a != b {
		t.Errorf("the two answers differ beyond the address:\n%s\n---\n%s", a, b)
	}
	for _, h := range []string{"Set-Cookie", "Location"} {
		if taken.header.Get(h) != "" || fresh.header.Get(h) != "" {
			t.Errorf("%s on a sign-up answer: %q / %q", h, taken.header.Get(h), fresh.header.Get(h))
		}
	}
	// Neither answer waits for its mail (which would tell the two apart).
	if tookTaken >= delay || tookFresh >= delay {
		t.Errorf("the answers took %v and %v: one waited for the mail (%v)", tookTaken, tookFresh, delay)
	}

	var accounts int
	app.store.SQL().Get(&accounts, `SELECT count(*) FROM users WHERE email = 'olivia@example.com'`)
	if accounts != 1 {
		t.Fatalf("%d accounts with Olivia's address", accounts)
	}
	login := app.mailedLink("olivia@example.com", db.NotifySignupExists, `/login`)
	forgot := app.mailedLink("olivia@example.com", db.NotifySignupExists, `/password/forgot`)
	if login != "/login" || forgot != "/password/forgot" {
		t.Errorf("the mail to the account holder links %q and %q", login, forgot)
	}
	var confirmLinks int
	app.store.SQL().Get(&confirmLinks, `SELECT count(*) FROM outbox WHERE kind = 'signup_confirm' AND recipient = 'olivia@example.com'`)
	if confirmLinks != 1 { // her own sign-up's
		t.Errorf("%d sign-up links to a taken address; want only the first", confirmLinks)
	}
	// Olivia's password is unchanged.
	wantStatus(t, "Olivia logs in", app.client().post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"correct horse"}}), http.StatusSeeOther)

	// The new address's link makes the account, once, and logs in.
	c := app.client()
	link := app.mailedLink("nobody@example.com", db.NotifySignupConfirm, `/signup/confirm/[A-Za-z0-9_-]+`)
	app.store.SQL().Get(&accounts, `SELECT count(*) FROM users WHERE email = 'nobody@example.com'`)
	if accounts != 0 {
		t.Fatal("the account was made before its link was followed")
	}
	wantBody(t, "link page", c.get(link), `data-testid="signup-confirm"`, "nobody@example.com")
	wantStatus(t, "confirm", c.post(link, nil), http.StatusSeeOther)
	wantBody(t, "logged in", c.get("/"), "Hello, Eve")
	wantStatus(t, "confirm again", app.client().post(link, nil), http.StatusNotFound)
	wantBody(t, "a used link", app.client().get(link), `data-testid="signup-dead"`)
}

// Two sign-ups for one new address: the first link followed makes the
// account, the other then finds it made (no second account).
func TestSignupTwoLinksOneAccount(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	first, second := app.client(), app.client()
	for _, c := range []*client{first, second} {
		wantStatus(t, "sign up", c.post("/signup", url.Values{"name": {"Sam"}, "email": {"sam@example.com"}, "password": {"correct horse"}}), http.StatusOK)
	}
	var links []string
	deadline := time.Now().Add(10 * time.Second)
	for len(links) < 2 && time.Now().Before(deadline) {
		links = links[:0]
		app.store.SQL().Select(&links, `SELECT substring(body from '/signup/confirm/[A-Za-z0-9_-]+') FROM outbox WHERE kind = 'signup_confirm' ORDER BY id`)
		time.Sleep(10 * time.Millisecond)
	}
	if len(links) != 2 {
		t.Fatalf("%d sign-up links; want 2", len(links))
	}
	wantStatus(t, "first link", first.post(links[0], nil), http.StatusSeeOther)
	res := second.post(links[1], nil)
	if res.status == http.StatusSeeOther {
		t.Fatalf("the second link made another account or logged in: %d", res.status)
	}
	var n int
	app.store.SQL().Get(&n, `SELECT count(*) FROM users WHERE email = 'sam@example.com'`)
	if n != 1 {
		t.Errorf("%d accounts for one address", n)
	}
}
