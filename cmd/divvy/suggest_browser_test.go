package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// twoPersonThread makes a group thread with Sam and Léa in it and opens
// their two-person thread in both browsers; it returns its address.
func twoPersonThread(t *testing.T, base, screen string, width, height int64) (sam, lea *person, direct string) {
	olivia := &person{newBrowser(t, screen, width, height), "Olivia"}
	olivia.signUp(base, "olivia-suggest-"+screen+"@example.com")
	olivia.run("create the thread",
		chromedp.Click(`[data-testid=new-thread]`),
		chromedp.SendKeys(`#f-name`, "Flatmates"),
		chromedp.Click(`[data-testid=newthread-submit]`),
		chromedp.WaitVisible(`[data-testid=composer]`))
	var invite string
	olivia.run("copy the invite link", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
		chromedp.Value(`[data-testid=invite-url]`, &invite))
	sam = &person{newBrowser(t, screen, width, height), "Sam"}
	lea = &person{newBrowser(t, screen, width, height), "Léa"}
	sam.joinAsGuest(invite)
	lea.joinAsGuest(invite)
	sam.run("Sam in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
	lea.run("Léa in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
	sam.run("Message Léa",
		// Léa's arrival redraws Sam's members list live (closed, with new
		// buttons): open it once she is in it.
		chromedp.WaitReady(`//li[@data-testid="member"][@data-name="Léa"]`),
		chromedp.Click(`[data-testid=members-count]`),
		chromedp.WaitVisible(`//li[@data-testid="member"][contains(., "Léa")]//button[@data-testid="message-member"]`),
		chromedp.Click(`//li[@data-testid="member"][contains(., "Léa")]//button[@data-testid="message-member"]`),
		chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Léa"]`))
	direct = sam.url()
	lea.run("Léa opens the conversation", chromedp.Navigate(direct),
		chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Sam"]`))
	return sam, lea, direct
}

// TestBrowserMoneyTalkSuggestion: Léa writes "I owe you 15 € for the
// pizza" in her two-person thread with Sam. She sees "Send €15.00 to
// Sam?" under it, Sam sees "Request €15.00 from Léa?" live, without a
// reload. Sam taps "Not now" and it stays gone after a reload; Léa taps
// hers, which opens the Send form with the amount filled in (after payment
// setup), and sends with her PIN.
func TestBrowserMoneyTalkSuggestion(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			sam, lea, direct := twoPersonThread(t, base, s.name, s.width, s.height)
			var before string
			sam.run("Sam's page is open", chromedp.Evaluate(`window.divvyMarker = "no reload"`, &before))
			lea.run("Léa writes about money",
				chromedp.SendKeys(`#composer-text`, "I owe you 15 € for the pizza"),
				chromedp.Click(`[data-testid=send]`),
				chromedp.WaitVisible(`//li[@data-testid="suggestion"]//a[contains(., "Send €15.00 to Sam?")]`))
			lea.shot("suggestion-debtor")
			var marker string
			sam.run("Sam sees his suggestion live",
				chromedp.WaitVisible(`//li[@data-testid="suggestion"]//a[contains(., "Request €15.00 from Léa?")]`),
				chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
			if marker != "no reload" {
				t.Errorf("Sam's page reloaded")
			}
			sam.shot("suggestion-creditor")
			sam.run("Sam dismisses it",
				stillClick(`[data-testid=suggestion-dismiss]`),
				chromedp.WaitNotPresent(`[data-testid=suggestion]`),
				chromedp.Reload(),
				chromedp.WaitVisible(`//li[@data-testid="msg-text"][contains(., "I owe you 15 €")]`),
				chromedp.WaitNotPresent(`[data-testid=suggestion]`))

			lea.run("Léa taps hers", stillClick(`[data-testid=suggestion-open]`))
			lea.fillSetup(t, dbURL, "4242 4242 4242 4242", "314159")
			var amount string
			lea.run("the Send form is filled in",
				chromedp.WaitVisible(`[data-testid=send-form]`),
				chromedp.WaitVisible(`//p[@data-testid="send-to"][contains(., "Sam")]`),
				chromedp.Value(`#f-amount`, &amount))
			if amount != "15.00" {
				t.Errorf("the suggested Send form's amount is %q, want 15.00", amount)
			}
			lea.run("Léa sends with her PIN",
				chromedp.SendKeys(`#f-pin`, "314159"),
				chromedp.Click(`[data-testid=send-submit]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-send"][contains(., "Léa sent €15.00 to Sam")]`))
			sam.run("Sam sees the money live", chromedp.WaitVisible(`//li[@data-testid="msg-send"][contains(., "Léa sent €15.00 to Sam")]`))
			_ = direct
		})
	}
	auditClean(t, dbURL)
}
