package main

import (
	"database/sql"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPasswordReset: Olivia forgot her password. From another
// browser (French on the phone, English on the desktop) she asks for a link,
// opens it from the mail, is told a too-short password is too short, sets a
// new one and lands on her account page, signed in on that device only: the
// browser she was signed in on before is signed out.
func TestBrowserPasswordReset(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			email := "olivia-" + s.name + "@example.com"
			old := newBrowser(t, s.name, s.width, s.height)
			old.run("sign up",
				chromedp.Navigate(base+"/signup"),
				chromedp.SendKeys(`#f-name`, "Olivia"),
				chromedp.SendKeys(`#f-email`, email),
				chromedp.SendKeys(`#f-password`, "correct horse"),
				chromedp.Click(`[data-testid=signup-submit]`))
			old.finishSignup(base, email)

			// Signed in on a second browser too: the account page lists
			// both, and signs the other one out.
			other := newBrowser(t, s.name, s.width, s.height)
			other.run("log in elsewhere",
				chromedp.Navigate(base+"/login"),
				chromedp.SendKeys(`#f-email`, email),
				chromedp.SendKeys(`#f-password`, "correct horse"),
				chromedp.Click(`[data-testid=login-submit]`),
				chromedp.WaitVisible(`[data-testid=new-thread]`))
			old.run("open the account page",
				chromedp.Click(`[data-testid=nav-account]`),
				chromedp.WaitVisible(`[data-testid=this-device]`))
			var n int
			old.run("count devices", chromedp.Evaluate(`document.querySelectorAll("[data-testid=device]").length`, &n))
			if n != 2 {
				t.Errorf("%d devices; want 2", n)
			}
			old.shot("devices")
			old.run("sign the other browser out",
				chromedp.Click(`[data-current=false] [data-testid=device-sign-out]`),
				chromedp.WaitVisible(`[data-testid=notice]`))
			old.run("count devices", chromedp.Evaluate(`document.querySelectorAll("[data-testid=device]").length`, &n))
			if n != 1 {
				t.Errorf("%d devices after signing one out; want 1", n)
			}
			other.run("the other browser is signed out",
				chromedp.Navigate(base+"/"),
				chromedp.WaitVisible(`[data-testid=nav-login]`))

			lang := "en-US,en"
			if s.name == "phone" {
				lang = "fr-FR,fr"
			}
			b := newBrowserLang(t, s.name, s.width, s.height, lang)
			b.run("forgot from the login page",
				chromedp.Navigate(base+"/login"),
				chromedp.Click(`[data-testid=login-forgot]`),
				chromedp.WaitVisible(`[data-testid=forgot-form]`))
			b.shot("forgot")
			b.run("ask for a link",
				chromedp.SendKeys(`#f-email`, email),
				chromedp.Click(`[data-testid=forgot-submit]`),
				chromedp.WaitVisible(`[data-testid=forgot-sent]`))
			b.shot("forgot-sent")

			link := lastResetLink(t, dbURL, email)
			if !strings.HasPrefix(link, base+"/password/reset/") {
				t.Fatalf("reset link %q", link)
			}
			b.run("open the link", chromedp.Navigate(link), chromedp.WaitVisible(`[data-testid=reset-form]`))
			b.shot("reset")
			b.run("a password too short",
				chromedp.SendKeys(`#f-password`, "short"),
				chromedp.Click(`[data-testid=reset-submit]`),
				chromedp.WaitVisible(`[data-testid=problem-password]`))
			b.shot("reset-problem")
			b.run("a good password",
				chromedp.SendKeys(`#f-password`, "a new horse battery"),
				chromedp.Click(`[data-testid=reset-submit]`),
				chromedp.WaitVisible(`[data-testid=this-device]`),
				chromedp.WaitVisible(`[data-testid=notice]`))
			var devices int
			b.run("count devices", chromedp.Evaluate(`document.querySelectorAll("[data-testid=device]").length`, &devices))
			if devices != 1 {
				t.Errorf("%d devices after the reset; want 1", devices)
			}
			b.shot("account")
			if s.name == "phone" {
				b.run("the account page in French",
					chromedp.Click(`button[name=locale][value=fr]`),
					chromedp.WaitVisible(`//h2[contains(., "Appareils connectés")]`))
				b.shot("account-fr")
			}

			old.run("the old browser is signed out",
				chromedp.Navigate(base+"/account"),
				chromedp.WaitVisible(`[data-testid=login-form]`))
			b.run("the link works once", chromedp.Navigate(link), chromedp.WaitVisible(`[data-testid=reset-dead]`))
			b.shot("reset-dead")
		})
	}
}

func lastResetLink(t *testing.T, dbURL, to string) string {
	t.Helper()
	d, err := sql.Open("postgres", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	// The mail leaves just after the answer.
	var body string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := d.QueryRow(`SELECT body FROM outbox WHERE kind = 'password_reset' AND recipient = $1 ORDER BY id DESC LIMIT 1`, to).Scan(&body)
		if err == nil {
			break
		}
		if err != sql.ErrNoRows || time.Now().After(deadline) {
			t.Fatalf("read the reset mail: %v", err)
		}
	}
	return regexp.MustCompile(`https?://\S+/password/reset/\S+`).FindString(body)
}
