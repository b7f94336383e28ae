package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// labelled is the XPath of a link or button by its visible label.
func labelled(label string) string {
	return fmt.Sprintf(`//*[self::a or self::button][normalize-space()=%q]`, label)
}

// logIn signs a browser in as someone seeded over HTTP.
func (b *browser) logIn(base, email string) {
	b.run("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.SendKeys(`#f-email`, email),
		chromedp.SendKeys(`#f-password`, "correct horse"),
		chromedp.Click(labelled("Log in")+`[@type="submit"]`),
		chromedp.WaitVisible(labelled("New thread")))
}

// aboveComposer reports whether the element's whole box is on the screen
// and above the sticky composer.
func (b *browser) aboveComposer(sel string) (bool, string) {
	var r struct {
		OK   bool
		What string
	}
	b.run("measure "+sel, chromedp.Evaluate(`(function () {
  var e = document.querySelector(`+jsString(sel)+`), c = document.getElementById("composer");
  if (!e || !c) return { OK: false, What: "missing" };
  var er = e.getBoundingClientRect(), cr = c.getBoundingClientRect();
  return { OK: er.top >= 0 && er.bottom <= cr.top + 1,
    What: "element " + Math.round(er.top) + "-" + Math.round(er.bottom) + ", composer from " + Math.round(cr.top) + ", screen " + window.innerHeight };
})()`, &r))
	return r.OK, r.What
}

// Cancelling a split asks first, on its own page; "Keep the split" keeps it.
func TestBrowserCancelAsksFirst(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			email := "olivia-cancel-" + sc.name + "@example.com"
			s := seed(t, base, email, 2)
			b := newBrowser(t, sc.name, sc.width, sc.height)
			b.logIn(base, email)
			b.run("open the split", chromedp.Navigate(base+s.split), chromedp.WaitVisible(labelled("Cancel the split")))
			b.shot("split-page")
			b.run("tap cancel", chromedp.Click(labelled("Cancel the split")), chromedp.WaitVisible(labelled("Yes, cancel the split")))
			b.shot("cancel-confirm")
			b.run("keep it", chromedp.Click(labelled("Keep the split")), chromedp.WaitVisible(`//article[@data-status="open"]`))
			b.run("cancel for real",
				chromedp.Click(labelled("Cancel the split")),
				chromedp.WaitVisible(labelled("Yes, cancel the split")),
				chromedp.Click(labelled("Yes, cancel the split")),
				chromedp.WaitVisible(`//article[@data-status="cancelled"]`))
		})
	}
}

// A long thread opens at its newest message, above the composer; "Earlier
// messages" keeps the reader's place; a message posted by someone else
// arrives live in view above the composer.
func TestBrowserThreadOpensAtNewest(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			email := "olivia-long-" + sc.name + "@example.com"
			s := seed(t, base, email, 1)
			for i := 1; i <= 70; i++ {
				s.post(t, base, s.thread+"/messages", url.Values{"body": {fmt.Sprintf("Message number %d", i)}})
			}
			b := newBrowser(t, sc.name, sc.width, sc.height)
			b.logIn(base, email)
			b.run("open the thread", chromedp.Navigate(base+s.thread), chromedp.WaitVisible(`#messages > li:last-child`))
			if ok, what := b.aboveComposer(`#messages > li:last-child`); !ok {
				t.Errorf("the newest message is not in view above the composer: %s", what)
			}
			b.shot("thread-newest")

			// The first message shown stays where it was when earlier ones load.
			var before, after float64
			var first string
			b.run("scroll to the top", chromedp.Evaluate(`window.scrollTo(0, 0); document.querySelector("li.earlier + li").id`, &first))
			b.run("measure", chromedp.Evaluate(`document.getElementById(`+jsString(first)+`).getBoundingClientRect().top`, &before))
			b.run("load earlier messages", chromedp.Click(labelled("Earlier messages")),
				chromedp.WaitVisible(`//p[normalize-space()="Message number 1"]`),
				chromedp.Sleep(300e6),
				chromedp.Evaluate(`document.getElementById(`+jsString(first)+`).getBoundingClientRect().top`, &after))
			if d := after - before; d > 2 || d < -2 {
				t.Errorf("the message the reader was at moved %.0f px when earlier messages loaded", d)
			}

			// A message from someone else, live, lands above the composer.
			b.run("back at the newest", chromedp.Evaluate(`document.querySelector("#messages > li:last-child").scrollIntoView({block: "end"});
window.scrollBy(0, document.getElementById("composer").getBoundingClientRect().height + 8)`, nil))
			s.post(t, base, s.thread+"/messages", url.Values{"body": {"Live one"}})
			b.run("wait for the live message", chromedp.WaitVisible(`//li[@data-testid="msg-text"]//p[normalize-space()="Live one"]`), chromedp.Sleep(800e6))
			if ok, what := b.aboveComposer(`#messages > li:last-child`); !ok {
				t.Errorf("the live message is hidden behind the composer: %s", what)
			}
			b.shot("thread-live")
		})
	}
}

