package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

func TestSignupLoginLogout(t *testing.T) {
	app := newApp(t)
	c := app.client()
	c.signup("Sam", "sam@example.com", "correct horse")

	home := c.get("/")
	wantStatus(t, "home after sign-up", home, 200)
	wantBody(t, "home after sign-up", home, "Hello, Sam", `data-testid="threads-empty"`)

	// Keep the cookie of this session, then log out: the old cookie must be dead.
	stolen := c.hc.Jar.Cookies(mustURL(app.srv.URL))
	wantStatus(t, "logout", c.post("/logout", nil), http.StatusSeeOther)
	wantBody(t, "home after logout", c.get("/"), `data-testid="landing"`)

	replay := app.client()
	replay.hc.Jar.SetCookies(mustURL(app.srv.URL), stolen)
	wantBody(t, "home with a revoked cookie", replay.get("/"), `data-testid="landing"`)

	// Log in again: a new session.
	res := c.post("/login", url.Values{"email": {"SAM@example.com "}, "password": {"correct horse"}, "next": {"/"}})
	wantStatus(t, "login", res, http.StatusSeeOther)
	wantBody(t, "home after login", c.get("/"), "Hello, Sam")
	fresh := c.hc.Jar.Cookies(mustURL(app.srv.URL))
	if len(fresh) == 0 || len(stolen) == 0 || fresh[0].Value == stolen[0].Value {
		t.Errorf("login reused the old session cookie")
	}
}

func TestLoginWrongPasswordAndOpenRedirect(t *testing.T) {
	app := newApp(t)
	c := app.client()
	c.signup("Sam", "sam@example.com", "correct horse")
	c.post("/logout", nil)

	res := c.post("/login", url.Values{"email": {"sam@example.com"}, "password": {"wrong horse"}})
	wantStatus(t, "wrong password", res, http.StatusUnauthorized)
	wantBody(t, "wrong password", res, "do not match", `value="sam@example.com"`)

	res = c.post("/login", url.Values{"email": {"sam@example.com"}, "password": {"correct horse"}, "next": {"//evil.example/x"}})
	wantStatus(t, "login with foreign next", res, http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != "/" {
		t.Errorf("redirect after login to %q; want / (never off-site)", loc)
	}
}

func TestLogoutEverywhere(t *testing.T) {
	app := newApp(t)
	phone, laptop := app.client(), app.client()
	phone.signup("Sam", "sam@example.com", "correct horse")
	wantStatus(t, "laptop login", laptop.post("/login", url.Values{"email": {"sam@example.com"}, "password": {"correct horse"}}), http.StatusSeeOther)
	wantBody(t, "laptop home", laptop.get("/"), "Hello, Sam")

	wantStatus(t, "logout everywhere", phone.post("/logout/everywhere", nil), http.StatusSeeOther)
	wantBody(t, "laptop after logout everywhere", laptop.get("/"), `data-testid="landing"`)
	wantBody(t, "phone after logout everywhere", phone.get("/"), `data-testid="landing"`)

	// With its session gone, a state-changing request is refused with 401.
	res := laptop.post("/logout/everywhere", nil)
	wantStatus(t, "logout everywhere while signed out", res, http.StatusUnauthorized)
	wantBody(t, "logout everywhere while signed out", res, "session has ended")
}

func TestSignupProblemsKeepValues(t *testing.T) {
	app := newApp(t)
	c := app.client()
	res := c.post("/signup", url.Values{"name": {"Sam"}, "email": {"not-an-email"}, "password": {"short"}})
	wantStatus(t, "bad sign-up", res, http.StatusUnprocessableEntity)
	wantBody(t, "bad sign-up", res, `value="Sam"`, `value="not-an-email"`, `data-testid="problem-email"`,
		`data-testid="problem-password"`, `aria-invalid="true"`)
	if strings.Contains(res.body, `value="short"`) {
		t.Errorf("the password was echoed back into the page")
	}

	// A taken address gets the answer any sign-up gets (see
	// TestSignupDoesNotTellWhoHasAnAccount).
	c.signup("Sam", "sam@example.com", "correct horse")
	other := app.client()
	res = other.post("/signup", url.Values{"name": {"Sam 2"}, "email": {"Sam@Example.com"}, "password": {"another horse"}})
	wantStatus(t, "duplicate email", res, http.StatusOK)
	wantBody(t, "duplicate email", res, `data-testid="signup-sent"`)
}

func TestCrossOriginPostRefused(t *testing.T) {
	app := newApp(t)
	c := app.client()
	for _, h := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "http://evil.example"},
	} {
		req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/signup",
			strings.NewReader(url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "password": {"12345678"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res := c.do(req)
		wantStatus(t, fmt.Sprint("cross-origin sign-up ", h), res, http.StatusForbidden)
		wantBody(t, "cross-origin refusal", res, "another site")
	}
	var n int
	app.store.SQL().Get(&n, `SELECT count(*) FROM users`)
	if n != 0 {
		t.Errorf("a refused cross-origin sign-up created %d users", n)
	}
}

func TestLoginRateLimited(t *testing.T) {
	app := newApp(t)
	c := app.client()
	c.signup("Sam", "sam@example.com", "correct horse")
	c.post("/logout", nil)

	// Ten guesses in parallel, then more: exactly ten are checked, the rest refused.
	var wg sync.WaitGroup
	statuses := make(chan int, 14)
	for range 14 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- app.client().post("/login", url.Values{"email": {"sam@example.com"}, "password": {"guess guess"}}).status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] != 10 || count[http.StatusTooManyRequests] != 4 {
		t.Fatalf("14 parallel wrong logins gave %v; want 10 x 401 and 4 x 429", count)
	}
	res := c.post("/login", url.Values{"email": {"sam@example.com"}, "password": {"correct horse"}})
	wantStatus(t, "right password while limited", res, http.StatusTooManyRequests)
	wantBody(t, "limited", res, "Too many attempts")
	if res.header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
