package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"divvy/db/dbtest"
)

// Browser tests drive Debian's Chromium through the real app. Run them alone
// with: go test ./cmd/divvy -run TestBrowser -screenshots /tmp/shots
var screenshotDir = flag.String("screenshots", os.Getenv("DIVVY_SCREENSHOTS"), "also write browser-test screenshots here")

// Screen sizes every page must work at.
var screens = []struct {
	name          string
	width, height int64
}{
	{"phone", 390, 844},
	{"desktop", 1280, 800},
}

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is not installed; .ci/run should have installed it (apt-get install chromium)")
	}
	t.Skip("Chromium is not installed: apt-get install chromium (browser tests skip without it)")
	return ""
}

// startApp runs the whole app (run, as main does) on a free port with its
// own database and returns its base URL.
func startApp(t *testing.T) string {
	base, _ := startAppDB(t)
	return base
}

// startAppDB is startApp that also returns the database URL, for tests
// that read what a person would get by mail (the outbox) or run the audit.
func startAppDB(t *testing.T) (string, string) {
	t.Helper()
	return startAppOn(t, "127.0.0.1")
}

// startAppOn is startAppDB on a host name: "localhost" where the browser
// needs a domain name (passkeys: WebAuthn has no RP id for an IP address).
func startAppOn(t *testing.T, host string) (string, string) {
	t.Helper()
	return startAppOnDB(t, host, dbtest.EmptyURL(t))
}

// startAppOnDB is startAppOn over the (empty) database at dbURL, which the
// app migrates as it starts.
func startAppOnDB(t *testing.T, host, dbURL string) (string, string) {
	t.Helper()
	port := freePort(t)
	base := fmt.Sprintf("http://%s:%d", host, port)
	vars := map[string]string{
		"DATABASE_URL":     dbURL,
		"PORT":             fmt.Sprint(port),
		"BASE_URL":         base,
		"DIVVY_DATA_DIR":   t.TempDir(),
		"SETTLEMENT_DELAY": "1s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"divvy"}, env(vars), io.Discard, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("app did not stop")
		}
	})
	// Migrating a fresh database on Citus takes tens of seconds.
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return base, dbURL
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("app not ready after 90 s")
	return "", ""
}

// browser is one person's Chromium: its own profile, so its own cookies.
type browser struct {
	t      *testing.T
	ctx    context.Context
	screen string
	shots  string
	mu     sync.Mutex
	errs   []string
	// expectErrors is set while a test provokes failures on purpose (a cut
	// connection makes htmx log its SSE error).
	expectErrors bool
}

// expectingErrors tolerates console errors while on is true.
func (b *browser) expectingErrors(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.expectErrors = on
}

func newBrowser(t *testing.T, who string, width, height int64) *browser {
	t.Helper()
	return newBrowserLang(t, who, width, height, "en-US,en")
}

// newBrowserLang is newBrowser whose browser asks for these languages
// (and starts with the extra flags given, such as a fake camera).
func newBrowserLang(t *testing.T, who string, width, height int64, lang string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	// Not t.TempDir: Chromium may still be writing its profile while the
	// test's own clean-up runs, so this one is removed after it exits.
	profile, err := os.MkdirTemp("", "divvy-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(int(width), int(height)),
		chromedp.Flag("accept-lang", lang),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		chromedp.Cancel(ctx)
		cancelT()
		cancelC()
		cancelA()
		os.RemoveAll(profile)
	})

	b := &browser{t: t, ctx: ctx, screen: who, shots: filepath.Join(t.TempDir(), "shots")}
	// Any JavaScript error or CSP violation fails the test.
	chromedp.ListenTarget(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.fail("JavaScript exception: " + e.ExceptionDetails.Error())
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.APITypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value))
				}
				b.fail("console.error: " + strings.Join(parts, " "))
			}
		case *log.EventEntryAdded:
			// A 4xx answer (a form shown again with its problems) is
			// expected; scripts, CSP and other sources are not.
			if e.Entry.Level == log.LevelError && e.Entry.Source != log.SourceNetwork {
				b.fail("browser log error: " + e.Entry.Text)
			}
		}
	})
	if err := chromedp.Run(ctx, log.Enable(), runtime.Enable(), chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return b
}

func (b *browser) fail(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.expectErrors {
		b.errs = append(b.errs, msg)
	}
}

// run runs actions and fails the test on an error or on any console error
// seen so far.
func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	// A step that does not finish in 45 s has failed; waiting out the
	// whole browser's timeout would only slow the report.
	b.runWithin(what, 45*time.Second, actions...)
}

// runWithin is run with a deadline of its own.
func (b *browser) runWithin(what string, within time.Duration, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, within)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var body string
		chromedp.Run(b.ctx, chromedp.Text(`main`, &body))
		b.t.Fatalf("[%s] %s: %v\npage text: %.800s", b.screen, what, err, body)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errs) > 0 {
		b.t.Fatalf("[%s] %s: %s", b.screen, what, strings.Join(b.errs, "; "))
	}
}

