package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// seeded is a thread with an open split, made over plain HTTP so that a
// scenario's browsers start where it matters.
type seeded struct {
	org    *http.Client
	thread string // path
	split  string // path
	invite string // URL
	payURL string // the split's pay link
}

func seed(t *testing.T, base, email string, people int) seeded {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	get := func(path string) string {
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	post := func(path string, f url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("seed POST %s: %d", path, res.StatusCode)
		}
		return res
	}
	signUpHTTP(t, base, c, "Olivia", email)
	res := post("/threads", url.Values{"name": {"Pizza Friday"}, "currency": {"EUR"}})
	s := seeded{org: c, thread: res.Request.URL.Path}
	s.invite = regexp.MustCompile(`data-testid="invite-url" value="([^"]+)"|value="([^"]+)"[^>]*data-testid="invite-url"`).FindStringSubmatch(get(s.thread + "/invite"))[0]
	s.invite = regexp.MustCompile(`http[^"]+`).FindString(s.invite)
	// Friends join over HTTP too, so the split can include them.
	for i := 1; i < people; i++ {
		fj, _ := cookiejar.New(nil)
		f := &http.Client{Jar: fj}
		req, _ := http.NewRequest(http.MethodPost, s.invite, strings.NewReader(url.Values{"name": {"Friend " + string(rune('A'+i-1))}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		if res, err := f.Do(req); err != nil || res.StatusCode != 200 {
			t.Fatalf("seed join: %v", err)
		}
	}
	form := get(s.thread + "/splits/new")
	f := url.Values{"title": {"Pizza night"}, "total": {"47,50"}, "currency": {"EUR"}, "mode": {"equal"}}
	f.Set("collector", regexp.MustCompile(`<option value="(\d+)" selected>`).FindStringSubmatch(form)[1])
	for _, m := range regexp.MustCompile(`name="people" value="(\d+)"`).FindAllStringSubmatch(form, -1) {
		f.Add("people", m[1])
	}
	post(s.thread+"/splits", f)
	s.split = regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(get(s.thread))
	s.payURL = regexp.MustCompile(`value="(http[^"]+/pay/[^"]+)"`).FindStringSubmatch(get(s.split))[1]
	return s
}

// Scenario 2: five wrong PINs lock payments; no payment is made.
func TestBrowserWrongPINLocks(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			s := seed(t, base, "olivia-pin-"+sc.name+"@example.com", 1)
			sam := &person{newBrowser(t, sc.name, sc.width, sc.height), "Sam"}
			sam.run("open the pay link", chromedp.Navigate(s.payURL), chromedp.WaitVisible(`[data-testid=join-form]`),
				chromedp.SendKeys(`#f-name`, "Sam"), chromedp.Click(`[data-testid=join-submit]`))
			sam.setUp(t, dbURL, "4242 4242 4242 4242", "271828")
			for i := 4; i >= 1; i-- {
				sam.submitPIN("wrong PIN", "000001", fmt.Sprintf(`//p[@data-testid="problem-pin"][contains(., "%d tr")]`, i))
			}
			sam.submitPIN("fifth wrong PIN", "000001", `//p[@data-testid="problem-pin"][contains(., "locked")]`)
			sam.submitPIN("right PIN, still locked", "271828", `//p[@data-testid="problem-pin"][contains(., "locked")]`)
			sam.shot("locked")
			var n int
			queryRow(t, dbURL, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`, &n)
			if n != 0 {
				t.Errorf("%d card payments after a lock; want 0", n)
			}
		})
	}
}

// Scenario 3: a friend who is not a member opens the split's pay link and
// pays in the fewest steps: name, payment setup, code, PIN.
func TestBrowserPayLinkFewestSteps(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			s := seed(t, base, "olivia-link-"+sc.name+"@example.com", 2)
			nina := &person{newBrowser(t, sc.name, sc.width, sc.height), "Nina"}
			start := time.Now()
			nina.run("open the pay link", chromedp.Navigate(s.payURL), chromedp.WaitVisible(`[data-testid=join-form]`))
			nina.shot("paylink")
			nina.run("type a name", chromedp.SendKeys(`#f-name`, "Nina"), chromedp.Click(`[data-testid=join-submit]`))
			nina.setUp(t, dbURL, "4242 4242 4242 4242", "583920")
			var what string
			nina.run("read the amount", chromedp.Text(`[data-testid=pay-what]`, &what))
			if !strings.Contains(what, "€15.83") {
				t.Errorf("Nina pays %q; want her share of 47,50 among 3 (€15.83)", what)
			}
			nina.run("pay", chromedp.SendKeys(`#f-pin`, "583920"), chromedp.Click(`[data-testid=pay-submit]`),
				chromedp.WaitVisible(shareRow("Nina")+`[@data-status="paid"]`))
			nina.shot("paid")
			t.Logf("[%s] pay link to paid: 4 pages (name, setup, code, PIN), %v", sc.name, time.Since(start))
		})
	}
}

// Scenario 4: the journey in French: French labels, French money.
func TestBrowserFrench(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			s := seed(t, base, "olivia-fr-"+sc.name+"@example.com", 3)
			lea := &person{newBrowserLang(t, sc.name, sc.width, sc.height, "fr-FR,fr"), "Léa"}
			lea.run("open the invite in French", chromedp.Navigate(s.invite), chromedp.WaitVisible(`//button[contains(., "Rejoindre le fil")]`),
				chromedp.SendKeys(`#f-name`, "Léa"), chromedp.Click(`[data-testid=join-submit]`), chromedp.WaitVisible(`[data-testid=composer]`))
			lea.shot("fil")
			// Léa joined after the split: the organizer adds her (shares re-allocated).
			page := s.get(t, base, s.split)
			userID := regexp.MustCompile(`name="user_id" value="(\d+)"`).FindStringSubmatch(page)[1]
			s.post(t, base, s.split+"/people", url.Values{"user_id": {userID}})
			var pay string
			lea.run("her share, the French way", chromedp.Reload(), chromedp.WaitVisible(`[data-testid=pay]`), chromedp.Text(`[data-testid=pay]`, &pay))
			if pay != "Payer 11,87\u00a0€" {
				t.Errorf("pay button %q, want %q", pay, "Payer 11,87\u00a0€")
			}
			var count string
			lea.run("count", chromedp.Text(`[data-testid=split-count]`, &count))
			if count != "0 sur 3 payé" {
				t.Errorf("count %q, want 0 sur 3 payé", count)
			}
			lea.run("pay", chromedp.Click(`[data-testid=pay]`))
			lea.run("setup in French", chromedp.WaitVisible(`//h1[contains(., "Configurer les paiements")]`))
			lea.setUp(t, dbURL, "4242 4242 4242 4242", "314159")
			lea.run("pay", chromedp.SendKeys(`#f-pin`, "314159"), chromedp.Click(`[data-testid=pay-submit]`),
				chromedp.WaitVisible(shareRow("Léa")+`[@data-status="paid"]`))
			var msg string
			lea.run("payment message", chromedp.WaitVisible(`[data-testid=msg-payment]`), chromedp.Text(`[data-testid=msg-payment]`, &msg))
			if !strings.Contains(msg, "a payé 11,87\u00a0€") {
				t.Errorf("payment message %q, want French wording and money", msg)
			}
			lea.shot("payé")
		})
	}
}

