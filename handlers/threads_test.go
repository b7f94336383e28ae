package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// newThread signs c up as organizer and creates a thread; it returns the
// thread's path.
func (c *client) newThread(name string) string {
	c.app.t.Helper()
	res := c.post("/threads", url.Values{"name": {name}, "currency": {"EUR"}})
	wantStatus(c.app.t, "create thread", res, http.StatusSeeOther)
	return res.header.Get("Location")
}

// inviteURL reads the thread's invite link from its invite page.
func (c *client) inviteURL(thread string) string {
	c.app.t.Helper()
	res := c.get(thread + "/invite")
	wantStatus(c.app.t, "invite page", res, 200)
	m := regexp.MustCompile(`data-testid="invite-url" value="([^"]+)"|value="([^"]+)"[^>]*data-testid="invite-url"`).FindStringSubmatch(res.body)
	if m == nil {
		c.app.t.Fatalf("no invite url on the invite page\n%s", res.body)
	}
	u := m[1] + m[2]
	return strings.TrimPrefix(u, "http://divvy.test")
}

// joinAsGuest opens an invite link in a fresh browser and joins by name.
func (a *testApp) joinAsGuest(invite, name string) *client {
	a.t.Helper()
	g := a.client()
	wantStatus(a.t, "open invite", g.get(invite), 200)
	res := g.post(invite, url.Values{"name": {name}})
	wantStatus(a.t, "join as guest", res, http.StatusSeeOther)
	return g
}