// Where the browser has no Web Share (headless Chromium on Linux), the
// Share button is not shown; Copy is.
func TestBrowserShareHiddenWithoutWebShare(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	email := "olivia-share@example.com"
	s := seed(t, base, email, 1)
	b := newBrowser(t, "phone", 390, 844)
	b.logIn(base, email)
	var hasShare bool
	b.run("open the split", chromedp.Navigate(base+s.split), chromedp.WaitVisible(labelled("Copy link")),
		chromedp.Evaluate(`!!navigator.share`, &hasShare))
	if hasShare {
		t.Skip("this Chromium has Web Share")
	}
	var shown bool
	b.run("look for Share", chromedp.Evaluate(`(function () {
  var b = Array.from(document.querySelectorAll("button")).find(function (e) { return e.textContent.trim() === "Share"; });
  return !!b && b.getBoundingClientRect().height > 0;
})()`, &shown))
	if shown {
		t.Errorf("the Share button is shown where Web Share is missing")
	}
	var invite bool
	b.run("invite page", chromedp.Navigate(base+s.thread+"/invite"), chromedp.WaitVisible(labelled("Copy link")),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("button")).some(function (e) { return e.textContent.trim() === "Share" && e.getBoundingClientRect().height > 0; })`, &invite))
	if invite {
		t.Errorf("the invite page shows Share where Web Share is missing")
	}
}

// field is the XPath of an input by its label's visible text.
func field(label string) string {
	return fmt.Sprintf(`//input[@id=//label[normalize-space()=%q]/@for]`, label)
}

// The card changes from the Money page, proven with the current PIN and
// a one-time code.
func TestBrowserChangeCardWithPINAndCode(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			email := "olivia-card-" + sc.name + "@example.com"
			seed(t, base, email, 1)
			b := newBrowser(t, sc.name, sc.width, sc.height)
			b.logIn(base, email)
			b.run("open Money", chromedp.Click(labelled("Money")), chromedp.WaitVisible(`h1`))
			b.run("set up payments", chromedp.Navigate(base+"/payments/setup?next=/money"))
			p := &person{b, "Olivia"}
			p.run("fill payment setup",
				chromedp.WaitVisible(`[data-testid=setup-form]`),
				chromedp.SendKeys(`#f-legal_name`, "Olivia Martin"),
				chromedp.SetValue(`#f-contact`, "olivia.pay@example.com"),
				chromedp.SendKeys(`#f-card_number`, "4242 4242 4242 4242"),
				chromedp.SendKeys(`#f-exp_month`, "12"),
				chromedp.SendKeys(`#f-exp_year`, "35"),
				chromedp.SendKeys(`#f-cvc`, "123"),
				chromedp.SendKeys(`#f-pin`, "482916"),
				chromedp.SendKeys(`#f-pin_confirm`, "482916"),
				chromedp.Click(`[data-testid=setup-submit]`),
				chromedp.WaitVisible(`[data-testid=activate-form]`))
			p.run("activate", chromedp.SendKeys(`#f-code`, lastCode(t, dbURL)), chromedp.Click(`[data-testid=activate-submit]`),
				chromedp.WaitVisible(labelled("Change card")))
			b.shot("money-settings")
			b.run("change card", chromedp.Click(labelled("Change card")), chromedp.WaitVisible(field("Card number")))
			b.run("type the new card and a wrong PIN",
				chromedp.SendKeys(field("Card number"), "5555 5555 5555 4444"),
				chromedp.SendKeys(field("Month (MM)"), "11"),
				chromedp.SendKeys(field("Year (YY)"), "34"),
				chromedp.SendKeys(field("CVC"), "321"),
				chromedp.SendKeys(field("Current PIN"), "000000"),
				chromedp.Click(labelled("Send me a code")),
				chromedp.WaitVisible(`//p[contains(., "Wrong PIN")]`))
			b.shot("card-change-wrong-pin")
			b.run("type the card again with the right PIN",
				chromedp.SendKeys(field("Card number"), "5555 5555 5555 4444"),
				chromedp.SendKeys(field("CVC"), "321"),
				chromedp.SendKeys(field("Current PIN"), "482916"),
				chromedp.Click(labelled("Send me a code")),
				chromedp.WaitVisible(labelled("Confirm the change")))
			b.shot("card-change-code")
			b.run("confirm with the code",
				chromedp.SendKeys(field("Code"), lastCode(t, dbURL)),
				chromedp.Click(labelled("Confirm the change")),
				chromedp.WaitVisible(`//p[contains(., "Your new card is saved")]`),
				chromedp.WaitVisible(`//p[contains(., "Mastercard ···· 4444")]`))
			b.shot("card-changed")
		})
	}
}