// Scenario 5: the organizer's page loses its connection while a payment
// happens; once reconnected, the payment shows.
func TestBrowserReconnect(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			email := "olivia-re-" + sc.name + "@example.com"
			s := seed(t, base, email, 1)
			olivia := &person{newBrowser(t, sc.name, sc.width, sc.height), "Olivia"}
			olivia.run("log in", chromedp.Navigate(base+"/login"), chromedp.SendKeys(`#f-email`, email),
				chromedp.SendKeys(`#f-password`, "correct horse"), chromedp.Click(`[data-testid=login-submit]`),
				chromedp.WaitVisible(`[data-testid=new-thread]`), chromedp.Navigate(base+s.thread), chromedp.WaitVisible(`[data-testid=split-card]`))
			sam := &person{newBrowser(t, sc.name, sc.width, sc.height), "Sam"}
			sam.run("join by pay link", chromedp.Navigate(s.payURL), chromedp.SendKeys(`#f-name`, "Sam"), chromedp.Click(`[data-testid=join-submit]`))
			sam.setUp(t, dbURL, "4242 4242 4242 4242", "271828")

			// Cut the stream: the network goes offline, and the page's open
			// EventSource fails as a dropped connection does (offline mode
			// alone leaves an established stream open).
			var marker string
			olivia.expectingErrors(true)
			olivia.run("cut the connection", chromedp.Evaluate(`window.divvyMarker = "no reload"`, &marker),
				network.EmulateNetworkConditions(true, 0, 0, 0),
				chromedp.Evaluate(`(function () {
					var src = document.querySelector("[sse-connect]")["htmx-internal-data"].sseEventSource;
					src.close();
					src.onerror(new Event("error"));
					return "cut";
				})()`, &marker))
			time.Sleep(300 * time.Millisecond)
			sam.run("pay while Olivia is offline", chromedp.SendKeys(`#f-pin`, "271828"), chromedp.Click(`[data-testid=pay-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			time.Sleep(500 * time.Millisecond)
			var status string
			olivia.run("still offline", chromedp.AttributeValue(shareRow("Sam"), "data-status", &status, nil))
			if status == "paid" {
				t.Fatalf("[%s] the payment reached the page while its connection was cut", sc.name)
			}
			olivia.run("back online", network.EmulateNetworkConditions(false, 0, -1, -1))
			reconnecting := time.Now()
			olivia.runWithin("the payment shows after reconnecting", 15*time.Second,
				chromedp.WaitVisible(shareRow("Sam")+`[@data-status="paid"]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-payment"][contains(., "Sam paid")]`),
				chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
			if marker != "no reload" {
				t.Errorf("the page reloaded instead of catching up")
			}
			t.Logf("[%s] caught up %v after the network came back", sc.name, time.Since(reconnecting))
			olivia.expectingErrors(false)
			var payments int
			olivia.run("count payment lines", chromedp.Evaluate(`document.querySelectorAll('[data-testid=msg-payment]').length`, &payments))
			if payments != 1 {
				t.Errorf("%d payment lines after reconnecting; want exactly 1", payments)
			}
			olivia.shot("reconnected")
		})
	}
}

