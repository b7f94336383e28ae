package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// isMember reads whether the named person is in the pizza thread.
func (p *pizza) isMember(t *testing.T, name string) bool {
	t.Helper()
	var in bool
	if err := p.app.store.SQL().Get(&in, `SELECT EXISTS (SELECT 1 FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE u.display_name = $1)`, name); err != nil {
		t.Fatal(err)
	}
	return in
}

func (p *pizza) removePath(name string) string {
	return p.thread + "/members/" + p.ids[name] + "/remove"
}

// Nobody who owes or is owed money in the thread is removed or leaves:
// the answer is the confirmation page again with the reason next to the
// button, and nothing changes.
func TestRemoveRefusedWhileOwing(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	split, _ := p.postSplit(t) // Olivia collects; Sam and Léa owe €10.00

	wantBody(t, "remove page", p.org.get(p.removePath("Sam")), `data-testid="leave-page"`, "Remove Sam from “Pizza Friday”?")
	res := p.org.post(p.removePath("Sam"), nil)
	wantStatus(t, "remove Sam, who owes", res, http.StatusConflict)
	wantBody(t, "refusal next to the button", res, `data-testid="leave-problem"`,
		"Sam still owes or is owed money in this thread", `data-testid="remove-confirm"`)
	res = p.lea.post(p.thread+"/leave", nil)
	wantStatus(t, "Léa, who owes, leaves", res, http.StatusConflict)
	wantBody(t, "leave refusal", res, "You still owe or are owed money in this thread", `data-testid="leave-confirm"`)
	p.lea.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}})
	wantBody(t, "leave refusal in French", p.lea.post(p.thread+"/leave", nil), "Vous devez encore de l’argent ou en attendez dans ce fil")

	// Paid another way but not confirmed yet: still owing.
	shares := func(name string) string {
		var id string
		p.app.store.SQL().Get(&id, `SELECT s.id FROM shares s JOIN users u ON u.id = s.user_id WHERE u.display_name = $1`, name)
		return split + "/shares/" + id
	}
	wantStatus(t, "Sam claims cash", p.sam.post(shares("Sam")+"/cash", nil), http.StatusSeeOther)
	wantStatus(t, "Sam leaves with a claim waiting", p.sam.post(p.thread+"/leave", nil), http.StatusConflict)
	if !p.isMember(t, "Sam") || !p.isMember(t, "Léa") {
		t.Fatal("a refused removal or leave took someone out")
	}
	var left int
	p.app.store.SQL().Get(&left, `SELECT count(*) FROM messages WHERE data->>'event' IN ('left', 'removed')`)
	if left != 0 {
		t.Errorf("%d left/removed messages after refusals", left)
	}
	wantStatus(t, "Sam still reads the thread", p.sam.get(p.thread), http.StatusOK)

	// Once Sam's share is paid, Sam owes nothing, though the split is
	// still open for Léa: Sam may go. The collector, who is still owed
	// Léa's share, may not be removed or leave (she organizes anyway).
	wantStatus(t, "confirm Sam", p.org.post(shares("Sam")+"/confirm", nil), http.StatusSeeOther)
	wantStatus(t, "Sam leaves, settled", p.sam.post(p.thread+"/leave", nil), http.StatusSeeOther)
	if p.isMember(t, "Sam") {
		t.Error("Sam is still a member after leaving settled")
	}
}

// A card payment not yet settled keeps its payer and its collector in the
// thread: it could still fail and leave the share due.
func TestLeaveRefusedWhileCardPaymentPending(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "pay", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	var pending int
	p.app.store.SQL().Get(&pending, `SELECT count(*) FROM ledger_pending`)
	if pending != 1 {
		t.Fatalf("%d pending card payments; want 1 (the test needs it unsettled)", pending)
	}
	wantStatus(t, "Sam leaves, payment pending", p.sam.post(p.thread+"/leave", nil), http.StatusConflict)
	if !p.isMember(t, "Sam") {
		t.Fatal("Sam left with a card payment pending")
	}
}

