package main

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// withAuthenticator gives a browser a platform authenticator as a phone's
// fingerprint or face unlock is: DevTools' virtual authenticator (CTAP2,
// internal transport, resident keys, user verification that succeeds).
func (b *browser) withAuthenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	var id webauthn.AuthenticatorID
	b.run("add a virtual authenticator", webauthn.Enable().WithEnableUI(false), chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		id, err = webauthn.AddVirtualAuthenticator(&webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true, HasUserVerification: true,
			IsUserVerified: true, AutomaticPresenceSimulation: true,
		}).Do(ctx)
		return err
	}))
	return id
}

// TestBrowserPasskeyPay: Sam opens a split's pay link, sets up payments,
// adds a passkey in payment settings (PIN, then the device), and pays his
// share with "Confirm with fingerprint or face". The assertion his browser
// sent, replayed on his next payment, is refused; an authenticator whose
// answer says the user was not verified is refused; the passkey then pays;
// Sam removes it with his PIN.
func TestBrowserPasskeyPay(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppOn(t, "localhost")
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			s := seed(t, base, "olivia-passkey-"+sc.name+"@example.com", 1)
			sam := &person{newBrowser(t, sc.name, sc.width, sc.height), "Sam"}
			auth := sam.withAuthenticator()
			sam.run("open the pay link", chromedp.Navigate(s.payURL), chromedp.WaitVisible(`[data-testid=join-form]`),
				chromedp.SendKeys(`#f-name`, "Sam"), chromedp.Click(`[data-testid=join-submit]`))
			sam.setUp(t, dbURL, "4242 4242 4242 4242", "271828")
			payPage := sam.url()
			var before int
			queryRow(t, dbURL, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`, &before)
			var offered bool
			sam.run("no passkey offered yet", chromedp.Evaluate(`!!document.querySelector("[data-passkey-pay]")`, &offered))
			if offered {
				t.Fatal("the pay page offers a passkey before Sam has one")
			}

			sam.run("payment settings", chromedp.Navigate(base+"/money"), chromedp.Click(`[data-testid=money-passkeys]`),
				chromedp.WaitVisible(`[data-testid=passkeys-none]`))
			sam.shot("passkeys-empty")
			sam.run("add a passkey",
				chromedp.SendKeys(`#f-name`, "Sam’s phone"),
				chromedp.SendKeys(`#f-pin`, "271828"),
				chromedp.Click(`[data-testid=passkey-add]`),
				chromedp.WaitVisible(`//li[@data-testid="passkey"][contains(., "Sam’s phone")]`),
				chromedp.WaitVisible(`//*[contains(., "Passkey added")]`))
			sam.shot("passkeys")

			// Keep what the form sends, to replay it (DevTools' evaluation
			// is not bound by the page's CSP; the page's own code is).
			sam.run("open the pay page", chromedp.Navigate(payPage), chromedp.WaitVisible(`[data-testid=passkey-confirm]`))
			sam.shot("pay-passkey")
			var ok bool
			sam.run("Sam confirms with his fingerprint",
				chromedp.Evaluate(`(function () {
					var submit = HTMLFormElement.prototype.submit;
					HTMLFormElement.prototype.submit = function () {
						localStorage.setItem("divvyAssertion", this.elements.passkey.value);
						return submit.call(this);
					};
					return true;
				})()`, &ok),
				chromedp.Click(`[data-testid=passkey-confirm]`),
				chromedp.WaitVisible(shareRow("Sam")+`[@data-status="paid"]`))
			var assertion string
			sam.run("the assertion sent", chromedp.Evaluate(`localStorage.getItem("divvyAssertion") || ""`, &assertion))
			if !strings.Contains(assertion, `"signature"`) {
				t.Fatalf("no assertion captured: %q", assertion)
			}
			var n int
			queryRow(t, dbURL, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`, &n)
			if n != before+1 {
				t.Fatalf("%d card payments; want %d", n, before+1)
			}

			// Olivia posts another split with Sam in it.
			form := s.get(t, base, s.thread+"/splits/new")
			f := url.Values{"title": {"Cinema"}, "total": {"20"}, "currency": {"EUR"}, "mode": {"equal"}}
			f.Set("collector", regexp.MustCompile(`<option value="(\d+)" selected>`).FindStringSubmatch(form)[1])
			for _, m := range regexp.MustCompile(`name="people" value="(\d+)"`).FindAllStringSubmatch(form, -1) {
				f.Add("people", m[1])
			}
			s.post(t, base, s.thread+"/splits", f)
			var second string
			for _, p := range regexp.MustCompile(`/threads/\d+/splits/\d+`).FindAllString(s.get(t, base, s.thread), -1) {
				if p != s.split {
					second = p + "/pay"
				}
			}
			sam.run("the next payment", chromedp.Navigate(base+second), chromedp.WaitVisible(`[data-testid=passkey-confirm]`))
			var replay string
			sam.run("replay the assertion on it", chromedp.Evaluate(`(async function () {
				var form = document.querySelector("[data-testid=pay-form]");
				var body = new URLSearchParams({payment_id: form.elements.payment_id.value, passkey: localStorage.getItem("divvyAssertion")});
				var res = await fetch(form.action, {method: "POST", body: body, credentials: "same-origin"});
				var page = new DOMParser().parseFromString(await res.text(), "text/html");
				var p = page.querySelector("[data-testid=problem-pin]");
				return res.status + " " + (p ? p.textContent : "");
			})()`, &replay, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
			if !strings.HasPrefix(replay, "422 ") || !strings.Contains(replay, "already used") {
				t.Errorf("replayed assertion: %q; want 422 and \"already used\"", replay)
			}

			// An answer without user verification is refused by the server.
			sam.run("the authenticator answers unverified", chromedp.ActionFunc(func(ctx context.Context) error {
				return webauthn.SetResponseOverrideBits(auth).WithIsBadUV(true).Do(ctx)
			}))
			sam.run("confirm, unverified", chromedp.Navigate(base+second), chromedp.WaitVisible(`[data-testid=passkey-confirm]`),
				chromedp.Evaluate(`window.divvyOldPage = true`, &ok), chromedp.Click(`[data-testid=passkey-confirm]`))
			sam.waitNewPage("refused unverified")
			sam.run("refused unverified", chromedp.WaitVisible(`//p[@data-testid="problem-pin"][contains(., "did not confirm this payment")]`))
			sam.shot("pay-refused")
			sam.run("the authenticator verifies again", chromedp.ActionFunc(func(ctx context.Context) error {
				return webauthn.SetResponseOverrideBits(auth).Do(ctx)
			}))
			sam.run("confirm", chromedp.WaitVisible(`[data-testid=passkey-confirm]`), chromedp.Click(`[data-testid=passkey-confirm]`),
				chromedp.WaitVisible(shareRow("Sam")+`[@data-status="paid"]`))
			queryRow(t, dbURL, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`, &n)
			if n != before+2 {
				t.Fatalf("%d card payments; want %d", n, before+2)
			}

			sam.run("remove the passkey", chromedp.Navigate(base+"/payments/passkeys"),
				chromedp.WaitVisible(`[data-testid=passkey-remove-form]`),
				chromedp.SendKeys(`[data-testid=passkey-remove-form] input[name=pin]`, "271828"),
				chromedp.Click(`[data-testid=passkey-remove]`),
				chromedp.WaitVisible(`[data-testid=passkeys-none]`),
				chromedp.WaitVisible(`//*[contains(., "Passkey removed")]`))
			sam.shot("passkey-removed")
			queryRow(t, dbURL, `SELECT count(*) FROM passkeys`, &n)
			if n != 0 {
				t.Errorf("%d passkeys after removal; want 0", n)
			}
		})
	}
	auditClean(t, dbURL)
}
