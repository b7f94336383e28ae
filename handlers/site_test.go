package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestSecurityHeaders(t *testing.T) {
	app := newApp(t)
	c := app.client()
	for _, path := range []string{"/", "/signup", "/no-such-page"} {
		res := c.get(path)
		for k, want := range map[string]string{
			"Content-Security-Policy": "script-src 'self'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"X-Frame-Options":         "DENY",
		} {
			if got := res.header.Get(k); !strings.Contains(got, want) {
				t.Errorf("%s: %s = %q, want it to contain %q", path, k, got, want)
			}
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q must forbid framing and inline code", path, csp)
		}
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(res.body, -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("%s: inline script %s", path, tag)
			}
		}
		if strings.Contains(res.body, " style=") || strings.Contains(res.body, "<style") {
			t.Errorf("%s: inline style, which the CSP blocks", path)
		}
	}
}

func TestStaticFilesFingerprinted(t *testing.T) {
	app := newApp(t)
	c := app.client()
	home := c.get("/")
	m := regexp.MustCompile(`/static/[0-9a-f]{12}/vendor/htmx-2\.0\.11\.min\.js`).FindString(home.body)
	if m == "" {
		t.Fatalf("home page does not load the pinned, fingerprinted htmx")
	}
	res := c.get(m)
	wantStatus(t, "htmx", res, 200)
	if cc := res.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("fingerprinted htmx Cache-Control = %q, want immutable", cc)
	}
	if ct := res.header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("htmx Content-Type = %q", ct)
	}
	wantStatus(t, "unknown static file", c.get("/static/abc/nope.js"), 404)
	wantStatus(t, "manifest", c.get("/manifest.webmanifest"), 200)
}

func TestBadInputGetsClearPages(t *testing.T) {
	app := newApp(t)
	c := app.client()

	res := c.get("/no/such/page")
	wantStatus(t, "unknown route", res, http.StatusNotFound)
	wantBody(t, "unknown route", res, `data-testid="error-message"`, "does not exist")

	req, _ := http.NewRequest(http.MethodDelete, app.srv.URL+"/login", nil)
	res = c.do(req)
	wantStatus(t, "wrong method", res, http.StatusMethodNotAllowed)
	wantBody(t, "wrong method", res, `data-testid="error-message"`)
	if !strings.Contains(res.header.Get("Content-Type"), "text/html") {
		t.Errorf("405 Content-Type = %q, want the HTML error page", res.header.Get("Content-Type"))
	}

	big := url.Values{"name": {strings.Repeat("x", 100<<10)}, "email": {"a@b.co"}, "password": {"12345678"}}
	res = c.post("/signup", big)
	wantStatus(t, "oversized body", res, http.StatusRequestEntityTooLarge)
	wantBody(t, "oversized body", res, "too large")

	req, _ = http.NewRequest(http.MethodPost, app.srv.URL+"/login", strings.NewReader("email=%zz&password=%"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res = c.do(req)
	wantStatus(t, "malformed form", res, http.StatusBadRequest)

	res = c.post("/locale", url.Values{"locale": {"xx"}})
	wantStatus(t, "unknown locale", res, http.StatusUnprocessableEntity)

	res = c.post("/login", url.Values{"email": {""}, "password": {""}})
	wantStatus(t, "empty login", res, http.StatusUnprocessableEntity)
	wantBody(t, "empty login", res, `data-testid="problem-email"`)

	// A forged or garbled session cookie is ignored, not a 500.
	req, _ = http.NewRequest(http.MethodGet, app.srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "divvy", Value: "garbage"})
	res = c.do(req)
	wantStatus(t, "garbled cookie", res, 200)
	wantBody(t, "garbled cookie", res, `data-testid="landing"`)
}

func TestLocale(t *testing.T) {
	app := newApp(t)
	c := app.client()
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/signup", nil)
	req.Header.Set("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.5")
	res := c.do(req)
	wantBody(t, "French by Accept-Language", res, "Créez votre compte", `lang="fr"`)

	res = c.post("/locale", url.Values{"locale": {"fr"}, "next": {"/login"}})
	wantStatus(t, "switch to French", res, http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != "/login" {
		t.Errorf("switcher redirected to %q, want /login", loc)
	}
	wantBody(t, "French by choice", c.get("/login"), "Connexion")

	// A signed-in user's choice is kept on the account.
	c.signup("Léa", "lea@example.com", "mot de passe")
	c.post("/locale", url.Values{"locale": {"en"}, "next": {"/"}})
	fresh := app.client()
	fresh.post("/login", url.Values{"email": {"lea@example.com"}, "password": {"mot de passe"}})
	wantBody(t, "account locale", fresh.get("/"), "Your threads")
}

func TestHealthAndReady(t *testing.T) {
	app := newApp(t)
	c := app.client()
	wantBody(t, "healthz", c.get("/healthz"), `"ok"`)
	res := c.get("/readyz")
	wantStatus(t, "readyz", res, 200)
	wantBody(t, "readyz", res, `"ready"`)
}
