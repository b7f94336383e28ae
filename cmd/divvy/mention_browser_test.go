package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// tap touches the middle of the element sel with a finger (touch events,
// not a mouse click).
func tap(sel string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var box []float64
		if err := chromedp.Run(ctx, chromedp.WaitVisible(sel),
			chromedp.Evaluate(`(function(){var r=document.querySelector(`+"`"+sel+"`"+`).getBoundingClientRect();return [r.left+r.width/2,r.top+r.height/2];})()`, &box)); err != nil {
			return err
		}
		if err := emulation.SetTouchEmulationEnabled(true).Do(ctx); err != nil {
			return err
		}
		if err := input.DispatchTouchEvent(input.TouchStart, []*input.TouchPoint{{X: box[0], Y: box[1]}}).Do(ctx); err != nil {
			return err
		}
		return input.DispatchTouchEvent(input.TouchEnd, []*input.TouchPoint{}).Do(ctx)
	})
}

// waitPage waits until the browser shows a page whose path ends with
// suffix and that has sel: asked again and again, since asking during the
// navigation fails.
func (p *person) waitPage(t *testing.T, suffix, sel string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(p.ctx, 2*time.Second)
		var ok bool
		err := chromedp.Run(ctx, chromedp.Evaluate(`location.pathname.endsWith("`+suffix+`") && document.readyState === "complete" && document.querySelector("`+sel+`") !== null`, &ok))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("[%s] no page %s with %s", p.screen, suffix, sel)
}

// TestBrowserMentionAutocomplete: in a thread with Olivia, Sam and Léa,
// Sam types "/request 12 € @LE": the composer offers Léa (accents and case
// ignored); Enter picks her, and Enter again opens the prefilled Request
// form. A finger's tap on a name picks it too.
func TestBrowserMentionAutocomplete(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			olivia := &person{newBrowser(t, s.name, s.width, s.height), "Olivia"}
			olivia.signUp(base, "olivia-mention-"+s.name+"@example.com")
			olivia.run("create the thread",
				chromedp.Click(`[data-testid=new-thread]`),
				chromedp.SendKeys(`#f-name`, "Ski trip"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			var invite string
			olivia.run("copy the invite link", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
				chromedp.Value(`[data-testid=invite-url]`, &invite))
			lea := &person{newBrowser(t, s.name, s.width, s.height), "Léa"}
			lea.joinAsGuest(invite)
			lea.run("Léa in the thread", chromedp.WaitVisible(`[data-testid=composer]`))
			sam := &person{newBrowser(t, s.name, s.width, s.height), "Sam"}
			sam.joinAsGuest(invite)

			var value string
			thread := sam.url()
			sam.run("Sam types a mention",
				chromedp.WaitVisible(`[data-testid=composer]`),
				chromedp.SendKeys(`#composer-text`, "/request 12 € @LE"),
				chromedp.Poll(`document.querySelector("#composer-text").value.endsWith("@LE") &&
					document.querySelectorAll("#mention-list li").length === 1`, nil),
				chromedp.WaitVisible(`//ul[@data-testid="mentions"]/li[.="Léa"]`))
			sam.run("Enter picks Léa",
				chromedp.SendKeys(`#composer-text`, kb.Enter),
				chromedp.WaitNotPresent(`[data-testid=mentions]`),
				chromedp.Value(`#composer-text`, &value))
			if value != "/request 12 € @Léa " {
				t.Errorf("after Enter the composer holds %q", value)
			}
			var form []string
			sam.run("Sam finishes and sends", chromedp.SendKeys(`#composer-text`, "pizza"), chromedp.KeyEvent(kb.Enter))
			// Polled: the page navigates (htmx follows the server to the form).
			sam.waitPage(t, "/request", "#f-amount")
			sam.run("the Request form opens",
				chromedp.Evaluate(`[document.querySelector("#f-to").selectedOptions[0].textContent.trim(), document.querySelector("#f-amount").value]`, &form))
			if len(form) != 2 || form[0] != "Léa" || form[1] != "12.00" {
				t.Errorf("request form: to and amount %q, want Léa and 12.00", form)
			}

			sam.run("back to the thread", chromedp.Navigate(thread), chromedp.WaitVisible(`[data-testid=composer]`),
				chromedp.SendKeys(`#composer-text`, "thanks @o"),
				chromedp.WaitVisible(`//ul[@data-testid="mentions"]/li[.="Olivia"]`),
				tap(`#mention-list li`),
				chromedp.WaitNotPresent(`[data-testid=mentions]`),
				chromedp.Value(`#composer-text`, &value))
			if value != "thanks @Olivia " {
				t.Errorf("after a tap the composer holds %q", value)
			}
			// Arrow keys move, Escape closes and leaves the text alone.
			sam.run("arrows and Escape",
				chromedp.Evaluate(`document.querySelector("#composer-text").value = ""`, nil),
				chromedp.SendKeys(`#composer-text`, "@"),
				chromedp.WaitVisible(`//ul[@data-testid="mentions"]/li[.="Olivia"]`),
				chromedp.SendKeys(`#composer-text`, kb.ArrowDown),
				chromedp.WaitVisible(`//ul[@data-testid="mentions"]/li[@aria-selected="true"][.="Léa"]`))
			sam.shot("mention-offered") // may take the focus, which closes the list
			sam.run("Escape",
				chromedp.SendKeys(`#composer-text`, kb.Escape),
				chromedp.WaitNotPresent(`[data-testid=mentions]`),
				chromedp.Value(`#composer-text`, &value))
			if value != "@" {
				t.Errorf("after Escape the composer holds %q", value)
			}
		})
	}
	auditClean(t, dbURL)
}