// The organizer removes a member who owes nothing: the member loses the
// thread at once (page, list, links they had), the thread says so, and
// resetting the invite link lets them back in.
func TestRemoveMember(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	invite := p.org.inviteURL(p.thread)
	page := p.org.get(p.thread)
	wantBody(t, "organizer sees Remove", page, `data-testid="member-remove"`, `href="`+p.removePath("Léa")+`"`)
	if strings.Contains(page.body, `href="`+p.removePath("Olivia")+`"`) {
		t.Error("the organizer is offered to remove herself")
	}

	res := p.org.post(p.removePath("Léa"), nil)
	wantStatus(t, "remove Léa", res, http.StatusSeeOther)
	wantBody(t, "thread says so", p.org.get(res.header.Get("Location")), "Olivia removed Léa", "They are no longer in the thread.")
	fr := p.app.client()
	fr.lang = "fr"
	wantStatus(t, "log in", fr.post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"correct horse"}}), http.StatusSeeOther)
	fr.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}})
	wantBody(t, "in French", fr.get(p.thread), "Olivia a retiré Léa du fil")
	if p.isMember(t, "Léa") {
		t.Fatal("Léa is still a member")
	}

	gone := p.lea.get(p.thread)
	wantStatus(t, "removed member opens the thread", gone, http.StatusNotFound)
	wantBody(t, "a page in the app's look", gone, `data-testid="error-message"`, `class="topbar`)
	if strings.Contains(p.lea.get("/").body, "Pizza Friday") {
		t.Error("the thread is still in the removed member's list")
	}
	wantStatus(t, "removed member posts", p.lea.post(p.thread+"/messages", url.Values{"body": {"hello?"}}), http.StatusNotFound)

	// The invite link Léa had no longer lets her in...
	res = p.lea.post(invite, url.Values{"name": {"Léa"}})
	wantStatus(t, "removed member rejoins by the old link", res, http.StatusForbidden)
	wantBody(t, "says why", res, "You were removed from this thread")
	if p.isMember(t, "Léa") {
		t.Fatal("Léa came back through the invite link")
	}
	// ...until the organizer resets it and Léa gets the new one.
	wantStatus(t, "reset", p.org.post(p.thread+"/invite/reset", nil), http.StatusSeeOther)
	wantStatus(t, "rejoin by the new link", p.lea.post(p.org.inviteURL(p.thread), url.Values{"name": {"Léa"}}), http.StatusSeeOther)
	wantStatus(t, "Léa reads the thread again", p.lea.get(p.thread), http.StatusOK)
}

// A member leaves: the thread says so and leaves their list; they may come
// back by the invite link (nobody removed them).
func TestLeaveThread(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	invite := p.org.inviteURL(p.thread)
	wantBody(t, "leave page", p.sam.get(p.thread+"/leave"), "Leave “Pizza Friday”?", `data-testid="leave-confirm"`)
	res := p.sam.post(p.thread+"/leave", nil)
	wantStatus(t, "Sam leaves", res, http.StatusSeeOther)
	home := p.sam.get(res.header.Get("Location"))
	wantBody(t, "home after leaving", home, "You left the thread.")
	if strings.Contains(home.body, "Pizza Friday") {
		t.Error("the thread is still in Sam's list")
	}
	wantStatus(t, "Sam opens the thread", p.sam.get(p.thread), http.StatusNotFound)
	wantBody(t, "thread says so", p.org.get(p.thread), "Sam left")
	if strings.Contains(p.org.get(p.thread).body, `href="`+p.removePath("Sam")+`"`) {
		t.Error("Sam is still listed")
	}
	wantStatus(t, "Sam comes back", p.sam.post(invite, url.Values{"name": {"Sam"}}), http.StatusSeeOther)
	wantStatus(t, "Sam reads it again", p.sam.get(p.thread), http.StatusOK)
}

