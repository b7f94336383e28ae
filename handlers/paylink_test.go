package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func payLinkOf(t *testing.T, c *client, split string) string {
	t.Helper()
	page := c.get(split)
	wantStatus(t, "split page", page, 200)
	m := regexp.MustCompile(`value="http://divvy.test(/pay/[^"]+)"`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no pay link on the split page\n%.600s", page.body)
	}
	return m[1]
}

// A friend who is not in the thread opens the split's pay link, types a
// name, and lands on paying their share: an equal part (47,50 among 4)
// taken out of the collector's own share; the friends' shares stay.
func TestPayLinkJoinsAndTakesAShare(t *testing.T) {
	p := newPizza(t)
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "47,50", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	link := payLinkOf(t, p.org, split)

	nina := p.app.client()
	page := nina.get(link)
	wantStatus(t, "pay link", page, 200)
	wantBody(t, "pay link", page, "Pay your share of Pizza night", "Olivia collects €47.50")
	if page.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("pay link page leaks its token through Referer")
	}
	res := nina.post(link, url.Values{"name": {"Nina"}})
	wantStatus(t, "join by pay link", res, http.StatusSeeOther)
	if !strings.HasSuffix(res.header.Get("Location"), split+"/pay") {
		t.Fatalf("pay link went to %q, want the share's pay page", res.header.Get("Location"))
	}
	wantBody(t, "Nina's pay page", nina.get(split+"/pay"), "€11.87 to Olivia for Pizza night")
	wantBody(t, "card with Nina", p.org.get(p.thread), "0 of 3 paid", "€15.83", "€3.97", "€11.87", "Nina joined")

	// Opening the link again goes straight to paying.
	res = nina.get(link)
	wantStatus(t, "pay link again", res, http.StatusSeeOther)

	wantStatus(t, "unknown pay link", app(p).client().get("/pay/not-a-token"), http.StatusNotFound)
}

func app(p *pizza) *testApp { return p.app }

// After a payment, a late joiner's part comes out of the collector's share.
func TestAddPersonAfterAPayment(t *testing.T) {
	p := newPizza(t)
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "30", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	p.app.joinAsGuest(p.org.inviteURL(p.thread), "Nina")
	var nina string
	p.app.store.SQL().Get(&nina, `SELECT id FROM users WHERE display_name = 'Nina'`)
	var samShare string
	p.app.store.SQL().Get(&samShare, `SELECT id FROM shares WHERE user_id = $1`, p.ids["Sam"])
	p.sam.post(split+"/shares/"+samShare+"/cash", nil)
	wantStatus(t, "confirm", p.org.post(split+"/shares/"+samShare+"/confirm", nil), http.StatusSeeOther)

	page := p.org.get(split)
	wantBody(t, "split page offers to add Nina", page, "Add Nina")
	wantStatus(t, "Sam adds Nina", p.sam.post(split+"/people", url.Values{"user_id": {nina}}), http.StatusForbidden)
	wantStatus(t, "add Nina", p.org.post(split+"/people", url.Values{"user_id": {nina}}), http.StatusSeeOther)
	var amounts []string
	p.app.store.SQL().Select(&amounts, `SELECT amount::numeric(12,2)::text FROM shares ORDER BY position`)
	if strings.Join(amounts, " ") != "2.50 10.00 10.00 7.50" {
		t.Errorf("shares after adding Nina = %v; want Olivia 2.50 (gave 7.50), Sam 10.00 (paid), Léa 10.00, Nina 7.50", amounts)
	}
	wantStatus(t, "add a non-member", p.org.post(split+"/people", url.Values{"user_id": {"99999"}}), http.StatusUnprocessableEntity)
}

// A split that cannot take one more in (the collector has no share of
// their own to make room, and someone paid): the pay link still makes the
// visitor a member, in the same step, and leads to the thread.
func TestPayLinkJoinsWhenTheSplitCannotTakeThemIn(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "30", "equal", "Sam", "Léa")), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	var samShare string
	p.app.store.SQL().Get(&samShare, `SELECT id FROM shares WHERE user_id = $1`, p.ids["Sam"])
	wantStatus(t, "Sam claims", p.sam.post(split+"/shares/"+samShare+"/cash", nil), http.StatusSeeOther)
	wantStatus(t, "confirm", p.org.post(split+"/shares/"+samShare+"/confirm", nil), http.StatusSeeOther)
	link := payLinkOf(t, p.org, split)

	nina := p.app.client()
	res := nina.post(link, url.Values{"name": {"Nina"}})
	wantStatus(t, "join by pay link", res, http.StatusSeeOther)
	if loc := res.header.Get("Location"); !strings.HasPrefix(loc, p.thread+"?notice=paylink.ask_collector") {
		t.Fatalf("pay link went to %q, want the thread saying whom to ask", loc)
	}
	wantBody(t, "Nina reads the thread", nina.get(p.thread), "Pizza night")
	var shares int
	p.app.store.SQL().Get(&shares, `SELECT count(*) FROM shares sh JOIN users u ON u.id = sh.user_id WHERE u.display_name = 'Nina'`)
	if shares != 0 {
		t.Errorf("Nina has %d shares; want none", shares)
	}
}
