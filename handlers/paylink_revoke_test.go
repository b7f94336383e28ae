package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// Resetting the invite link also resets the thread's pay links: an old pay
// link no longer makes anyone a member, nor shows the split.
func TestInviteResetRevokesPayLinks(t *testing.T) {
	p := newPizza(t)
	split, _ := p.postSplit(t)
	old := payLinkOf(t, p.org, split)
	wantStatus(t, "reset invite", p.org.post(p.thread+"/invite/reset", nil), http.StatusSeeOther)

	eve := p.app.client()
	wantStatus(t, "old pay link", eve.get(old), http.StatusNotFound)
	wantStatus(t, "join by old pay link", eve.post(old, url.Values{"name": {"Eve"}}), http.StatusNotFound)
	if res := eve.get(p.thread); res.status == http.StatusOK {
		t.Errorf("Eve reads the thread through an old pay link")
	}
	var members int
	p.app.store.SQL().Get(&members, `SELECT count(*) FROM group_members`)
	if members != 3 {
		t.Errorf("%d members after an old pay link was used; want 3", members)
	}
	// The split's new pay link works.
	fresh := payLinkOf(t, p.org, split)
	if fresh == old {
		t.Fatalf("the pay link did not change")
	}
	wantStatus(t, "new pay link", eve.get(fresh), http.StatusOK)
}

// The collector (or an organizer) can reset one split's pay link; other
// members cannot.
func TestCollectorResetsPayLink(t *testing.T) {
	p := newPizza(t)
	split, _ := p.postSplit(t)
	old := payLinkOf(t, p.org, split)
	if page := p.sam.get(split); regexp.MustCompile(`data-testid="paylink-reset"`).MatchString(page.body) {
		t.Errorf("Sam, who neither collects nor organizes, is offered to reset the pay link")
	}
	wantStatus(t, "Sam resets", p.sam.post(split+"/paylink/reset", nil), http.StatusForbidden)
	wantStatus(t, "old link still works after Sam's try", p.app.client().get(old), http.StatusOK)

	wantBody(t, "split page", p.org.get(split), `data-testid="paylink-reset"`)
	wantStatus(t, "Olivia resets", p.org.post(split+"/paylink/reset", nil), http.StatusSeeOther)
	wantStatus(t, "old pay link", p.app.client().get(old), http.StatusNotFound)
	wantStatus(t, "new pay link", p.app.client().get(payLinkOf(t, p.org, split)), http.StatusOK)
}