func TestThreadCreateAndMessages(t *testing.T) {
	app := newApp(t)
	org := app.client()
	org.signup("Olivia", "olivia@example.com", "correct horse")

	res := org.post("/threads", url.Values{"name": {"  "}, "currency": {"XYZ"}})
	wantStatus(t, "bad thread form", res, http.StatusUnprocessableEntity)
	wantBody(t, "bad thread form", res, `data-testid="problem-name"`, `data-testid="problem-currency"`)

	thread := org.newThread("Pizza Friday")
	page := org.get(thread)
	wantStatus(t, "thread page", page, 200)
	wantBody(t, "thread page", page, "Pizza Friday", `data-testid="currency-button"`, ">€<", "Olivia created the thread", "organizer")
	wantBody(t, "home lists the thread", org.get("/"), "Pizza Friday", "1 member")

	// Without htmx: redirect back to the thread, message shown, escaped, link made safe.
	res = org.post(thread+"/messages", url.Values{"body": {"<b>hi</b> see https://example.com/menu. javascript:alert(1)"}})
	wantStatus(t, "post message", res, http.StatusSeeOther)
	page = org.get(thread)
	wantBody(t, "message shown", page, "&lt;b&gt;hi&lt;/b&gt;", `<a href="https://example.com/menu"`, "javascript:alert(1)")
	if strings.Contains(page.body, `href="javascript:`) {
		t.Errorf("a javascript: URL became a link")
	}

	// With htmx: the message fragment and a fresh composer out of band.
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+thread+"/messages", strings.NewReader("body=second"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	res = org.do(req)
	wantStatus(t, "htmx post", res, 200)
	wantBody(t, "htmx post", res, `data-testid="msg-text"`, "second", `hx-swap-oob="true"`)
	if strings.Contains(res.body, "<html") {
		t.Errorf("htmx answer is a whole page")
	}

	res = org.post(thread+"/messages", url.Values{"body": {"   "}})
	wantStatus(t, "empty message", res, http.StatusUnprocessableEntity)
	wantBody(t, "empty message", res, `data-testid="problem-body"`)
	res = org.post(thread+"/messages", url.Values{"body": {strings.Repeat("é", 2001)}})
	wantStatus(t, "long message", res, http.StatusUnprocessableEntity)
	wantBody(t, "long message", res, strings.Repeat("é", 50))
}

func TestInviteJoinAsGuestAndKeepAccount(t *testing.T) {
	app := newApp(t)
	org := app.client()
	org.signup("Olivia", "olivia@example.com", "correct horse")
	thread := org.newThread("Pizza Friday")
	invite := org.inviteURL(thread)
	if !regexp.MustCompile(`^/join/[A-Za-z0-9_-]{22}$`).MatchString(invite) {
		t.Fatalf("invite link %q is not /join/<128-bit token>", invite)
	}
	var stored int
	app.store.SQL().Get(&stored, `SELECT count(*) FROM group_invites WHERE position($1::bytea in nonce) > 0 OR position($1::bytea in token_hash) > 0`,
		[]byte(strings.TrimPrefix(invite, "/join/")))
	if stored != 0 {
		t.Errorf("the invite token is stored in clear")
	}
	qr := org.get(thread + "/invite/qr.svg")
	wantStatus(t, "invite QR", qr, 200)
	if !strings.HasPrefix(qr.body, "<svg") || qr.header.Get("Content-Type") != "image/svg+xml" {
		t.Errorf("QR is not an SVG: %.80s", qr.body)
	}

	// The join page must not leak the token through Referer.
	guestView := app.client().get(invite)
	wantBody(t, "join page", guestView, "Join Pizza Friday", `data-testid="join-form"`)
	if guestView.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("join page Referrer-Policy = %q", guestView.header.Get("Referrer-Policy"))
	}
	noName := app.client().post(invite, url.Values{"name": {""}})
	wantStatus(t, "join without a name", noName, http.StatusUnprocessableEntity)

	sam := app.joinAsGuest(invite, "Sam")
	page := sam.get(thread)
	wantStatus(t, "guest sees the thread", page, 200)
	wantBody(t, "guest sees the thread", page, "Sam joined", "Olivia", `data-testid="nav-keep"`)
	wantBody(t, "organizer sees the new member", org.get(thread), "Sam joined", "2 members")

	// Joining again is harmless; a signed-in visitor joins in one tap.
	wantStatus(t, "guest opens invite again", sam.get(invite), http.StatusSeeOther)
	lea := app.client()
	lea.signup("Léa", "lea@example.com", "mot de passe")
	wantStatus(t, "signed-in join", lea.post(invite, nil), http.StatusSeeOther)
	wantBody(t, "signed-in member", lea.get(thread), "Léa joined")

	// The guest keeps the account and logs in elsewhere.
	res := sam.post("/account/keep", url.Values{"email": {"lea@example.com"}, "password": {"sam password"}})
	wantStatus(t, "keep with a taken email", res, http.StatusConflict)
	res = sam.post("/account/keep", url.Values{"email": {"sam@example.com"}, "password": {"sam password"}})
	wantStatus(t, "keep account", res, http.StatusSeeOther)
	other := app.client()
	wantStatus(t, "login as kept guest", other.post("/login", url.Values{"email": {"sam@example.com"}, "password": {"sam password"}}), http.StatusSeeOther)
	wantBody(t, "kept guest's threads", other.get("/"), "Pizza Friday")

	// Only the organizer may reset the link; a reset kills the old one.
	wantStatus(t, "member resets invite", sam.post(thread+"/invite/reset", nil), http.StatusForbidden)
	wantStatus(t, "organizer resets invite", org.post(thread+"/invite/reset", nil), http.StatusSeeOther)
	wantStatus(t, "old invite after reset", app.client().get(invite), http.StatusNotFound)
	late := app.client().post(invite, url.Values{"name": {"Mallory"}})
	wantStatus(t, "join with a revoked link", late, http.StatusNotFound)
	if fresh := org.inviteURL(thread); fresh == invite {
		t.Errorf("reset kept the same invite link")
	}
}

