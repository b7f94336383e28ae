package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"testing"
)

// shareAmounts reads every share of the thread's splits: name -> amount.
func shareAmounts(t *testing.T, p *pizza) map[string]string {
	t.Helper()
	rows, err := p.app.store.SQL().Query(`SELECT u.display_name, to_char(s.amount, 'FM999990.00') FROM shares s JOIN users u ON u.id = s.user_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, amount string
		rows.Scan(&name, &amount)
		out[name] = amount
	}
	return out
}

// Strangers with a pay link cannot dilute a split: their share comes out of
// the collector's own part, never out of the friends' shares, and once the
// collector's part cannot cover an equal part nobody more joins the split.
func TestPayLinkVisitorsCannotDiluteSplit(t *testing.T) {
	p := newPizza(t)
	p.app.joinAsGuest(p.org.inviteURL(p.thread), "Tom")
	var tom string
	p.app.store.SQL().Get(&tom, `SELECT id::text FROM users WHERE display_name = 'Tom'`)
	p.ids["Tom"] = tom
	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "60", "equal", "Olivia", "Sam", "Léa", "Tom")), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	link := payLinkOf(t, p.org, split)
	for i := range 6 {
		res := p.app.client().post(link, url.Values{"name": {fmt.Sprint("Visitor ", i)}})
		wantStatus(t, "visitor by pay link", res, http.StatusSeeOther)
	}
	got := shareAmounts(t, p)
	want := map[string]string{"Olivia": "3.00", "Sam": "15.00", "Léa": "15.00", "Tom": "15.00", "Visitor 0": "12.00"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("shares after six pay-link visitors = %v; want %v", got, want)
	}
}
