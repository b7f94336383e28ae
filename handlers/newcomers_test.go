package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The organizer adds someone by name from the split form; the first who
// opens the pay link and says "I am Nina" has Nina's share to pay.
func TestSplitAddPeopleByName(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	f := p.splitForm("Pizza night", "40", "equal", "Olivia", "Sam")
	f.Set("newcomers", "Nina, nina ,  ")
	prev := p.org.post(p.thread+"/splits/preview", f)
	wantBody(t, "preview", prev, "Nina", "€13.34")
	if strings.Count(prev.body, "Nina") != 1 {
		t.Errorf("a name typed twice counts twice:\n%s", prev.body)
	}

	exact := p.splitForm("Drinks", "20", "exact", "Olivia", "Sam")
	exact.Set("newcomers", "Nina")
	wantStatus(t, "by name in an exact split", p.org.post(p.thread+"/splits", exact), http.StatusUnprocessableEntity)

	res := p.org.post(p.thread+"/splits", f)
	wantStatus(t, "create", res, http.StatusSeeOther)
	page := p.org.get(res.header.Get("Location"))
	wantBody(t, "split page", page, "Send the pay link below to the people you added by name", `data-name="Nina"`, "€13.33")
	link := regexp.MustCompile(`value="http://divvy.test(/pay/[^"]+)"`).FindStringSubmatch(page.body)
	if link == nil {
		t.Fatal("no pay link")
	}
	wantBody(t, "members", p.org.get(p.thread), "Nina")

	nina := p.app.client()
	join := nina.get(link[1])
	wantBody(t, "pay link", join, "Are you one of them?", "I am Nina")
	as := regexp.MustCompile(`name="as" value="(\d+)"`).FindStringSubmatch(join.body)
	res = nina.post(link[1], url.Values{"as": {as[1]}})
	wantStatus(t, "I am Nina", res, http.StatusSeeOther)
	wantBody(t, "Nina pays her share", nina.get(res.header.Get("Location")), "€13.33 to Olivia for Pizza night")

	eve := p.app.client()
	if strings.Contains(eve.get(link[1]).body, "I am Nina") {
		t.Errorf("Nina's place is offered again after she took it")
	}
	wantStatus(t, "Nina's place twice", eve.post(link[1], url.Values{"as": {as[1]}}), http.StatusNotFound)
}

// A pay link of a split by set amounts does not make a share: the newcomer
// is told to ask, and the collector adds them in one tap with an amount.
func TestPayLinkOnFixedSplit(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	exact := p.splitForm("Drinks", "30", "exact", "Olivia", "Sam")
	exact.Set("value_"+p.ids["Olivia"], "15")
	exact.Set("value_"+p.ids["Sam"], "15")
	wantStatus(t, "create", p.org.post(p.thread+"/splits", exact), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	page := p.org.get(split)
	wantBody(t, "split page", page, `data-testid="paylink-fixed"`, "Add Léa (€10.00)")
	link := regexp.MustCompile(`value="http://divvy.test(/pay/[^"]+)"`).FindStringSubmatch(page.body)[1]

	// The collector outside the split: a newcomer cannot get a part.
	drinks := p.splitForm("Wine", "20", "exact", "Sam", "Léa")
	drinks.Set("value_"+p.ids["Sam"], "10")
	drinks.Set("value_"+p.ids["Léa"], "10")
	res := p.org.post(p.thread+"/splits", drinks)
	wantStatus(t, "create", res, http.StatusSeeOther)
	wine := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindAllString(p.org.get(p.thread).body, -1)
	wineSplit := wine[len(wine)-1]
	link = regexp.MustCompile(`value="http://divvy.test(/pay/[^"]+)"`).FindStringSubmatch(p.org.get(wineSplit).body)[1]
	zoe := p.app.client()
	res = zoe.post(link, url.Values{"name": {"Zoé"}})
	wantStatus(t, "join by the pay link", res, http.StatusSeeOther)
	wantBody(t, "told to ask", zoe.get(res.header.Get("Location")), "ask them to add you")
	wantBody(t, "collector sees why", p.org.get(wineSplit), "Add Zoé", `data-testid="add-no-room"`)
}
