package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A new thread says what to do first; the split button has a visible word;
// the card says what is left to collect and from how many people; guests
// see guest things; number fields bring up a keypad.
func TestFirstUseGuidance(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	page := p.org.get(p.thread)
	wantBody(t, "quiet thread", page, `data-testid="thread-guide"`, "Invite people with a link or a QR code", `<span aria-hidden="true">€</span> Split</a>`)
	p.org.post(p.thread+"/messages", url.Values{"body": {"Pizza?"}})
	if strings.Contains(p.org.get(p.thread).body, `data-testid="thread-guide"`) {
		t.Errorf("the guide stays once people talk")
	}

	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "47,50", "equal", "Olivia", "Sam", "Léa", "Léa")), http.StatusSeeOther)
	wantBody(t, "progress", p.org.get(p.thread), "€31.66 to collect from 2 people")

	guest := p.sam.get(p.thread)
	wantBody(t, "guest nav", guest, `data-testid="nav-keep-account">Keep account<`)
	if strings.Contains(guest.body, "Log out everywhere") {
		t.Errorf("a guest is offered to log out everywhere")
	}
	if !strings.Contains(page.body, "Log out everywhere") {
		t.Errorf("an account holder is not offered to log out everywhere")
	}

	form := p.org.get(p.thread + "/splits/new")
	wantBody(t, "total keypad", form, `name="total" type="text" value="" autocomplete="off" inputmode="decimal"`)
	setup := p.sam.get("/payments/setup?next=/money")
	wantBody(t, "card keypads", setup, `autocomplete="cc-number" inputmode="numeric"`, `autocomplete="cc-csc" inputmode="numeric"`,
		`name="pin" type="password" value="" autocomplete="off" inputmode="numeric"`)
}

// A card of many people folds who paid and who is further down, and the
// collector reminds everyone who has not paid at once (each once a day).
func TestBigSplitRemindEveryone(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	f := p.splitForm("Team dinner", "110", "equal", "Olivia", "Sam", "Léa")
	f.Set("newcomers", "Ana, Ben, Chloé, Dan, Eva, Femi, Gus, Hugo")
	wantStatus(t, "create", p.org.post(p.thread+"/splits", f), http.StatusSeeOther)
	page := p.org.get(p.thread)
	wantBody(t, "big card", page, `data-testid="more-due"`, "6 more to pay", "Remind everyone who hasn&#39;t paid")
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(page.body)
	wantStatus(t, "Sam reminds everyone", p.sam.post(split+"/remind", nil), http.StatusForbidden)
	res := p.org.post(split+"/remind", nil)
	wantStatus(t, "remind everyone", res, http.StatusSeeOther)
	wantBody(t, "notice", p.org.get(res.header.Get("Location")), "Reminded everyone who had not paid")
	count := func() (n int) {
		p.app.store.SQL().Get(&n, `SELECT count(*) FROM messages WHERE kind = 'reminder'`)
		return n
	}
	if n := count(); n != 10 {
		t.Errorf("%d reminders, want 10", n)
	}
	res = p.org.post(split+"/remind", nil)
	wantBody(t, "again", p.org.get(res.header.Get("Location")), "already reminded today")
	if n := count(); n != 10 {
		t.Errorf("%d reminders after a second tap, want still 10", n)
	}
	if strings.Contains(p.org.get(p.thread).body, "Remind everyone") {
		t.Errorf("Remind everyone is offered when everyone was reminded today")
	}
}

// The organizer renames the thread; the thread says so; nobody else can.
func TestThreadRename(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	wantBody(t, "organizer", p.org.get(p.thread), "Rename the thread")
	if strings.Contains(p.sam.get(p.thread).body, "Rename the thread") {
		t.Errorf("a member is offered to rename the thread")
	}
	wantStatus(t, "Sam renames", p.sam.post(p.thread+"/name", url.Values{"name": {"Sam's"}}), http.StatusForbidden)
	wantStatus(t, "empty name", p.org.post(p.thread+"/name", url.Values{"name": {"  "}}), http.StatusUnprocessableEntity)
	wantStatus(t, "rename", p.org.post(p.thread+"/name", url.Values{"name": {"Pizza Saturday"}}), http.StatusSeeOther)
	wantBody(t, "renamed", p.sam.get(p.thread), `data-testid="thread-name">Pizza Saturday<`, "The thread is now called “Pizza Saturday”")
}
