package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// messageURL is where "Message <name>" on a member list posts.
func (p *pizza) messageURL(name string) string { return "/contacts/" + p.ids[name] + "/message" }

// openDirect is "Message <name>": it returns the two-person thread's path.
func (p *pizza) openDirect(t *testing.T, c *client, name string) string {
	t.Helper()
	res := c.post(p.messageURL(name), nil)
	wantStatus(t, "message "+name, res, http.StatusSeeOther)
	return res.header.Get("Location")
}

func TestDirectThreadFromMemberList(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	page := p.sam.get(p.thread)
	wantBody(t, "member list", page, `data-testid="message-member"`, `action="`+p.messageURL("Léa")+`"`, "Message Léa")
	if strings.Contains(page.body, `action="`+p.messageURL("Sam")+`"`) {
		t.Errorf("the member list offers to message yourself")
	}

	direct := p.openDirect(t, p.sam, "Léa")
	if !regexp.MustCompile(`^/threads/\d+$`).MatchString(direct) || direct == p.thread {
		t.Fatalf("Message Léa went to %q", direct)
	}
	// At most one per pair, whoever starts it, and again.
	if again := p.openDirect(t, p.lea, "Sam"); again != direct {
		t.Errorf("Léa's Message Sam opened %s, want the pair's %s", again, direct)
	}
	if again := p.openDirect(t, p.sam, "Léa"); again != direct {
		t.Errorf("Message Léa again opened %s, want %s", again, direct)
	}
	if n := p.count(t, `SELECT count(*) FROM groups WHERE direct`); n != 1 {
		t.Errorf("%d two-person threads, want 1", n)
	}

	lea := p.lea.get(direct)
	wantStatus(t, "Léa's two-person thread", lea, 200)
	wantBody(t, "Léa's two-person thread", lea, `<h1 data-testid="thread-name">Sam</h1>`, `data-testid="composer"`, "2 members")
	if strings.Contains(lea.body, `data-testid="invite-link"`) || strings.Contains(lea.body, `data-testid="message-member"`) {
		t.Errorf("a two-person thread offers an invite link or Message")
	}
	wantBody(t, "Sam's view", p.sam.get(direct), `<h1 data-testid="thread-name">Léa</h1>`)
	// Olivia is not in it, and it has no invite link.
	wantStatus(t, "Olivia opens their thread", p.org.get(direct), http.StatusNotFound)
	wantStatus(t, "invite page", p.sam.get(direct+"/invite"), http.StatusNotFound)
	wantStatus(t, "invite QR", p.sam.get(direct+"/invite/qr.svg"), http.StatusNotFound)
	wantStatus(t, "invite reset", p.sam.post(direct+"/invite/reset", nil), http.StatusNotFound)
	if n := p.count(t, `SELECT count(*) FROM group_invites i JOIN groups g ON g.id = i.group_id WHERE g.direct`); n != 0 {
		t.Errorf("%d invite links to a two-person thread", n)
	}

	// Messages there go live like anywhere else.
	wantStatus(t, "Sam writes", p.sam.post(direct+"/messages", map[string][]string{"body": {"taxi?"}}), http.StatusSeeOther)
	wantBody(t, "Léa reads", p.lea.get(direct), "taxi?")
}

// Nobody can open a conversation with a stranger's id, or with themselves:
// 404 (the stranger looks like nobody) and nothing is written.
func TestDirectThreadRefusals(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	stranger := p.app.client()
	stranger.signup("Zoé", "zoe@example.com", "correct horse")
	var zoe string
	if err := p.app.store.SQL().Get(&zoe, `SELECT id FROM users WHERE display_name = 'Zoé'`); err != nil {
		t.Fatal(err)
	}
	before := p.count(t, `SELECT count(*) FROM groups`)
	wantStatus(t, "Sam messages a stranger", p.sam.post("/contacts/"+zoe+"/message", nil), http.StatusNotFound)
	wantStatus(t, "the stranger messages Sam", stranger.post(p.messageURL("Sam"), nil), http.StatusNotFound)
	wantStatus(t, "no such user", p.sam.post("/contacts/999999999/message", nil), http.StatusNotFound)
	wantStatus(t, "not an id", p.sam.post("/contacts/abc/message", nil), http.StatusNotFound)
	wantStatus(t, "yourself", p.sam.post(p.messageURL("Sam"), nil), http.StatusUnprocessableEntity)
	wantStatus(t, "signed out", p.app.client().post(p.messageURL("Sam"), nil), http.StatusUnauthorized)
	if after := p.count(t, `SELECT count(*) FROM groups`); after != before {
		t.Errorf("%d threads after the refusals, want %d", after, before)
	}
}

// Both people tapping "Message" at once get the same single thread.
func TestDirectThreadRace(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	var wg sync.WaitGroup
	got := make([]string, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, name := p.sam, "Léa"
			if i%2 == 1 {
				c, name = p.lea, "Sam"
			}
			res := c.post(p.messageURL(name), nil)
			got[i] = res.header.Get("Location")
		}()
	}
	wg.Wait()
	for i, g := range got {
		if g == "" || g != got[0] {
			t.Fatalf("tap %d opened %q, tap 0 %q", i, g, got[0])
		}
	}
	if n := p.count(t, `SELECT count(*) FROM groups WHERE direct`); n != 1 {
		t.Errorf("%d two-person threads, want 1", n)
	}
}

// A split's pay link joins its thread, but not a two-person one: a third
// person is refused and the pair stays two.
func TestDirectThreadPayLinkJoinsNobody(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	direct := p.openDirect(t, p.sam, "Léa")
	f := url.Values{"title": {"Taxi"}, "total": {"20"}, "currency": {"EUR"}, "collector": {p.ids["Sam"]}, "mode": {"equal"},
		"people": {p.ids["Sam"], p.ids["Léa"]}}
	wantStatus(t, "split in the pair's thread", p.sam.post(direct+"/splits", f), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.sam.get(direct).body)
	link := payLinkOf(t, p.sam, split)
	nina := p.app.client()
	res := nina.post(link, url.Values{"name": {"Nina"}})
	if res.status < 400 || res.status >= 500 {
		t.Fatalf("Nina joins the pair's thread by its pay link: status %d", res.status)
	}
	if n := p.count(t, `SELECT count(*) FROM group_members m JOIN groups g ON g.id = m.group_id WHERE g.direct`); n != 2 {
		t.Errorf("%d members in the two-person thread, want 2", n)
	}
	// Léa, already in it, still pays through it.
	wantStatus(t, "Léa opens the pay link", p.lea.get(link), http.StatusSeeOther)
}
