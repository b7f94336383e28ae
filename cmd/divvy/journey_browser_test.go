package main

import (
	"context"
	"database/sql"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"divvy/db"
	"divvy/db/dbtest"
)

// person is one browser in a journey.
type person struct {
	*browser
	name string
}

func (p *person) signUp(base, email string) {
	p.run(p.name+" signs up",
		chromedp.Navigate(base+"/signup"),
		chromedp.SendKeys(`#f-name`, p.name),
		chromedp.SendKeys(`#f-email`, email),
		chromedp.SendKeys(`#f-password`, "correct horse"),
		chromedp.Click(`[data-testid=signup-submit]`))
	p.finishSignup(base, email)
}

func (p *person) joinAsGuest(link string) {
	p.run(p.name+" joins",
		chromedp.Navigate(link),
		chromedp.WaitVisible(`[data-testid=join-form]`),
		chromedp.SendKeys(`#f-name`, p.name),
		chromedp.Click(`[data-testid=join-submit]`))
}

// setUpAndPay goes from the pay button to a paid share: setup, activation
// code (read from the outbox a real deployment would mail), PIN.
func (p *person) setUpAndPay(t *testing.T, dbURL, card, pin string, shoot bool) {
	p.run(p.name+" fills payment setup",
		chromedp.WaitVisible(`[data-testid=setup-form]`),
		chromedp.SendKeys(`#f-legal_name`, p.name+" Martin"),
		chromedp.SendKeys(`#f-contact`, strings.ToLower(p.name)+"@example.com"),
		chromedp.SendKeys(`#f-card_number`, card),
		chromedp.SendKeys(`#f-exp_month`, "12"),
		chromedp.SendKeys(`#f-exp_year`, "35"),
		chromedp.SendKeys(`#f-cvc`, "123"),
		chromedp.SendKeys(`#f-pin`, pin),
		chromedp.SendKeys(`#f-pin_confirm`, pin))
	if shoot {
		p.shot("setup")
	}
	p.run(p.name+" saves setup", chromedp.Click(`[data-testid=setup-submit]`), chromedp.WaitVisible(`[data-testid=activate-form]`))
	code := lastCode(t, dbURL)
	p.run(p.name+" activates",
		chromedp.SendKeys(`#f-code`, code),
		chromedp.Click(`[data-testid=activate-submit]`),
		chromedp.WaitVisible(`[data-testid=pay-form]`),
		chromedp.SendKeys(`#f-pin`, pin))
	if shoot {
		p.shot("pay")
	}
	p.run(p.name+" pays", chromedp.Click(`[data-testid=pay-submit]`), chromedp.WaitVisible(`[data-testid=composer]`))
}

func queryRow(t *testing.T, dbURL, query string, dest ...any) {
	t.Helper()
	d, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.QueryRow(query).Scan(dest...); err != nil {
		t.Fatal(err)
	}
}

func lastCode(t *testing.T, dbURL string) string {
	t.Helper()
	d, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var body string
	if err := d.QueryRow(`SELECT body FROM outbox WHERE kind = 'activation_code' ORDER BY id DESC LIMIT 1`).Scan(&body); err != nil {
		t.Fatalf("read the activation code: %v", err)
	}
	return regexp.MustCompile(`\b\d{6}\b`).FindString(body)
}

// shareRow selects the row of a person in the split card.
func shareRow(name string) string {
	return `//li[@data-testid="share"][@data-name="` + name + `"]`
}

// TestBrowserPizzaNight is the core journey in real Chromium, at phone and
// desktop sizes, with separate browsers (cookies) per person.
func TestBrowserPizzaNight(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	browserPizzaNight(t, base, dbURL, len(screens))
}

// The same journey once (on a phone) with the app on a Citus cluster, which
// it migrates as it starts (skipped without a cluster, except in CI).
func TestBrowserPizzaNightOnCitus(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppOnDB(t, "127.0.0.1", dbtest.CitusEmptyURL(t))
	browserPizzaNight(t, base, dbURL, 1)
}

