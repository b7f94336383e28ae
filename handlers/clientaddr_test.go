package handlers_test

import (
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"divvy/db/dbtest"
	"divvy/handlers"
)

// postFrom posts a login form as a browser behind the router, which names
// it in X-Forwarded-For.
func (c *client) postFrom(addr, path string, form url.Values) response {
	c.app.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if addr != "" {
		req.Header.Set("X-Forwarded-For", addr)
	}
	return c.do(req)
}

// Behind a router every browser comes from the router's address. With the
// router trusted, each is limited by its own address (X-Forwarded-For), and
// one attacker guessing passwords locks out neither the people behind the
// same router nor the owner of the account guessed at.
func TestLoginLimitPerClientBehindProxy(t *testing.T) {
	app := newAppStore(t, slog.New(slog.DiscardHandler), dbtest.New(t), func(o *handlers.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	sam, kim := app.client(), app.client()
	sam.signup("Sam", "sam@example.com", "correct horse")
	kim.signup("Kim", "kim@example.com", "correct horse")
	sam.post("/logout", nil)
	kim.post("/logout", nil)

	attacker := app.client()
	limited := 0
	for i := range 60 {
		email := "sam@example.com"
		if i%2 == 1 {
			email = "kim@example.com"
		}
		res := attacker.postFrom("10.9.9.9, 203.0.113.7", "/login", url.Values{"email": {email}, "password": {"guess guess"}})
		if res.status == http.StatusTooManyRequests {
			limited++
			if res.header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		}
	}
	if limited == 0 {
		t.Fatalf("60 wrong logins from one address were never limited")
	}
	// A spoofed left-most address does not help: the router's own entry is
	// the right-most, and that one is read.
	res := attacker.postFrom("198.51.100.1, 203.0.113.7", "/login", url.Values{"email": {"sam@example.com"}, "password": {"guess guess"}})
	wantStatus(t, "attacker with a forged X-Forwarded-For", res, http.StatusTooManyRequests)

	// Sam and Kim, behind the same router, log in.
	wantStatus(t, "Sam from his own address", sam.postFrom("198.51.100.20", "/login",
		url.Values{"email": {"sam@example.com"}, "password": {"correct horse"}}), http.StatusSeeOther)
	wantStatus(t, "Kim from her own address", kim.postFrom("198.51.100.21", "/login",
		url.Values{"email": {"kim@example.com"}, "password": {"correct horse"}}), http.StatusSeeOther)
}

// Without a trusted proxy configured, X-Forwarded-For is ignored: a client
// cannot escape the limit by naming a new address on each try.
func TestLoginLimitIgnoresForwardedForFromUntrusted(t *testing.T) {
	app := newApp(t)
	c := app.client()
	c.signup("Sam", "sam@example.com", "correct horse")
	c.post("/logout", nil)
	limited := false
	for i := range 12 {
		res := c.postFrom("203.0.113."+string(rune('0'+i%10)), "/login", url.Values{"email": {"sam@example.com"}, "password": {"guess guess"}})
		limited = limited || res.status == http.StatusTooManyRequests
	}
	if !limited {
		t.Fatalf("12 wrong logins with made-up X-Forwarded-For were not limited")
	}
}
