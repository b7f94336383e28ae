package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The collector edits a split from its page: the form comes filled in, the
// new total is saved, and the page lists the change in its history.
func TestBrowserSplitEdit(t *testing.T) {
	base := startApp(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			email := "olivia-edit-" + sc.name + "@example.com"
			s := seed(t, base, email, 3)
			b := newBrowser(t, sc.name, sc.width, sc.height)
			b.run("log in",
				chromedp.Navigate(base+"/login"),
				chromedp.SendKeys(`#f-email`, email),
				chromedp.SendKeys(`#f-password`, "correct horse"),
				chromedp.Click(`[data-testid=login-submit]`),
				chromedp.WaitVisible(`[data-testid=new-thread]`))
			b.run("open the edit form",
				chromedp.Navigate(base+s.split),
				chromedp.Click(`[data-testid=edit-split]`),
				chromedp.WaitVisible(`[data-testid=split-form]`))
			b.shot("edit-form")
			b.run("change the total and the note",
				chromedp.Evaluate(`document.querySelector('#f-total').value = ''`, nil),
				chromedp.SendKeys(`#f-total`, "52", chromedp.ByQuery),
				chromedp.SendKeys(`#f-note`, "The wine came later"),
				chromedp.WaitVisible(`//*[@data-testid="split-preview"][contains(., "€52.00")]`),
				chromedp.Click(`[data-testid=split-submit]`),
				chromedp.WaitVisible(`[data-testid=history-entry]`))
			var history string
			b.run("read the history", chromedp.Text(`[data-testid=split-history]`, &history))
			if !strings.Contains(history, "Total: €47.50 → €52.00") {
				t.Errorf("history %q lacks the new total", history)
			}
			b.shot("edited")
		})
	}
}
