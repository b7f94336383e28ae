package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// setUpPayments takes p through payment setup and activation on their own
// (from the Money page's way in), back to next.
func (p *person) setUpPayments(t *testing.T, base, dbURL, next, card, pin string) {
	p.run(p.name+" opens payment setup", chromedp.Navigate(base+"/payments/setup?next="+next))
	p.fillSetup(t, dbURL, card, pin)
}

// fillSetup fills the payment setup form on screen and the activation code.
func (p *person) fillSetup(t *testing.T, dbURL, card, pin string) {
	p.run(p.name+" sets up payments",
		chromedp.WaitVisible(`[data-testid=setup-form]`),
		chromedp.SendKeys(`#f-legal_name`, p.name+" Martin"),
		chromedp.SetValue(`#f-contact`, p.name+"@example.com"),
		chromedp.SendKeys(`#f-card_number`, card),
		chromedp.SendKeys(`#f-exp_month`, "12"),
		chromedp.SendKeys(`#f-exp_year`, "35"),
		chromedp.SendKeys(`#f-cvc`, "123"),
		chromedp.SendKeys(`#f-pin`, pin),
		chromedp.SendKeys(`#f-pin_confirm`, pin),
		chromedp.Click(`[data-testid=setup-submit]`),
		chromedp.WaitVisible(`[data-testid=activate-form]`))
	p.run(p.name+" activates",
		chromedp.SendKeys(`#f-code`, lastCode(t, dbURL)),
		chromedp.Click(`[data-testid=activate-submit]`))
}

