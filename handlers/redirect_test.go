package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// offSiteNexts are "next" values that a browser would follow off Divvy if
// they reached a Location header as they are, or after the path cleaning
// that http.Redirect applies (/./\x and /a/../\x become /\x, which browsers
// read as //x).
var offSiteNexts = []string{
	`//evil.example/x`,
	`/\evil.example`,
	`/./\evil.example`,
	`/a/../\evil.example`,
	`/.//evil.example`,
	`/a/..//evil.example`,
	`/%5Cevil.example`,
	`/%2F%2Fevil.example`,
	"/\t/evil.example",
	`https://evil.example`,
	`evil.example`,
}

// wantLocal checks that a redirect stays on this site: a path that does not
// start with two slashes (either way round) once browsers read it.
func wantLocal(t *testing.T, what, next string, res response) {
	t.Helper()
	wantStatus(t, what+" next="+next, res, http.StatusSeeOther)
	loc := res.header.Get("Location")
	u, err := url.Parse(loc)
	if !strings.HasPrefix(loc, "/") || err != nil || u.Host != "" || u.Scheme != "" ||
		strings.ContainsAny(loc, "\\\t\r\n") || strings.HasPrefix(strings.ReplaceAll(loc, `\`, "/"), "//") {
		t.Errorf("%s with next=%q redirects to %q, off this site", what, next, loc)
	}
	if d, _ := url.PathUnescape(loc); strings.Contains(d, `\`) || strings.HasPrefix(d, "//") {
		t.Errorf("%s with next=%q redirects to %q, off this site once decoded", what, next, loc)
	}
}

func TestRedirectsStayOnSite(t *testing.T) {
	p := newPizza(t)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242424242424242", "482915", payURL)
	visitor := p.app.client()
	p.app.client().signup("Kim", "kim@example.com", "correct horse")

	for _, next := range offSiteNexts {
		wantLocal(t, "POST /locale signed out", next, visitor.post("/locale", url.Values{"locale": {"fr"}, "next": {next}}))
		wantLocal(t, "POST /login", next, p.app.client().post("/login",
			url.Values{"email": {"kim@example.com"}, "password": {"correct horse"}, "next": {next}}))
		wantLocal(t, "GET /payments/setup", next, p.sam.get("/payments/setup?next="+url.QueryEscape(next)))
	}
	// Activation redirects once, on the right code.
	res := p.lea.post("/payments/setup", url.Values{"legal_name": {"Léa"}, "contact": {"lea@example.com"},
		"card_number": {"4242424242424242"}, "exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"},
		"pin": {"482915"}, "pin_confirm": {"482915"}})
	wantStatus(t, "setup Léa", res, http.StatusSeeOther)
	var code string
	if err := p.app.store.SQL().Get(&code, `SELECT substring(body from '\d{6}') FROM outbox WHERE kind = 'activation_code' ORDER BY id DESC LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	next := `/a/../\evil.example`
	wantLocal(t, "POST /payments/activate", next, p.lea.post("/payments/activate", url.Values{"code": {code}, "next": {next}}))

	// A plain local path with its query still works.
	res = visitor.post("/locale", url.Values{"locale": {"en"}, "next": {"/threads/1?after=3"}})
	if loc := res.header.Get("Location"); loc != "/threads/1?after=3" {
		t.Errorf("local next became %q", loc)
	}
}
