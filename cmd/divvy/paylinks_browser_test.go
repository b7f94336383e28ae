package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// fillSetup fills the payment setup form and saves it, then activates with
// the code from the outbox; the browser lands where setup was asked from.
func (p *person) fillSetupAndActivate(t *testing.T, dbURL, pin string) {
	p.run(p.name+" fills payment setup",
		chromedp.WaitVisible(`[data-testid=setup-form]`),
		chromedp.SendKeys(`#f-legal_name`, p.name+" Martin"),
		chromedp.SetValue(`#f-contact`, strings.ToLower(p.name)+"@example.com"),
		chromedp.SendKeys(`#f-card_number`, "4242 4242 4242 4242"),
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

// TestBrowserPersonalLink: Sam (desktop) sets up payments, chooses a handle
// and a request link on the Money page; a signed-out friend on a phone
// opens Sam's link with an amount and note, types a name, sets up payments
// and pays with the PIN. Every page is looked at (and shot) at both sizes.
func TestBrowserPersonalLink(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	sam := &person{newBrowser(t, "desktop", 1280, 800), "Sam"}
	sam.signUp(base, "sam@example.com")
	sam.run("Sam opens payment setup", chromedp.Navigate(base+"/payments/setup?next=/money"))
	sam.fillSetupAndActivate(t, dbURL, "482913")
	sam.run("Sam chooses a handle",
		chromedp.WaitVisible(`[data-testid=handle-form]`),
		chromedp.SendKeys(`#f-handle`, "sam.martin"),
		chromedp.Click(`[data-testid=handle-submit]`),
		chromedp.WaitVisible(`[data-testid=handle-qr]`))
	sam.run("Sam makes a request link",
		chromedp.SendKeys(`[data-testid=request-form] #f-amount`, "8,40"),
		chromedp.SendKeys(`[data-testid=request-form] #f-note`, "Cinema"),
		chromedp.Click(`[data-testid=request-submit]`),
		chromedp.WaitVisible(`[data-testid=request-link]`),
		chromedp.ScrollIntoView(`[data-testid=money-links]`))
	sam.shot("money-links")
	sam.run("the Money page on a phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(`[data-testid=request-link]`))
	sam.shot("money-links-phone")
	sam.run("back to desktop", chromedp.EmulateViewport(1280, 800))
	sam.run("the printable card", chromedp.Navigate(base+"/money/link/card"), chromedp.WaitVisible(`[data-testid=print-card]`))
	sam.shot("print-card")

	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			nina := &person{newBrowser(t, s.name, s.width, s.height), "Nina"}
			nina.run("open Sam's link",
				chromedp.Navigate(base+"/to/sam.martin?amount=12,50&note=pizza"),
				chromedp.WaitVisible(`[data-testid=paylink-form]`))
			nina.shot("paylink")
			var title, amount string
			nina.run("read the page", chromedp.Text(`[data-testid=paylink-title]`, &title), chromedp.Text(`[data-testid=paylink-amount]`, &amount))
			if title != "Pay Sam" || amount != "€12.50" {
				t.Fatalf("page says %q, %q", title, amount)
			}
			nina.run("Nina types her name",
				chromedp.SendKeys(`#f-name`, "Nina "+s.name),
				chromedp.Click(`[data-testid=paylink-continue]`))
			nina.fillSetupAndActivate(t, dbURL, "271828")
			nina.run("the PIN step", chromedp.WaitVisible(`[data-testid=paylink-pay]`), chromedp.SendKeys(`#f-pin`, "271828"))
			nina.shot("pin")
			nina.run("Nina pays", chromedp.Click(`[data-testid=paylink-pay]`), chromedp.WaitVisible(`[data-testid=paylink-done]`))
			nina.shot("paid")
			var done string
			nina.run("read", chromedp.Text(`[data-testid=paylink-done] h1`, &done))
			if done != "You paid €12.50 to Sam" {
				t.Fatalf("done page says %q", done)
			}
			var card string
			nina.run("open the conversation with Sam", chromedp.Click(`[data-testid=paylink-thread]`),
				chromedp.WaitVisible(`[data-testid=msg-send]`), chromedp.Text(`[data-testid=msg-send]`, &card))
			if !strings.Contains(card, "sent €12.50 to Sam · pizza") {
				t.Errorf("the conversation's payment card says %q", card)
			}
			nina.shot("conversation")
		})
	}
	var n int
	queryRow(t, dbURL, `SELECT count(*) FROM link_payments WHERE note = 'pizza'`, &n)
	if n != 2 {
		t.Fatalf("%d link payments, want 2", n)
	}
	sam.run("Sam's Money page", chromedp.Navigate(base+"/money"), chromedp.WaitVisible(`[data-testid=history]`))
	var history string
	sam.run("read history", chromedp.Text(`[data-testid=history]`, &history))
	if !strings.Contains(history, "from Nina phone · pizza") || !strings.Contains(history, "from Nina desktop · pizza") {
		t.Errorf("Sam's history: %q", history)
	}
}