// TestBrowserMessageAndSend: in a group thread Sam taps "Message" next to
// Léa, which opens their two-person thread; Léa keeps it open; Sam taps the
// currency button, then Send, sets up payments, and sends €20 for a taxi
// with his PIN. Léa's page shows the payment card live, without a reload.
func TestBrowserMessageAndSend(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			olivia := &person{newBrowser(t, s.name, s.width, s.height), "Olivia"}
			olivia.signUp(base, "olivia-"+s.name+"@example.com")
			olivia.run("create the thread",
				chromedp.Click(`[data-testid=new-thread]`),
				chromedp.SendKeys(`#f-name`, "Weekend"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			var invite string
			olivia.run("copy the invite link", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
				chromedp.Value(`[data-testid=invite-url]`, &invite))
			sam := &person{newBrowser(t, s.name, s.width, s.height), "Sam"}
			lea := &person{newBrowser(t, s.name, s.width, s.height), "Léa"}
			sam.joinAsGuest(invite)
			lea.joinAsGuest(invite)
			sam.run("Sam in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
			lea.run("Léa in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
			group := lea.url()
			lea.setUpPayments(t, base, dbURL, "/", "4242 4242 4242 4242", "314159")
			lea.run("Léa is set up", chromedp.WaitVisible(`[data-testid=new-thread]`))

			sam.run("Message Léa",
				chromedp.Navigate(group),
				chromedp.Click(`[data-testid=members-count]`),
				chromedp.WaitVisible(`//li[@data-testid="member"][contains(., "Léa")]//button[@data-testid="message-member"]`),
				chromedp.Click(`//li[@data-testid="member"][contains(., "Léa")]//button[@data-testid="message-member"]`),
				chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Léa"]`))
			direct := sam.url()
			sam.shot("direct-thread")

			var before string
			lea.run("Léa opens the conversation", chromedp.Navigate(direct),
				chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Sam"]`),
				chromedp.Evaluate(`window.divvyMarker = "no reload"`, &before))

			sam.run("Sam taps the currency button, then Send",
				chromedp.Click(`[data-testid=currency-button]`),
				chromedp.WaitVisible(`[data-testid=money-tabs]`),
				chromedp.Click(`[data-testid=tab-send]`))
			sam.fillSetup(t, dbURL, "4242 4242 4242 4242", "271828")
			sam.run("Sam fills the send form",
				chromedp.WaitVisible(`[data-testid=send-form]`),
				chromedp.WaitVisible(`//p[@data-testid="send-to"][contains(., "Léa")]`),
				chromedp.SendKeys(`#f-amount`, "20"),
				chromedp.SendKeys(`#f-note`, "Taxi"),
				chromedp.SendKeys(`#f-pin`, "271828"))
			sam.shot("send-form")
			sam.run("Sam sends", chromedp.Click(`[data-testid=send-submit]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-send"][contains(., "Sam sent €20.00 to Léa · Taxi")]`))
			sent := time.Now()
			var marker string
			lea.runWithin("Léa sees it live", 3*time.Second,
				chromedp.WaitVisible(`//li[@data-testid="msg-send"][contains(., "Sam sent €20.00 to Léa · Taxi")]`),
				chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
			t.Logf("[%s] the send showed on Léa's page %v after Sam's page came back", s.name, time.Since(sent))
			if marker != "no reload" {
				t.Errorf("Léa's page reloaded")
			}
			lea.shot("received")
		})
	}
	auditClean(t, dbURL)
}

// TestBrowserRequestByCommand: in their two-person thread Sam types
// "/request 12 € @Léa pizza", which opens the prefilled Request form, and
// confirms; Léa sees the request card live, pays it with her PIN (setting
// up payments the first time); Sam's card turns paid live, and both money
// histories show it.
func TestBrowserRequestByCommand(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			olivia := &person{newBrowser(t, s.name, s.width, s.height), "Olivia"}
			olivia.signUp(base, "olivia-r-"+s.name+"@example.com")
			olivia.run("create the thread",
				chromedp.Click(`[data-testid=new-thread]`),
				chromedp.SendKeys(`#f-name`, "Trip"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			var invite string
			olivia.run("copy the invite link", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
				chromedp.Value(`[data-testid=invite-url]`, &invite))
			sam := &person{newBrowser(t, s.name, s.width, s.height), "Sam"}
			lea := &person{newBrowser(t, s.name, s.width, s.height), "Léa"}
			sam.joinAsGuest(invite)
			lea.joinAsGuest(invite)
			sam.run("Sam in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
			lea.run("Léa in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
			sam.run("Message Léa",
				chromedp.Click(`[data-testid=members-count]`),
				chromedp.WaitVisible(`//li[@data-testid="member"][contains(., "Léa")]//button[@data-testid="message-member"]`),
				chromedp.Click(`//li[@data-testid="member"][contains(., "Léa")]//button[@data-testid="message-member"]`),
				chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Léa"]`))
			direct := sam.url()
			lea.run("Léa opens the conversation", chromedp.Navigate(direct),
				chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Sam"]`))

			sam.run("Sam types the command",
				chromedp.SendKeys(`#composer-text`, "/request 12 € @Léa pizza"),
				chromedp.Click(`[data-testid=send]`),
				chromedp.WaitVisible(`[data-testid=request-form]`))
			var amount, note string
			sam.run("the form is prefilled", chromedp.Value(`#f-amount`, &amount), chromedp.Value(`#f-note`, &note))
			if amount != "12.00" || note != "pizza" {
				t.Errorf("request form prefilled with %q and %q, want 12.00 and pizza", amount, note)
			}
			sam.shot("request-form")
			sam.run("Sam confirms", chromedp.Click(`[data-testid=request-submit]`),
				chromedp.WaitVisible(`[data-testid=request-card] [data-testid=cancel-request]`))
			lea.runWithin("Léa sees the request live", 3*time.Second,
				chromedp.WaitVisible(`[data-testid=request-card] [data-testid=pay]`))
			lea.shot("request-received")
			lea.run("Léa taps Pay", stillClick(`[data-testid=request-card] [data-testid=pay]`))
			lea.fillSetup(t, dbURL, "4242 4242 4242 4242", "314159")
			lea.run("Léa pays with her PIN",
				chromedp.WaitVisible(`[data-testid=pay-form]`),
				chromedp.SendKeys(`#f-pin`, "314159"),
				chromedp.Click(`[data-testid=pay-submit]`),
				chromedp.WaitVisible(`[data-testid=request-card] [data-testid=request-paid]`))
			paid := time.Now()
			sam.runWithin("Sam sees it paid, live", 3*time.Second,
				chromedp.WaitVisible(`[data-testid=request-card] [data-testid=request-paid]`))
			t.Logf("[%s] the payment showed on Sam's page %v after Léa's page came back", s.name, time.Since(paid))
			sam.shot("request-paid")
			for _, p := range []*person{sam, lea} {
				p.run(p.name+"'s history", chromedp.Navigate(base+"/money"),
					chromedp.WaitVisible(`//li[@data-testid="history-item"][contains(., "12.00")]`))
			}
		})
	}
	auditClean(t, dbURL)
}
