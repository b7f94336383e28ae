package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Text PostgreSQL cannot store (a NUL byte, bytes that are not UTF-8) in any
// field of any form is refused with 422 and a sentence, never a 500, and
// nothing is written.
func TestUnstorableTextRefused(t *testing.T) {
	p := newPizza(t)
	split, _ := p.postSplit(t)
	payLink := payLinkOf(t, p.org, split)
	invite := p.org.inviteURL(p.thread)
	for _, bad := range []string{"Sam\x00", "Sam\xff\xfe", "\xc3\x28"} {
		for _, tc := range []struct {
			what string
			c    *client
			path string
			form url.Values
		}{
			{"sign-up name", p.app.client(), "/signup", url.Values{"name": {bad}, "email": {"kim@example.com"}, "password": {"correct horse"}}},
			{"sign-up email", p.app.client(), "/signup", url.Values{"name": {"Kim"}, "email": {"kim" + bad + "@example.com"}, "password": {"correct horse"}}},
			{"login email", p.app.client(), "/login", url.Values{"email": {"olivia" + bad + "@example.com"}, "password": {"correct horse"}}},
			{"guest name", p.app.client(), invite, url.Values{"name": {bad}}},
			{"pay-link name", p.app.client(), payLink, url.Values{"name": {bad}}},
			{"thread name", p.org, "/threads", url.Values{"name": {bad}, "currency": {"EUR"}}},
			{"message", p.sam, p.thread + "/messages", url.Values{"body": {bad}}},
			{"split title", p.org, p.thread + "/splits", p.splitForm(bad, "30", "equal", "Olivia", "Sam")},
			{"split preview", p.org, p.thread + "/splits/preview", p.splitForm(bad, "30", "equal", "Olivia", "Sam")},
			{"keep account", p.sam, "/account/keep", url.Values{"email": {"sam" + bad + "@example.com"}, "password": {"correct horse"}}},
			{"payment setup", p.lea, "/payments/setup", url.Values{"legal_name": {bad}, "contact": {"lea@example.com"},
				"card_number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"}, "pin": {"482913"}, "pin_confirm": {"482913"}}},
		} {
			res := tc.c.post(tc.path, tc.form)
			wantStatus(t, tc.what+" "+url.QueryEscape(bad), res, http.StatusUnprocessableEntity)
			wantBody(t, tc.what, res, "cannot be stored")
		}
	}
	var users, groups int
	p.app.store.SQL().Get(&users, `SELECT count(*) FROM users`)
	p.app.store.SQL().Get(&groups, `SELECT count(*) FROM groups`)
	if users != 3 || groups != 1 {
		t.Errorf("%d users and %d threads after refused forms; want 3 and 1", users, groups)
	}
}
