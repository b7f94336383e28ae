package handlers_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/mail"
	"divvy/db/money"
	"divvy/db/sandbox"
	"divvy/handlers"
)

// testApp is the real router and middleware over a fresh database.
type testApp struct {
	t        testing.TB
	srv      *httptest.Server
	store    *db.DB
	provider *sandbox.Provider
	cards    *testProvider // the provider the app uses: provider, counted
	broker   *handlers.Broker
}

func newApp(t testing.TB) *testApp {
	t.Helper()
	return newAppStore(t, slog.New(slog.DiscardHandler), dbtest.New(t))
}

// newAppNotifying is newApp whose notifier (the development outbox) is
// wrapped by wrap, to slow it down or make it fail.
func newAppNotifying(t *testing.T, wrap func(db.Notifier) db.Notifier) *testApp {
	t.Helper()
	return newAppFull(t, slog.New(slog.DiscardHandler), dbtest.New(t), wrap)
}

// newAppUnlimited is newApp without the rate limits on messages, joins and
// streams (RATE_LIMITS=off), for tests that flood on purpose.
func newAppUnlimited(t *testing.T) *testApp {
	t.Helper()
	return newAppStore(t, slog.New(slog.DiscardHandler), dbtest.New(t), func(o *handlers.Options) { o.NoRateLimits = true })
}

// newAppLogged is newApp whose server logs to log.
func newAppLogged(t *testing.T, log *slog.Logger) *testApp {
	t.Helper()
	return newAppStore(t, log, dbtest.New(t))
}

// newAppStore is newApp over store, logging to log, with its options
// edited by edits.
func newAppStore(t testing.TB, log *slog.Logger, store *db.DB, edits ...func(*handlers.Options)) *testApp {
	t.Helper()
	return newAppFull(t, log, store, nil, edits...)
}

func newAppFull(t testing.TB, log *slog.Logger, store *db.DB, wrap func(db.Notifier) db.Notifier, edits ...func(*handlers.Options)) *testApp {
	t.Helper()
	store.SetPINPepper("handler test pepper")
	provider, err := sandbox.New([]byte("handler test sandbox key"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	broker := handlers.NewBroker(store, log)
	store.SetChangeHook(broker.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := broker.Run(ctx); err != nil {
		t.Fatal(err)
	}
	cards := &testProvider{Provider: provider}
	opts := handlers.Options{
		SessionKeys: []string{"test-session-key-0123456789abcdef0123456789"},
		BaseURL:     "http://divvy.test",
	}
	for _, edit := range edits {
		edit(&opts)
	}
	var notify db.Notifier = mail.NewOutbox(store, log)
	if wrap != nil {
		notify = wrap(notify)
	}
	if err := store.SetRelyingParty(opts.BaseURL); err != nil {
		t.Fatal(err)
	}
	h := handlers.New(log, store, cards, notify, broker, opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &testApp{t: t, srv: srv, store: store, provider: provider, cards: cards, broker: broker}
}

// testProvider is the sandbox as the app sees it, counting charges and
// refunds, with a hook to act while a payment is between its charge and
// its record.
type testProvider struct {
	*sandbox.Provider
	charges, refunds atomic.Int64
	mu               sync.Mutex
	afterCharge      func() // runs once, after the next charge that succeeds
}

func (p *testProvider) Charge(ctx context.Context, token string, amount money.Money, key string) (db.Charge, error) {
	ch, err := p.Provider.Charge(ctx, token, amount, key)
	if err == nil {
		p.charges.Add(1)
		p.mu.Lock()
		f := p.afterCharge
		p.afterCharge = nil
		p.mu.Unlock()
		if f != nil {
			f()
		}
	}
	return ch, err
}

func (p *testProvider) Refund(ctx context.Context, charge string, amount money.Money, key string) error {
	p.refunds.Add(1)
	return p.Provider.Refund(ctx, charge, amount, key)
}

// client is one person's browser: its own cookies, no automatic redirects.
type client struct {
	app  *testApp
	hc   *http.Client
	lang string // the browser's Accept-Language, when set
}

func (a *testApp) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{app: a, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(req *http.Request) response {
	c.app.t.Helper()
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.app.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string) response {
	c.app.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	return c.do(req)
}

// post sends a form the way a browser on this site does (same-origin).
func (c *client) post(path string, form url.Values) response {
	c.app.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.app.srv.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// signup signs up in full: the form, then the link mailed to the address,
// which makes the account and logs this browser in.
func (c *client) signup(name, email, password string) {
	c.app.t.Helper()
	res := c.post("/signup", url.Values{"name": {name}, "email": {email}, "password": {password}})
	if res.status != http.StatusOK || !strings.Contains(res.body, `data-testid="signup-sent"`) {
		c.app.t.Fatalf("sign up %s: status %d, want 200 and \"check your email\"\n%.600s", email, res.status, res.body)
	}
	link := c.app.mailedLink(email, db.NotifySignupConfirm, `/signup/confirm/[A-Za-z0-9_-]+`)
	wantStatus(c.app.t, "sign-up link", c.get(link), http.StatusOK)
	res = c.post(link, nil)
	if res.status != http.StatusSeeOther {
		c.app.t.Fatalf("confirm sign-up %s: status %d, want 303\n%.600s", email, res.status, res.body)
	}
}

// mailedLink waits for the latest mail of this kind to address (mails
// leave after the answer) and returns the path of the link in it that
// matches pattern.
func (a *testApp) mailedLink(address, kind, pattern string) string {
	a.t.Helper()
	re := regexp.MustCompile(`http://divvy\.test(` + pattern + `)`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var body string
		err := a.store.SQL().Get(&body, `SELECT body FROM outbox WHERE kind = $1 AND recipient = $2 ORDER BY id DESC LIMIT 1`, kind, address)
		if err == nil {
			if m := re.FindStringSubmatch(body); m != nil {
				return m[1]
			}
			a.t.Fatalf("%s mail to %s without a link:\n%s", kind, address, body)
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("no %s mail to %s", kind, address)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantStatus(t testing.TB, what string, res response, want int) {
	t.Helper()
	if res.status != want {
		t.Fatalf("%s: status %d, want %d\n%.600s", what, res.status, want, res.body)
	}
}

func wantBody(t *testing.T, what string, res response, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(res.body, p) {
			t.Errorf("%s: body lacks %q\n%.3000s", what, p, res.body)
		}
	}
}
