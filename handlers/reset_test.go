package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/mail"
)

// resetLink returns the link of the reset mail number n (from 1) to
// address, waiting for it: the mail leaves after the answer.
func (a *testApp) resetLink(address string, n int) string {
	a.t.Helper()
	var bodies []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		bodies = bodies[:0]
		if err := a.store.SQL().Select(&bodies, `SELECT body FROM outbox WHERE kind = 'password_reset' AND recipient = $1 ORDER BY id DESC`, address); err != nil {
			a.t.Fatal(err)
		}
		if len(bodies) >= n {
			break
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("%d reset mails to %s; want %d", len(bodies), address, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := regexp.MustCompile(`http://divvy\.test(/password/reset/[A-Za-z0-9_-]+)`).FindStringSubmatch(bodies[0])
	if m == nil {
		a.t.Fatalf("reset mail without a link:\n%s", bodies[0])
	}
	return m[1]
}

// resetMails counts the reset mails sent, once those on their way are out.
func (a *testApp) resetMails() int {
	var n int
	for last := -1; n != last; time.Sleep(300 * time.Millisecond) {
		last = n
		if err := a.store.SQL().Get(&n, `SELECT count(*) FROM outbox WHERE kind = 'password_reset'`); err != nil {
			a.t.Fatal(err)
		}
	}
	return n
}

// Forgot password, end to end: the same answer whether or not the address
// has an account; a link by mail that sets a new password once; every
// session of the account revoked (old cookies stop working), this browser
// signed in anew; the payment PIN untouched.
func TestPasswordReset(t *testing.T) {
	app := newApp(t)
	phone, laptop := app.client(), app.client()
	phone.signup("Olivia", "olivia@example.com", "old password")
	wantStatus(t, "laptop login", laptop.post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"old password"}}), http.StatusSeeOther)
	var olivia int64
	if err := app.store.SQL().Get(&olivia, `SELECT id FROM users WHERE email = 'olivia@example.com'`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := app.store.SetupPayments(ctx, olivia, app.provider, mail.NewOutbox(app.store, nil), db.PaymentSetup{
		LegalName: "Olivia Martin", Contact: "olivia@example.com", PIN: "482916", PINConfirm: "482916",
		Card: db.CardInput{Number: "4242 4242 4242 4242", ExpMonth: "12", ExpYear: "35", CVC: "123"},
	}); err != nil {
		t.Fatal(err)
	}
	var pinBefore string
	app.store.SQL().Get(&pinBefore, `SELECT pin_hash FROM payment_profiles WHERE user_id = $1`, olivia)

	other := app.client()
	wantBody(t, "login page", other.get("/login"), `href="/password/forgot"`)
	wantStatus(t, "forgot form", other.get("/password/forgot"), http.StatusOK)
	bad := other.post("/password/forgot", url.Values{"email": {"olivia@"}})
	wantStatus(t, "malformed address", bad, http.StatusUnprocessableEntity)
	wantBody(t, "malformed address", bad, `data-testid="problem-email"`, `value="olivia@"`)

	known := other.post("/password/forgot", url.Values{"email": {" Olivia@Example.com "}})
	unknown := other.post("/password/forgot", url.Values{"email": {"nobody@example.com"}})
	wantStatus(t, "forgot, known address", known, http.StatusOK)
	wantStatus(t, "forgot, unknown address", unknown, http.StatusOK)
	same := func(b, email string) string {
		b = strings.ReplaceAll(b, email, "EMAIL")
		return regexp.MustCompile(`request_id[^"]*|nonce-[^'"]+`).ReplaceAllString(b, "")
	}
	if same(known.body, "olivia@example.com") != same(unknown.body, "nobody@example.com") {
		t.Errorf("the answer differs with whether the address has an account:\n%s\n---\n%s", known.body, unknown.body)
	}
	link := app.resetLink("olivia@example.com", 1)
	if n := app.resetMails(); n != 1 {
		t.Fatalf("%d reset mails; want 1 (none to an address without an account)", n)
	}

	// Opening the link (or a mail scanner fetching it) uses nothing up.
	for range 2 {
		form := other.get(link)
		wantStatus(t, "reset form", form, http.StatusOK)
		wantBody(t, "reset form", form, `data-testid="reset-form"`, "olivia@example.com")
		if got := form.header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("reset page Referrer-Policy = %q; want no-referrer", got)
		}
	}
	short := other.post(link, url.Values{"password": {"short"}})
	wantStatus(t, "short password", short, http.StatusUnprocessableEntity)
	wantBody(t, "short password", short, `data-testid="problem-password"`, "olivia@example.com")

	// CSRF as everywhere: a cross-origin post is refused and uses nothing up.
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+link, strings.NewReader(url.Values{"password": {"evil password"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	wantStatus(t, "cross-origin reset", other.do(req), http.StatusForbidden)

	done := other.post(link, url.Values{"password": {"new password 2"}})
	wantStatus(t, "reset", done, http.StatusSeeOther)
	if loc := done.header.Get("Location"); loc != "/account?done=password" {
		t.Errorf("after reset, Location = %q", loc)
	}
	page := other.get(done.header.Get("Location"))
	wantStatus(t, "account after reset", page, http.StatusOK)
	wantBody(t, "account after reset", page, `data-testid="notice"`, `data-testid="this-device"`)
	if n := strings.Count(page.body, `data-testid="device"`); n != 1 {
		t.Errorf("%d devices after reset; want only this one", n)
	}

	// The old cookies no longer work.
	for name, c := range map[string]*client{"phone": phone, "laptop": laptop} {
		res := c.get("/account")
		wantStatus(t, name+" after reset", res, http.StatusSeeOther)
		if !strings.HasPrefix(res.header.Get("Location"), "/login") {
			t.Errorf("%s after reset: sent to %q; want the login page", name, res.header.Get("Location"))
		}
	}
	wantStatus(t, "link used twice", app.client().post(link, url.Values{"password": {"third password"}}), http.StatusNotFound)
	wantBody(t, "link used twice", other.get(link), `data-testid="reset-dead"`)
	wantStatus(t, "old password", app.client().post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"old password"}}), http.StatusUnauthorized)
	wantStatus(t, "new password", app.client().post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"new password 2"}}), http.StatusSeeOther)

	var pinAfter string
	app.store.SQL().Get(&pinAfter, `SELECT pin_hash FROM payment_profiles WHERE user_id = $1`, olivia)
	if pinAfter == "" || pinAfter != pinBefore {
		t.Errorf("the payment PIN changed with the password")
	}
	if err := app.store.CheckPIN(ctx, olivia, "482916"); err != nil {
		t.Errorf("the PIN after a password reset: %v", err)
	}

	// A link past its 30 minutes no longer works, even unused.
	wantStatus(t, "forgot again", other.post("/password/forgot", url.Values{"email": {"olivia@example.com"}}), http.StatusOK)
	late := app.resetLink("olivia@example.com", 2)
	if late == link {
		t.Fatal("the same link twice")
	}
	if _, err := app.store.SQL().Exec(`UPDATE password_resets SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "expired link", other.get(late), http.StatusNotFound)
	wantStatus(t, "expired link used", other.post(late, url.Values{"password": {"fourth password"}}), http.StatusNotFound)
	wantStatus(t, "unknown link", other.get("/password/reset/not-a-token"), http.StatusNotFound)
}

// Many browsers using the same link at once: exactly one sets its password.
func TestPasswordResetLinkUsedOnceUnderConcurrency(t *testing.T) {
	app := newApp(t)
	app.client().signup("Olivia", "olivia@example.com", "old password")
	wantStatus(t, "forgot", app.client().post("/password/forgot", url.Values{"email": {"olivia@example.com"}}), http.StatusOK)
	link := app.resetLink("olivia@example.com", 1)

	const n = 8
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		c := app.client()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[i] = c.post(link, url.Values{"password": {"racing password " + string(rune('a'+i))}}).status
		}()
	}
	close(start)
	wg.Wait()
	won := -1
	for i, s := range statuses {
		switch s {
		case http.StatusSeeOther:
			if won >= 0 {
				t.Errorf("two uses of one link succeeded (%d and %d)", won, i)
			}
			won = i
		case http.StatusNotFound:
		default:
			t.Errorf("use %d: status %d", i, s)
		}
	}
	if won < 0 {
		t.Fatalf("no use of the link succeeded: %v", statuses)
	}
	for i := range n {
		want := http.StatusUnauthorized
		if i == won {
			want = http.StatusSeeOther
		}
		res := app.client().post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"racing password " + string(rune('a'+i))}})
		if res.status != want {
			t.Errorf("log in with password %d: status %d, want %d", i, res.status, want)
		}
	}
}

// Reset requests are limited per email and per client address, and the
// limit treats addresses with and without an account alike.
func TestPasswordResetRateLimited(t *testing.T) {
	app := newApp(t)
	app.client().signup("Olivia", "olivia@example.com", "old password")
	c := app.client()
	for _, email := range []string{"olivia@example.com", "nobody@example.com"} {
		for i := range 3 {
			wantStatus(t, email+" request", c.post("/password/forgot", url.Values{"email": {email}}), http.StatusOK)
			_ = i
		}
		res := c.post("/password/forgot", url.Values{"email": {email}})
		wantStatus(t, email+" 4th request", res, http.StatusTooManyRequests)
		wantBody(t, email+" 4th request", res, `data-testid="form-error"`, `value="`+email+`"`)
	}
	if n := app.resetMails(); n != 3 {
		t.Errorf("%d reset mails; want 3", n)
	}
	// One client address asking for many different emails.
	limited := false
	for i := range 20 {
		res := c.post("/password/forgot", url.Values{"email": {"someone" + string(rune('a'+i)) + "@example.com"}})
		if res.status == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Errorf("one address asked for 26 resets without being limited")
	}
}

// slowMail is a mail server that takes its time.
type slowMail struct {
	db.Notifier
	delay time.Duration
}

func (m slowMail) Notify(ctx context.Context, n db.Notification) error {
	time.Sleep(m.delay)
	return m.Notifier.Notify(ctx, n)
}

// The answer to a reset request does not wait for the mail: otherwise the
// time it takes would tell which addresses have an account.
func TestPasswordResetAnswerDoesNotWaitForTheMail(t *testing.T) {
	const delay = 3 * time.Second
	app := newAppNotifying(t, func(n db.Notifier) db.Notifier { return slowMail{n, delay} })
	app.client().signup("Olivia", "olivia@example.com", "old password")
	start := time.Now()
	wantStatus(t, "forgot", app.client().post("/password/forgot", url.Values{"email": {"olivia@example.com"}}), http.StatusOK)
	if took := time.Since(start); took >= delay {
		t.Errorf("the answer took %v: it waited for the mail", took)
	}
	if link := app.resetLink("olivia@example.com", 1); link == "" {
		t.Error("no reset link sent")
	}
}
