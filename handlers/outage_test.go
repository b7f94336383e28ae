package handlers_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// dbProxy stands between the app and PostgreSQL so that a test can take the
// database away (every connection cut, new ones refused) and bring it back.
type dbProxy struct {
	t      *testing.T
	target string
	mu     sync.Mutex
	ln     net.Listener
	addr   string
	conns  map[net.Conn]bool
}

func newDBProxy(t *testing.T, target string) *dbProxy {
	p := &dbProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	p.listen("127.0.0.1:0")
	t.Cleanup(p.cut)
	return p
}

func (p *dbProxy) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
}

func (p *dbProxy) serve(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close(); c.Close() }()
	io.Copy(c, s)
	c.Close()
	s.Close()
}

// cut closes every connection and stops listening: the database is away.
func (p *dbProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// restore listens again on the same address: the database is back.
func (p *dbProxy) restore() { p.listen(p.addr) }

// newAppBehindProxy is newApp whose store reaches PostgreSQL through a
// proxy the test controls.
func newAppBehindProxy(t *testing.T) (*testApp, *dbProxy) {
	t.Helper()
	u, err := url.Parse(dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "5432")
	}
	proxy := newDBProxy(t, host)
	u.Host = proxy.addr
	store, err := db.Open(context.Background(), u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.SetLinkKeys([]string{"test link key"})
	return newAppStore(t, slog.New(slog.DiscardHandler), store), proxy
}

// While the database is away, pages and forms answer 503 with Retry-After
// and say what happened; a pay form says the payment was not made, never
// a bare redirect. When it is back, the same form pays.
func TestDatabaseAwayAnswers503(t *testing.T) {
	app, proxy := newAppBehindProxy(t)
	p := newPizzaOn(t, app)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242424242424242", "482913", payURL)
	id := payForm(t, p.sam, payURL)

	proxy.cut()
	for _, tc := range []struct {
		what string
		res  func() response
		want string
	}{
		{"thread page", func() response { return p.org.get(p.thread) }, "cannot reach its database"},
		{"message", func() response { return p.org.post(p.thread+"/messages", url.Values{"body": {"hi"}}) }, "Nothing was changed"},
		{"pay", func() response { return p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"482913"}}) }, "not completed"},
		{"login", func() response {
			return app.client().post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"correct horse"}})
		}, "cannot reach its database"},
	} {
		res := tc.res()
		wantStatus(t, tc.what+" with the database away", res, http.StatusServiceUnavailable)
		wantBody(t, tc.what+" with the database away", res, tc.want)
		if res.header.Get("Retry-After") == "" {
			t.Errorf("%s with the database away: no Retry-After", tc.what)
		}
	}
	// Without the database the reader's language comes from the browser.
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+payURL, strings.NewReader(url.Values{"payment_id": {id}, "pin": {"482913"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Accept-Language", "fr-FR,fr")
	if res := p.sam.do(req); !strings.Contains(res.body, "pas abouti") {
		t.Errorf("French pay page with the database away: %.600s", res.body)
	}

	proxy.restore()
	wantStatus(t, "pay with the database back", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"482913"}}), http.StatusSeeOther)
}

// When PostgreSQL takes no more connections (53300), the answer is the
// same 503: nothing was paid, try again.
func TestDatabaseFullAnswers503(t *testing.T) {
	dbURL := dbtest.URL(t)
	admin, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	role := fmt.Sprintf("divvy_full_%d", time.Now().UnixNano())
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN CONNECTION LIMIT 4`,
		`GRANT ALL ON ALL TABLES IN SCHEMA public TO ` + role,
		`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ` + role,
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, role)
		admin.Exec(`DROP OWNED BY ` + role)
		admin.Exec(`DROP ROLE ` + role)
	})
	store, err := db.Open(context.Background(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	store.SetLinkKeys([]string{"test link key"})
	app := newAppStore(t, slog.New(slog.DiscardHandler), store)
	p := newPizzaOn(t, app)
	_, payURL := p.postSplit(t)
	p.setupPayments(t, p.sam, "Sam", "4242424242424242", "482913", payURL)
	id := payForm(t, p.sam, payURL)

	// A second app process that connects as the limited role, and
	// connections that take the role's every other place.
	u, _ := url.Parse(dbURL)
	u.User = url.User(role)
	full, err := db.Open(context.Background(), u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { full.Close() })
	full.SetLinkKeys([]string{"test link key"})
	other := newAppStore(t, slog.New(slog.DiscardHandler), full)
	full.SQL().SetMaxIdleConns(0)
	hog, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer hog.Close()
	for i := 0; ; i++ {
		c, err := hog.Conn(context.Background())
		if err != nil {
			break // every place is taken
		}
		defer c.Close()
		if i == 4 {
			t.Fatal("the role's connection limit does not hold")
		}
	}

	req, _ := http.NewRequest(http.MethodPost, other.srv.URL+payURL, strings.NewReader(url.Values{"payment_id": {id}, "pin": {"482913"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res := p.sam.do(req)
	wantStatus(t, "pay with the database full", res, http.StatusServiceUnavailable)
	wantBody(t, "pay with the database full", res, "nothing was paid")
	if res.header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After")
	}
	if app.cards.charges.Load() != 0 {
		t.Errorf("%d charges while the database was full", app.cards.charges.Load())
	}
}
