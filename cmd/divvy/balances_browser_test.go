package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Three friends, two splits collected by different people: the balances
// say who owes whom; Léa settles everything she owes in one tap with her
// PIN; Olivia's thread page and Sam's Balances page, open all along, follow
// without a reload.
func TestBrowserSettleUp(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	s := screens[0]
	olivia := &person{newBrowser(t, s.name, s.width, s.height), "Olivia"}
	olivia.signUp(base, "olivia@example.com")
	olivia.run("create the thread",
		chromedp.Click(`[data-testid=new-thread]`),
		chromedp.SendKeys(`#f-name`, "Weekend"),
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
	lea.run("Léa in the thread", chromedp.WaitVisible(`[data-testid=composer]`))

	post := func(p *person, title, total, each string) {
		p.run(p.name+" posts "+title,
			chromedp.Navigate(thread),
			chromedp.Click(`[data-testid=currency-button]`),
			chromedp.WaitVisible(`[data-testid=split-form]`),
			chromedp.SendKeys(`#f-title`, title),
			chromedp.SendKeys(`#f-total`, total+kb.Tab),
			chromedp.WaitVisible(`//li[@data-testid="preview-line"][contains(., "`+each+`")]`),
			chromedp.Click(`[data-testid=split-submit]`),
			chromedp.WaitVisible(`[data-testid=split-card]`))
	}
	// Olivia fronts 30 € for the three (+20, Sam -10, Léa -10); Sam 12 €
	// (+8, Olivia -4, Léa -4): Olivia +16, Sam -2, Léa -14.
	post(olivia, "Pizza", "30", "€10.00")
	post(sam, "Drinks", "12", "€4.00")

	olivia.run("Olivia's summary",
		chromedp.Navigate(thread),
		chromedp.WaitVisible(`//section[@id="balances"][contains(., "Léa owes you €14.00")][contains(., "Sam owes you €2.00")]`),
		chromedp.Evaluate(`window.divvyMarker = "no reload"`, nil))
	sam.run("Sam's Balances page",
		chromedp.Navigate(thread+"/balances"),
		chromedp.WaitVisible(`//li[@data-testid="plan-line-mine"][contains(., "You owe Olivia €2.00")]`),
		chromedp.WaitVisible(`//li[@data-testid="plan-line"][contains(., "Léa owes Olivia €14.00")]`),
		chromedp.Evaluate(`window.divvyMarker = "no reload"`, nil))
	sam.shot("balances")

	lea.run("Léa sees what she owes",
		chromedp.Navigate(thread),
		chromedp.WaitVisible(`//section[@id="balances"][contains(., "You owe Olivia €14.00")]`),
		stillClick(`[data-testid=balances-link]`),
		chromedp.WaitVisible(`//li[@data-testid="plan-line-mine"][contains(., "You owe Olivia €14.00")]`))
	lea.shot("balances-mine")
	lea.run("Léa taps Pay €14.00", stillClick(`[data-testid=settle-pay]`))
	lea.run(lea.name+" fills payment setup",
		chromedp.WaitVisible(`[data-testid=setup-form]`),
		chromedp.SendKeys(`#f-legal_name`, "Léa Martin"),
		chromedp.SendKeys(`#f-contact`, "lea@example.com"),
		chromedp.SendKeys(`#f-card_number`, "4242 4242 4242 4242"),
		chromedp.SendKeys(`#f-exp_month`, "12"),
		chromedp.SendKeys(`#f-exp_year`, "35"),
		chromedp.SendKeys(`#f-cvc`, "123"),
		chromedp.SendKeys(`#f-pin`, "161803"),
		chromedp.SendKeys(`#f-pin_confirm`, "161803"),
		chromedp.Click(`[data-testid=setup-submit]`),
		chromedp.WaitVisible(`[data-testid=activate-form]`))
	lea.run("Léa activates and confirms with her PIN",
		chromedp.SendKeys(`#f-code`, lastCode(t, dbURL)),
		chromedp.Click(`[data-testid=activate-submit]`),
		chromedp.WaitVisible(`//form[@data-testid="pay-form"]`),
		chromedp.WaitVisible(`//h1[contains(., "€14.00")]`),
		chromedp.SendKeys(`#f-pin`, "161803"))
	lea.shot("settle-pin")
	paidAt := time.Now()
	lea.run("Léa pays", chromedp.Click(`[data-testid=pay-submit]`),
		chromedp.WaitVisible(`[data-testid=balances-body]`),
		chromedp.WaitNotPresent(`[data-testid=plan-line-mine]`))

	var marker string
	olivia.runWithin("Olivia's page follows, live", 5*time.Second,
		chromedp.WaitVisible(`//section[@id="balances"][contains(., "Sam owes you €2.00")][not(contains(., "Léa"))]`),
		chromedp.WaitVisible(`//li[starts-with(@data-testid, "msg-")][contains(., "Léa paid Olivia €14.00 to settle up")]`),
		// Léa's lines on both cards, redrawn from the settlement's one
		// splits event.
		chromedp.WaitVisible(`(//li[@data-name="Léa"][contains(., "settled up")])[2]`),
		chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
	t.Logf("Léa's settlement showed on Olivia's page %v after her page came back", time.Since(paidAt))
	if marker != "no reload" {
		t.Errorf("Olivia's page reloaded")
	}
	olivia.shot("settled-live")
	sam.runWithin("Sam's Balances page follows, live", 5*time.Second,
		chromedp.WaitNotPresent(`//li[@data-testid="plan-line"][contains(., "Léa")]`),
		chromedp.WaitVisible(`//li[@data-testid="plan-line-mine"][contains(., "You owe Olivia €2.00")]`),
		chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
	if marker != "no reload" {
		t.Errorf("Sam's page reloaded")
	}
	// Léa's shares in both splits are settled up: Sam's Drinks count her.
	sam.run("Léa's shares settled up", chromedp.Navigate(thread),
		chromedp.WaitVisible(`//li[@data-name="Léa"][contains(., "settled up")]`))
	auditClean(t, dbURL)
}

// A bill paid by two people: the split form's "Paid by several people",
// then the card says who paid what, in each reader's words, and the
// balances follow; at phone and desktop width.
func TestBrowserSeveralPayers(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	for i, s := range screens {
		olivia := &person{newBrowser(t, s.name, s.width, s.height), "Olivia"}
		olivia.signUp(base, fmt.Sprintf("olivia%d@example.com", i))
		olivia.run("create the thread",
			chromedp.Click(`[data-testid=new-thread]`),
			chromedp.SendKeys(`#f-name`, "Dinner club"),
			chromedp.Click(`[data-testid=newthread-submit]`),
			chromedp.WaitVisible(`[data-testid=composer]`))
		thread := olivia.url()
		var invite string
		olivia.run("copy the invite link", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
			chromedp.Value(`[data-testid=invite-url]`, &invite))
		sam := &person{newBrowser(t, s.name, s.width, s.height), "Sam"}
		sam.joinAsGuest(invite)
		sam.run("Sam in the thread", chromedp.WaitVisible(`[data-testid=composer]`))

		olivia.run("Olivia posts a bill she and Sam paid",
			chromedp.Navigate(thread),
			chromedp.Click(`[data-testid=currency-button]`),
			chromedp.WaitVisible(`[data-testid=split-form]`),
			chromedp.SendKeys(`#f-title`, "Dinner"),
			chromedp.SendKeys(`#f-total`, "47,50"+kb.Tab),
			chromedp.Click(`//details[@data-testid="payers"]/summary`),
			chromedp.SendKeys(`//details[@data-testid="payers"]//div[label[.="Olivia"]]/input`, "30"),
			chromedp.SendKeys(`//details[@data-testid="payers"]//div[label[.="Sam"]]/input`, "17,50"),
			chromedp.Click(`[data-testid=split-submit]`),
			chromedp.WaitVisible(`//p[@data-testid="split-payers"][.="Paid by you €30.00 and Sam €17.50"]`))
		olivia.shot("several-payers-" + s.name)
		// Each owes 23,75: Olivia +6,25, Sam -6,25.
		sam.run("Sam sees who paid and what he owes",
			chromedp.Navigate(thread),
			chromedp.WaitVisible(`//p[@data-testid="split-payers"][.="Paid by Olivia €30.00 and you €17.50"]`),
			chromedp.WaitVisible(`//section[@id="balances"][contains(., "You owe Olivia €6.25")]`))
		sam.shot("several-payers-sam-" + s.name)
	}
}