// stillClick taps sel once the page has stopped scrolling. A live message
// scrolls the thread smoothly to the newest one; a tap computed from the
// element's place before the scroll would land on whatever moved there.
func stillClick(sel string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.WaitVisible(sel),
		chromedp.Evaluate(scrollIdle, nil, func(p *runtime.EvaluateParams) *runtime.EvaluateParams {
			return p.WithAwaitPromise(true)
		}),
		chromedp.Click(sel),
	}
}

// scrollIdle resolves once the page has not scrolled for five frames.
const scrollIdle = `new Promise(function (done) {
  var y = -1, still = 0;
  (function frame() {
    if (window.scrollY === y) {
      if (++still >= 5) return done(true);
    } else {
      y = window.scrollY;
      still = 0;
    }
    requestAnimationFrame(frame);
  })();
})`

// pageChecks finds what a person on a phone or with a screen reader
// would trip over: more or less than one h1, an image without alt text, a
// form field without a label, a tap target under 44 px tall, a composer or
// pay button that does not fit the screen's width.
const pageChecks = `(function () {
  var p = [];
  var h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) p.push("the page has " + h1 + " h1");
  document.querySelectorAll("img").forEach(function (i) {
    if (!i.hasAttribute("alt")) p.push("image without alt: " + i.src);
  });
  document.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (f) {
    var labelled = f.getAttribute("aria-label") || f.getAttribute("aria-labelledby") ||
      (f.id && document.querySelector('label[for="' + f.id + '"]')) || f.closest("label");
    if (!labelled) p.push("field without a label: " + (f.name || f.id));
  });
  var targets = "button, a.button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, " +
    "label.check, label.mode, header a, .currency-button";
  document.querySelectorAll(targets).forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0 && r.height > 0 && r.height < 43.5) {
      p.push("tap target " + Math.round(r.height) + " px tall: " + (e.textContent || e.name || e.id).trim().slice(0, 30));
    }
  });
  ["[data-testid=composer]", "[data-testid=pay]", "[data-testid=pay-submit]"].forEach(function (sel) {
    var e = document.querySelector(sel);
    if (!e) return;
    var r = e.getBoundingClientRect();
    if (r.left < 0 || r.right > window.innerWidth + 1) p.push(sel + " does not fit the screen's width");
  });
  return p;
})()`

// shot saves a full-page screenshot under the test's temp dir (and the
// -screenshots dir when given), and checks the page: no sideways scrolling,
// and pageChecks.
func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	var overflow bool
	var problems []string
	b.run("screenshot "+name,
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
		chromedp.Evaluate(pageChecks, &problems),
		chromedp.FullScreenshot(&png, 100))
	if overflow {
		b.t.Errorf("[%s] %s: the page scrolls horizontally", b.screen, name)
	}
	for _, p := range problems {
		b.t.Errorf("[%s] %s: %s", b.screen, name, p)
	}
	file := strings.NewReplacer("/", "-", " ", "_").Replace(fmt.Sprintf("%s-%s.png", b.t.Name(), name))
	for _, dir := range []string{b.shots, *screenshotDir} {
		if dir == "" {
			continue
		}
		os.MkdirAll(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			b.t.Errorf("save screenshot: %v", err)
		}
	}
}

// TestBrowserSignupToHome signs up in a real browser at phone and desktop
// sizes and lands on the (empty) signed-in home.
func TestBrowserSignupToHome(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			b := newBrowser(t, s.name, s.width, s.height)
			b.run("open sign-up", chromedp.Navigate(base+"/signup"), chromedp.WaitVisible(`[data-testid=signup-form]`))
			b.shot("signup")
			email := s.name + "@example.com"
			b.run("submit an invalid form",
				chromedp.SendKeys(`#f-name`, "Sam"),
				chromedp.SendKeys(`#f-email`, "not-an-email"),
				chromedp.SendKeys(`#f-password`, "correct horse"),
				chromedp.Click(`[data-testid=signup-submit]`),
				chromedp.WaitVisible(`[data-testid=problem-email]`))
			b.shot("signup-problem")
			b.run("fix the email and sign up",
				chromedp.SetValue(`#f-email`, email),
				chromedp.SendKeys(`#f-password`, "correct horse"),
				chromedp.Click(`[data-testid=signup-submit]`),
				chromedp.WaitVisible(`[data-testid=signup-sent]`))
			b.shot("signup-sent")
			b.finishSignup(base, email)
			b.run("the empty home", chromedp.WaitVisible(`[data-testid=threads-empty]`))
			var h1 string
			b.run("read the home", chromedp.Text(`h1`, &h1))
			if h1 != "Your threads" {
				t.Errorf("signed-in home h1 = %q", h1)
			}
			b.shot("home")
		})
	}
}