// The organizer adds Nina by name from the split form; Nina opens the pay
// link, says who she is, and lands on paying her share.
func TestBrowserAddPersonFromSplitForm(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			email := "olivia-add-" + sc.name + "@example.com"
			s := seed(t, base, email, 2)
			b := newBrowser(t, sc.name, sc.width, sc.height)
			b.logIn(base, email)
			b.run("open the split form", chromedp.Navigate(base+s.thread+"/splits/new"), chromedp.WaitVisible(field("Add people not in the thread yet")))
			b.run("fill it",
				chromedp.SendKeys(field("What for"), "Cinema"),
				chromedp.SendKeys(field("Total"), "30"),
				chromedp.SendKeys(field("Add people not in the thread yet"), "Nina"),
				chromedp.WaitVisible(`//li[@data-testid="preview-line"][contains(., "Nina")]`))
			b.shot("split-form-newcomer")
			var link string
			b.run("post it",
				chromedp.Click(labelled("Post the split")),
				chromedp.WaitVisible(`//li[@data-testid="share"][@data-name="Nina"]`),
				chromedp.Value(`#pay-url`, &link))
			b.shot("split-page-newcomer")
			nina := newBrowser(t, sc.name, sc.width, sc.height)
			nina.run("open the pay link", chromedp.Navigate(link), chromedp.WaitVisible(labelled("I am Nina")))
			nina.shot("paylink-named")
			nina.run("say who she is", chromedp.Click(labelled("I am Nina")),
				chromedp.WaitVisible(`//p[@data-testid="pay-what"][contains(., "€10.00 to Olivia for Cinema")]`))
		})
	}
}

// A new thread shows what to do first with the composer at the bottom;
// messages from before today say their day.
func TestBrowserQuietThreadAndOlderDays(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	for _, sc := range screens {
		t.Run(sc.name, func(t *testing.T) {
			email := "olivia-days-" + sc.name + "@example.com"
			s := seed(t, base, email, 1)
			b := newBrowser(t, sc.name, sc.width, sc.height)
			b.logIn(base, email)
			b.run("create a new thread",
				chromedp.Click(labelled("New thread")),
				chromedp.SendKeys(`#f-name`, "Picnic"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=thread-guide]`))
			if ok, what := b.aboveComposer(`[data-testid=thread-guide]`); !ok {
				t.Errorf("the guide of a new thread is not above the composer: %s", what)
			}
			var gap float64
			b.run("measure the composer", chromedp.Evaluate(`window.innerHeight - document.getElementById("composer").getBoundingClientRect().bottom`, &gap))
			if gap > 160 {
				t.Errorf("the composer floats %.0f px above the bottom of the screen", gap)
			}
			b.shot("thread-new")
			s.post(t, base, s.thread+"/messages", url.Values{"body": {"From last week"}})
			s.post(t, base, s.thread+"/messages", url.Values{"body": {"From yesterday"}})
			var yesterday, older string
			// Kept renderings carry the time they were sent; the page
			// labels the day when it shows them: move two messages back.
			b.run("open the thread", chromedp.Navigate(base+s.thread), chromedp.WaitVisible(`//p[normalize-space()="From yesterday"]`))
			b.run("move two messages back in time", chromedp.Evaluate(`(function () {
  function back(text, d) {
    var li = Array.from(document.querySelectorAll("#messages li")).find(function (l) { return l.textContent.indexOf(text) >= 0; });
    li.querySelector("time").setAttribute("datetime", d.toISOString());
    document.dispatchEvent(new CustomEvent("htmx:load", { detail: { elt: li } }));
  }
  var now = new Date(), midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  back("From yesterday", new Date(midnight.getTime() - 6 * 3600e3));
  back("From last week", new Date(midnight.getTime() - 8 * 864e5));
  return true;
})()`, nil))
			b.run("read the days",
				chromedp.Text(`//li[.//p[normalize-space()="From yesterday"]]//time`, &yesterday),
				chromedp.Text(`//li[.//p[normalize-space()="From last week"]]//time`, &older))
			if !strings.HasPrefix(yesterday, "Yesterday ") {
				t.Errorf("yesterday's message says %q", yesterday)
			}
			if !regexp.MustCompile(`^(\d{1,2} [A-Z][a-z]{2}|[A-Z][a-z]{2} \d{1,2}) `).MatchString(older) {
				t.Errorf("last week's message says %q, want its day like \"Nov 12 6:02 PM\"", older)
			}
		})
	}
}