// Non-members get 404 on every thread route, for real and guessed ids alike.
func TestThreadRoutesHideFromNonMembers(t *testing.T) {
	app := newApp(t)
	org := app.client()
	org.signup("Olivia", "olivia@example.com", "correct horse")
	thread := org.newThread("Pizza Friday")
	stranger := app.client()
	stranger.signup("Eve", "eve@example.com", "correct horse")

	for _, path := range []string{thread, thread + "/messages?before=99", thread + "/invite", thread + "/invite/qr.svg", "/threads/999999", "/threads/abc"} {
		res := stranger.get(path)
		wantStatus(t, "stranger GET "+path, res, http.StatusNotFound)
	}
	for _, path := range []string{thread + "/messages", thread + "/invite/reset", "/threads/999999/messages"} {
		res := stranger.post(path, url.Values{"body": {"hi"}})
		wantStatus(t, "stranger POST "+path, res, http.StatusNotFound)
	}
	var n int
	app.store.SQL().Get(&n, `SELECT count(*) FROM messages WHERE kind = 'text'`)
	if n != 0 {
		t.Errorf("a stranger's message was stored")
	}
	// Signed out: sent to log in.
	res := app.client().get(thread)
	wantStatus(t, "signed-out thread", res, http.StatusSeeOther)
	if !strings.HasPrefix(res.header.Get("Location"), "/login?next=") {
		t.Errorf("signed-out redirect to %q", res.header.Get("Location"))
	}
}

// A thread with many messages opens with one page and pages backwards.
func TestMessagesPaginateBackwards(t *testing.T) {
	app := newApp(t)
	org := app.client()
	org.signup("Olivia", "olivia@example.com", "correct horse")
	thread := org.newThread("Busy")
	var gid int64
	fmt.Sscanf(thread, "/threads/%d", &gid)
	_, err := app.store.SQL().Exec(`INSERT INTO messages (group_id, kind, author_id, body)
		SELECT $1, 'text', created_by, 'message ' || i FROM groups, generate_series(1, 5000) i WHERE groups.id = $1`, gid)
	if err != nil {
		t.Fatal(err)
	}
	page := org.get(thread)
	wantBody(t, "first page", page, "message 5000", "message 4951", `data-testid="earlier"`)
	if strings.Contains(page.body, ">message 4950<") {
		t.Errorf("first page shows more than 50 messages")
	}
	m := regexp.MustCompile(`hx-get="([^"]+before=\d+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no earlier link")
	}
	earlier := org.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	wantStatus(t, "earlier page", earlier, 200)
	wantBody(t, "earlier page", earlier, ">message 4950<", ">message 4901<", `data-testid="earlier"`)
	if strings.Contains(earlier.body, ">message 4951<") {
		t.Errorf("earlier page repeats a message")
	}
	wantStatus(t, "bad before", org.get(thread+"/messages?before=x"), http.StatusBadRequest)
}

// Links made when threads lived under /groups/ lead to the same place.
func TestGroupsURLsRedirectToThreads(t *testing.T) {
	app := newApp(t)
	org := app.client()
	org.signup("Olivia", "olivia@example.com", "correct horse")
	thread := org.newThread("Pizza Friday")
	old := strings.Replace(thread, "/threads/", "/groups/", 1)
	for path, want := range map[string]string{
		old:                           thread,
		old + "/messages?before=99":   thread + "/messages?before=99",
		"/groups":                     "/threads",
		"/groups/new":                 "/threads/new",
		"/groups/999999/splits/1/pay": "/threads/999999/splits/1/pay",
	} {
		res := org.get(path)
		wantStatus(t, path, res, http.StatusPermanentRedirect)
		if got := res.header.Get("Location"); got != want {
			t.Errorf("%s: Location %q, want %q", path, got, want)
		}
	}
	// A POST keeps its method and body through the 308.
	res := org.post(old+"/messages", url.Values{"body": {"hello"}})
	wantStatus(t, "POST to an old URL", res, http.StatusPermanentRedirect)
	if got := res.header.Get("Location"); got != thread+"/messages" {
		t.Errorf("POST Location %q", got)
	}
}