// TestBrowserThreadAndInvite: the organizer creates a thread, chats (the
// message appears without a reload and the composer clears), copies the
// invite link; a friend opens it in another browser and joins by name.
func TestBrowserThreadAndInvite(t *testing.T) {
	t.Parallel()
	base := startApp(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			org := newBrowser(t, s.name, s.width, s.height)
			org.run("sign up",
				chromedp.Navigate(base+"/signup"),
				chromedp.SendKeys(`#f-name`, "Olivia"),
				chromedp.SendKeys(`#f-email`, "olivia-"+s.name+"@example.com"),
				chromedp.SendKeys(`#f-password`, "correct horse"),
				chromedp.Click(`[data-testid=signup-submit]`))
			org.finishSignup(base, "olivia-"+s.name+"@example.com")
			org.run("create the thread",
				chromedp.Click(`[data-testid=new-thread]`),
				chromedp.WaitVisible(`[data-testid=newthread-form]`),
				chromedp.SendKeys(`#f-name`, "Pizza Friday"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			var marker string
			org.run("mark the page", chromedp.Evaluate(`window.divvyMarker = "same page"`, &marker))
			org.run("send a message",
				chromedp.SendKeys(`#composer-text`, "Who is in for pizza?"),
				chromedp.Click(`[data-testid=send]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-text"]//p[contains(., "Who is in for pizza?")]`))
			// The message can come back on the live stream before the
			// form's own answer, which brings the fresh composer.
			org.runWithin("the composer clears after sending", 10*time.Second,
				chromedp.Poll(`document.getElementById("composer-text").value === ""`, nil, chromedp.WithPollingInterval(50*time.Millisecond)))
			var still string
			org.run("check no reload", chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &still))
			if still != "same page" {
				t.Errorf("sending a message reloaded the page")
			}
			org.shot("thread")
			var invite string
			org.run("open the invite page",
				chromedp.Click(`[data-testid=invite-link]`),
				chromedp.WaitVisible(`[data-testid=invite-qr]`),
				chromedp.Value(`[data-testid=invite-url]`, &invite))
			org.shot("invite")
			if !strings.HasPrefix(invite, base+"/join/") {
				t.Fatalf("invite link %q", invite)
			}

			friend := newBrowser(t, s.name, s.width, s.height)
			friend.run("open the invite", chromedp.Navigate(invite), chromedp.WaitVisible(`[data-testid=join-form]`))
			friend.shot("join")
			friend.run("join by name",
				chromedp.SendKeys(`#f-name`, "Sam"),
				chromedp.Click(`[data-testid=join-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-system"][contains(., "Sam joined")]`))
			friend.shot("thread-guest")
		})
	}
}

// signupLink waits for the sign-up link mailed to email (read from the
// development outbox, /dev/outbox) and returns its path.
func signupLink(t *testing.T, base, email string) string {
	t.Helper()
	item := regexp.MustCompile(`(?s)<li class="card">.*?</li>`)
	link := regexp.MustCompile(`/signup/confirm/[A-Za-z0-9_-]+`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(base + "/dev/outbox")
		if err == nil {
			page, _ := io.ReadAll(res.Body)
			res.Body.Close()
			for _, it := range item.FindAllString(string(page), -1) {
				if strings.Contains(it, " · "+email+" · ") {
					if l := link.FindString(it); l != "" {
						return l
					}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sign-up link mailed to %s", email)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// finishSignup follows the link mailed to email after the sign-up form
// answered "check your email", and makes the account: the browser is then
// logged in.
func (b *browser) finishSignup(base, email string) {
	b.t.Helper()
	b.run("told to check the email", chromedp.WaitVisible(`[data-testid=signup-sent]`))
	link := signupLink(b.t, base, email)
	b.run("open the sign-up link", chromedp.Navigate(base+link), chromedp.WaitVisible(`[data-testid=signup-confirm]`))
	b.run("create the account", chromedp.Click(`[data-testid=signup-confirm]`), chromedp.WaitVisible(`[data-testid=new-thread]`))
}

// signUpHTTP signs up over HTTP with hc (its cookie jar then holds the
// session): the form, then the mailed link.
func signUpHTTP(t *testing.T, base string, hc *http.Client, name, email string) {
	t.Helper()
	post := func(path string, f url.Values) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := post("/signup", url.Values{"name": {name}, "email": {email}, "password": {"correct horse"}}); got != http.StatusOK {
		t.Fatalf("sign up %s: %d", email, got)
	}
	if got := post(signupLink(t, base, email), nil); got != http.StatusOK {
		t.Fatalf("confirm the sign-up of %s: %d (after redirects)", email, got)
	}
}
