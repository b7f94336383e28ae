package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserTurnPaymentsOff: Sam sets up payments, then turns them off
// from the Money page with the PIN (the page looked at on a phone and on
// a desktop), and the Money page offers to set them up again.
func TestBrowserTurnPaymentsOff(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	sam := &person{newBrowser(t, "phone", 390, 844), "Sam"}
	sam.signUp(base, "sam@example.com")
	sam.run("Sam opens payment setup", chromedp.Navigate(base+"/payments/setup?next=/money"))
	sam.fillSetupAndActivate(t, dbURL, "482913")
	sam.run("Turn payments off", stillClick(`[data-testid=money-remove]`), chromedp.WaitVisible(`[data-testid=remove-form]`))
	sam.shot("remove-phone")
	sam.run("on a desktop", chromedp.EmulateViewport(1280, 800), chromedp.Reload(), chromedp.WaitVisible(`[data-testid=remove-form]`))
	sam.shot("remove-desktop")
	sam.run("a wrong PIN", chromedp.SendKeys(`#f-pin`, "000000"), chromedp.Click(`[data-testid=remove-submit]`),
		chromedp.WaitVisible(`[data-testid=problem-pin]`))
	sam.run("the PIN", chromedp.SendKeys(`#f-pin`, "482913"), chromedp.Click(`[data-testid=remove-submit]`),
		chromedp.WaitVisible(`[data-testid=payments-off]`))
	sam.shot("off-desktop")
	sam.run("on a phone", chromedp.EmulateViewport(390, 844), chromedp.Reload(), chromedp.WaitVisible(`[data-testid=payments-off]`))
	sam.shot("off-phone")
	var text string
	sam.run("read", chromedp.Text(`[data-testid=payments-off]`, &text))
	if !strings.Contains(text, "Payments are off") {
		t.Fatalf("the Money page says %q", text)
	}
	auditClean(t, dbURL)
}