// browserPizzaNight runs the journey at the first n screen sizes.
func browserPizzaNight(t *testing.T, base, dbURL string, n int) {
	for _, s := range screens[:n] {
		t.Run(s.name, func(t *testing.T) {
			olivia := &person{newBrowser(t, s.name, s.width, s.height), "Olivia"}
			olivia.signUp(base, "olivia-"+s.name+"@example.com")
			olivia.run("create the thread",
				chromedp.Click(`[data-testid=new-thread]`),
				chromedp.SendKeys(`#f-name`, "Pizza Friday"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			thread := olivia.url()
			var invite string
			olivia.run("copy the invite link", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
				chromedp.Value(`[data-testid=invite-url]`, &invite))

			sam := &person{newBrowser(t, s.name, s.width, s.height), "Sam"}
			lea := &person{newBrowser(t, s.name, s.width, s.height), "Léa"}
			sam.joinAsGuest(invite)
			lea.joinAsGuest(invite)
			sam.run("Sam in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
			// Léa's join must be done before the split form lists who takes part.
			lea.run("Léa in the thread", chromedp.WaitVisible(`[data-testid=composer]`))

			olivia.run("open the split form",
				chromedp.Navigate(thread),
				chromedp.Click(`[data-testid=currency-button]`),
				chromedp.WaitVisible(`[data-testid=split-form]`),
				chromedp.SendKeys(`#f-title`, "Pizza night"),
				chromedp.SendKeys(`#f-total`, "47,50"+kb.Tab),
				chromedp.WaitVisible(`//li[@data-testid="preview-line"][contains(., "€15.84")]`))
			olivia.shot("split-form")
			olivia.run("post the split", chromedp.Click(`[data-testid=split-submit]`), chromedp.WaitVisible(`[data-testid=split-card]`))
			olivia.shot("split-posted")

			// Nina arrives later, from the same invite link, and Olivia, who
			// collects, adds her to the split: 47,50 among four.
			nina := &person{newBrowser(t, s.name, s.width, s.height), "Nina"}
			nina.joinAsGuest(invite)
			nina.run("Nina in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
			// Nina's arrival reaches Olivia's page live and scrolls it: tap
			// the split's title once it has, and the page stands still.
			olivia.run("add Nina to the split", chromedp.WaitVisible(`//li[@data-testid="msg-system"][contains(., "Nina joined")]`),
				stillClick(`[data-testid=split-card] h2 a`), chromedp.WaitVisible(`[data-testid=pay-url]`),
				chromedp.Click(`[data-testid=add-person]`), chromedp.WaitVisible(`//li[contains(., "Nina")]`))
			nina.run("Nina taps pay", chromedp.Navigate(thread), chromedp.WaitVisible(`[data-testid=pay]`), chromedp.Click(`[data-testid=pay]`),
				chromedp.WaitVisible(`[data-testid=setup-form]`))

			var payText string
			sam.run("Sam sees his share", chromedp.Navigate(thread), chromedp.WaitVisible(`[data-testid=pay]`), chromedp.Text(`[data-testid=pay]`, &payText))
			if payText != "Pay €11.88" {
				t.Errorf("Sam's pay button says %q, want Pay €11.88", payText)
			}
			sam.shot("thread-friend")
			// Olivia keeps the thread open from here on: what follows reaches
			// her page live, without a reload.
			var before string
			olivia.run("Olivia watches the thread", chromedp.Navigate(thread), chromedp.WaitVisible(`[data-testid=split-card]`),
				chromedp.Evaluate(`window.divvyMarker = "no reload"`, &before),
				chromedp.AttributeValue(`[data-testid=split-progress]`, "value", &before, nil))
			sam.run("Sam taps pay", chromedp.Click(`[data-testid=pay]`))
			sam.setUpAndPay(t, dbURL, "4242 4242 4242 4242", "271828", true)
			sam.shot("paid")
			paidAt := time.Now()
			var after, marker string
			olivia.runWithin("Olivia sees Sam paid, live", 2*time.Second,
				chromedp.WaitVisible(shareRow("Sam")+`[@data-status="paid"]`),
				chromedp.AttributeValue(`[data-testid=split-progress]`, "value", &after, nil),
				chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
			t.Logf("[%s] Sam's payment showed on Olivia's page %v after his page came back", s.name, time.Since(paidAt))
			if marker != "no reload" {
				t.Errorf("Olivia's page reloaded")
			}
			if after == before {
				t.Errorf("the progress bar did not move (value %s)", after)
			}
			olivia.shot("live-paid")

			lea.run("Léa paid cash", chromedp.Navigate(thread), chromedp.Click(`[data-testid=paid-other-way]`),
				chromedp.WaitVisible(`//p[contains(., "Waiting for Olivia to confirm")]`))
			olivia.run("Olivia confirms and reminds",
				chromedp.WaitVisible(shareRow("Léa")+`//button[@data-testid="confirm-cash"]`),
				stillClick(shareRow("Léa")+`//button[@data-testid="confirm-cash"]`),
				chromedp.WaitVisible(shareRow("Léa")+`[@data-status="paid"]`),
				// The confirmation's own message arrives live and scrolls
				// the thread: tap Remind once the page has stopped moving.
				chromedp.WaitVisible(`//li[starts-with(@data-testid, "msg-")][contains(., "Léa paid")]`),
				stillClick(shareRow("Nina")+`//button[@data-testid="remind"]`),
				chromedp.WaitVisible(shareRow("Nina")+`//span[contains(., "Reminded today")]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-reminder"]`))
			olivia.shot("reminded")

			nina.run("Nina goes to pay", chromedp.Navigate(thread), chromedp.Click(`[data-testid=pay]`))
			nina.setUpAndPay(t, dbURL, "5555 5555 5555 4444", "583920", false)

			var count string
			olivia.run("all paid, live", chromedp.WaitVisible(`[data-testid=split-all-paid]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-payment"][contains(., "Nina paid")]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-system"][contains(., "all paid")]`),
				chromedp.Text(`[data-testid=split-count]`, &count))
			if count != "3 of 3 paid" {
				t.Errorf("count %q, want 3 of 3 paid", count)
			}
			olivia.shot("all-paid")
			olivia.run("money page", chromedp.Click(`[data-testid=nav-money]`), chromedp.WaitVisible(`[data-testid=balance]`))
			olivia.shot("money")
		})
	}
	auditClean(t, dbURL)
}

func (b *browser) url() string {
	var u string
	b.run("read the url", chromedp.Location(&u))
	return u
}

// auditClean runs the ledger audit on the app's database.
func auditClean(t *testing.T, dbURL string) {
	t.Helper()
	d, err := db.Open(context.Background(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	checks, err := d.Audit(context.Background())
	if err != nil || len(checks) == 0 {
		t.Fatalf("audit: %v (%d checks)", err, len(checks))
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Errorf("audit %s: %d violations", c.Name, c.Violations)
		}
	}
}
