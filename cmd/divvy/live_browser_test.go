package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A message whose body carries bare CRs ("x\rid: 999999999\revent:
// reload\rdata: x") reaches Chromium as the text of one message event: no
// reload event, no forged id.
func TestBrowserMessageCannotInjectEventFields(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	email := "olivia-inject@example.com"
	s := seed(t, base, email, 1)
	olivia := newBrowser(t, "desktop", 1280, 800)
	olivia.run("log in", chromedp.Navigate(base+"/login"), chromedp.SendKeys(`#f-email`, email),
		chromedp.SendKeys(`#f-password`, "correct horse"), chromedp.Click(`[data-testid=login-submit]`),
		chromedp.WaitVisible(`[data-testid=new-thread]`), chromedp.Navigate(base+s.thread), chromedp.WaitVisible(`[data-testid=composer]`))
	var ok bool
	olivia.run("listen to the stream", chromedp.Poll(`(function () {
		var el = document.querySelector("[sse-connect]");
		var src = el && el["htmx-internal-data"] && el["htmx-internal-data"].sseEventSource;
		if (!src || src.readyState !== 1) return false;
		if (!window.divvySeen) {
			window.divvySeen = [];
			window.divvyMarker = "no reload";
			["message", "reload", "split", "members"].forEach(function (n) {
				src.addEventListener(n, function (e) { window.divvySeen.push(n + " " + e.lastEventId); });
			});
		}
		return true;
	})()`, &ok))

	for _, body := range []string{
		"x\rid: 999999999\revent: reload\rdata: x",
		"y\r\rid: 999999998\r\revent: reload\r\rdata: y",
		"the end",
	} {
		s.post(t, base, s.thread+"/messages", url.Values{"body": {body}})
	}
	olivia.runWithin("the last message arrives", 15*time.Second,
		chromedp.WaitVisible(`//li[@data-testid="msg-text"][contains(., "the end")]`))
	time.Sleep(300 * time.Millisecond)
	var seen []string
	var marker string
	olivia.run("read what the stream got", chromedp.Evaluate(`window.divvySeen || []`, &seen),
		chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
	if marker != "no reload" {
		t.Errorf("the page reloaded: a message body became a reload event")
	}
	for _, ev := range seen {
		if strings.HasPrefix(ev, "reload") || strings.Contains(ev, "99999999") {
			t.Errorf("a message body became the event %q (all: %q)", ev, seen)
		}
	}
	if len(seen) < 3 {
		t.Errorf("stream events seen: %q; want the three messages", seen)
	}
}