// The organizer cannot leave while others are in the thread; the last one
// out closes it: its invite link stops working.
func TestOrganizerLeavesLast(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	invite := p.org.inviteURL(p.thread)
	res := p.org.post(p.thread+"/leave", nil)
	wantStatus(t, "organizer leaves with others in", res, http.StatusConflict)
	wantBody(t, "says why", res, "You organize this thread: you can leave it once everyone else has left.")

	wantStatus(t, "Sam leaves", p.sam.post(p.thread+"/leave", nil), http.StatusSeeOther)
	wantStatus(t, "remove Léa", p.org.post(p.removePath("Léa"), nil), http.StatusSeeOther)
	wantBody(t, "last one: the page says what happens", p.org.get(p.thread+"/leave"), "the thread closes with you")
	wantStatus(t, "organizer leaves last", p.org.post(p.thread+"/leave", nil), http.StatusSeeOther)
	wantStatus(t, "organizer opens the thread", p.org.get(p.thread), http.StatusNotFound)
	stranger := p.app.client()
	if res := stranger.post(invite, url.Values{"name": {"Zoé"}}); res.status == http.StatusSeeOther {
		t.Errorf("a stranger joined a thread everyone left: %d", res.status)
	}
}

// Only an organizer removes; nobody removes an organizer or themselves.
func TestRemoveOrganizerOnly(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	if strings.Contains(p.sam.get(p.thread).body, `data-testid="member-remove"`) {
		t.Error("a member who does not organize is offered Remove")
	}
	wantStatus(t, "Sam opens the remove page", p.sam.get(p.removePath("Léa")), http.StatusForbidden)
	res := p.sam.post(p.removePath("Léa"), nil)
	wantStatus(t, "Sam removes Léa", res, http.StatusForbidden)
	wantBody(t, "says why", res, "Only the organizer can remove someone from the thread.")
	wantStatus(t, "Sam removes the organizer", p.sam.post(p.removePath("Olivia"), nil), http.StatusForbidden)
	wantStatus(t, "organizer removes herself", p.org.post(p.removePath("Olivia"), nil), http.StatusUnprocessableEntity)
	wantStatus(t, "remove a stranger", p.org.post(p.thread+"/members/999999/remove", nil), http.StatusNotFound)
	if !p.isMember(t, "Léa") || !p.isMember(t, "Olivia") {
		t.Fatal("a refused removal took someone out")
	}
}

// The new POST routes refuse cross-origin requests, and change nothing.
func TestMembersRoutesRefuseCrossOrigin(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	for _, c := range []struct {
		who  *client
		path string
	}{{p.org, p.removePath("Sam")}, {p.lea, p.thread + "/leave"}} {
		req, _ := http.NewRequest(http.MethodPost, p.app.srv.URL+c.path, nil)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://evil.example")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		wantStatus(t, "cross-origin "+c.path, c.who.do(req), http.StatusForbidden)
	}
	if !p.isMember(t, "Sam") || !p.isMember(t, "Léa") {
		t.Fatal("a cross-origin request took someone out")
	}
}

// A removed member's open event stream ends at once, and a new one is
// refused: they receive nothing the thread says afterwards.
func TestRemovedMemberGetsNoLiveEvents(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	events, _ := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "")
	time.Sleep(200 * time.Millisecond)
	wantStatus(t, "remove Sam", p.org.post(p.removePath("Sam"), nil), http.StatusSeeOther)
	streamEnds(t, "removed member's stream", events, 3*time.Second)
	wantStatus(t, "message after", p.org.post(p.thread+"/messages", url.Values{"body": {"secret plans"}}), http.StatusSeeOther)
	if _, res := p.sam.openStream(ctx, p.app.srv.URL, p.thread, "0"); res == nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("a removed member opened a new stream: %v", res)
	}
	if strings.Contains(p.sam.get(p.thread+"/messages?before=999999999").body, "secret plans") {
		t.Error("a removed member read a later message")
	}
}