// The journey's first steps with the keyboard alone, on a desktop: every
// control is reached with Tab and used with typing and Enter, and the
// focused control shows a visible outline.
func TestBrowserKeyboardOnly(t *testing.T) {
	t.Parallel()
	base, _ := startAppDB(t)
	b := newBrowser(t, "desktop", 1280, 800)
	b.run("open sign-up", chromedp.Navigate(base+"/signup"), chromedp.WaitVisible(`[data-testid=signup-form]`))
	b.tabTo(`#f-name`)
	var outline string
	b.run("focus ring", chromedp.Evaluate(`getComputedStyle(document.activeElement).outlineStyle`, &outline))
	if outline == "none" || outline == "" {
		t.Errorf("the focused field has no visible outline (%q)", outline)
	}
	b.run("type name", chromedp.KeyEvent("Kim"))
	b.tabTo(`#f-email`)
	b.run("type email", chromedp.KeyEvent("kim@example.com"))
	b.tabTo(`#f-password`)
	b.run("type password and press Enter", chromedp.KeyEvent("correct horse"+kb.Enter), chromedp.WaitVisible(`[data-testid=signup-sent]`))
	b.run("open the mailed link", chromedp.Navigate(base+signupLink(t, base, "kim@example.com")), chromedp.WaitVisible(`[data-testid=signup-confirm]`))
	b.tabTo(`[data-testid=signup-confirm]`)
	b.run("create the account", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`[data-testid=new-thread]`))
	b.tabTo(`[data-testid=new-thread]`)
	b.run("open the form", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`[data-testid=newthread-form]`))
	b.tabTo(`#f-name`)
	b.run("name the thread", chromedp.KeyEvent("Keys only"+kb.Enter), chromedp.WaitVisible(`[data-testid=composer]`))
	b.tabTo(`#composer-text`)
	b.run("send a message", chromedp.KeyEvent("typed, not clicked"+kb.Enter),
		chromedp.WaitVisible(`//li[@data-testid="msg-text"][contains(., "typed, not clicked")]`))
	b.tabTo(`[data-testid=currency-button]`)
	b.run("open the split form", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`[data-testid=split-form]`))
	b.tabTo(`#f-title`)
	b.run("title", chromedp.KeyEvent("Snacks"))
	b.tabTo(`#f-total`)
	b.run("total and Enter", chromedp.KeyEvent("12,00"+kb.Enter), chromedp.WaitVisible(`[data-testid=split-card]`))
	b.shot("keyboard")
}

// tabTo presses Tab until sel has the focus (at most 60 times).
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for i := 0; i < 60; i++ {
		var ok bool
		b.run("check focus", chromedp.Evaluate(`document.activeElement && document.activeElement.matches(`+jsString(sel)+`)`, &ok))
		if ok {
			return
		}
		b.run("Tab", chromedp.KeyEvent(kb.Tab))
	}
	b.t.Fatalf("[%s] %s cannot be reached with Tab", b.screen, sel)
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// setUp takes a person from the setup form to the PIN form.
func (p *person) setUp(t *testing.T, dbURL, card, pin string) {
	t.Helper()
	p.run(p.name+" fills payment setup",
		chromedp.WaitVisible(`[data-testid=setup-form]`),
		chromedp.SendKeys(`#f-legal_name`, p.name+" Martin"),
		chromedp.SendKeys(`#f-contact`, "x"+strings.ToLower(strings.ReplaceAll(p.name, "é", "e"))+"@example.com"),
		chromedp.SendKeys(`#f-card_number`, card),
		chromedp.SendKeys(`#f-exp_month`, "12"),
		chromedp.SendKeys(`#f-exp_year`, "35"),
		chromedp.SendKeys(`#f-cvc`, "123"),
		chromedp.SendKeys(`#f-pin`, pin),
		chromedp.SendKeys(`#f-pin_confirm`, pin),
		chromedp.Click(`[data-testid=setup-submit]`),
		chromedp.WaitVisible(`[data-testid=activate-form]`))
	code := lastCode(t, dbURL)
	p.run(p.name+" activates", chromedp.SendKeys(`#f-code`, code), chromedp.Click(`[data-testid=activate-submit]`),
		chromedp.WaitVisible(`[data-testid=pay-form]`))
}

func (s seeded) get(t *testing.T, base, path string) string {
	res, err := s.org.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func (s seeded) post(t *testing.T, base, path string, f url.Values) {
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err := s.org.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
}

// submitPIN types a PIN, submits, and waits for the new page (not the
// previous answer, which may look the same) to show want.
func (p *person) submitPIN(what, pin, want string) {
	var ok bool
	p.run(what, chromedp.Evaluate(`window.divvyOldPage = true`, &ok), chromedp.SendKeys(`#f-pin`, pin), chromedp.Click(`[data-testid=pay-submit]`))
	p.waitNewPage(what)
	p.run(what, chromedp.WaitVisible(want))
}

// waitNewPage waits until the page that set window.divvyOldPage is gone
// and its successor has loaded. Evaluating during the navigation fails, so
// it retries.
func (b *browser) waitNewPage(what string) {
	b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		var fresh bool
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		err := chromedp.Run(ctx, chromedp.Evaluate(`!window.divvyOldPage && document.readyState === "complete"`, &fresh))
		cancel()
		if err == nil && fresh {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.t.Fatalf("[%s] %s: the next page did not load", b.screen, what)
}
