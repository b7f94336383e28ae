package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// sessionCookie is the session cookie's name in development.
const sessionCookie = "divvy"

// site is one server as browsers reach it: its origin and a pool of
// connections big enough for every client of a scenario.
type site struct {
	base   string
	client *http.Client
}

func newTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 4096,
		MaxConnsPerHost:     0, // unlimited: one per stream
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
}

// newSite returns a client of base that, like a browser's fetch with
// redirect "manual", hands back redirects instead of following them: a
// 303 is the answer a form post is judged by.
func newSite(base string, timeout time.Duration) *site {
	return &site{base: base, client: &http.Client{
		Transport:     newTransport(),
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (s *site) close() { s.client.CloseIdleConnections() }

// browser is one person's browser: the session cookie the server set.
type browser struct {
	name  string
	email string // organizers sign up with one; payers give it as contact
	id    int64  // user id, read from the split form

	mu     sync.Mutex
	cookie string
}

func (b *browser) session() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cookie
}

func (b *browser) keep(res *http.Response) {
	if b == nil {
		return
	}
	for _, c := range res.Cookies() {
		if c.Name != sessionCookie {
			continue
		}
		b.mu.Lock()
		if c.MaxAge < 0 || c.Value == "" {
			b.cookie = ""
		} else {
			b.cookie = c.Value
		}
		b.mu.Unlock()
	}
}

// page is a response as the harness keeps it.
type page struct {
	status   int
	location string
	body     []byte
}

// newRequest makes a request the way a browser on the site's own pages
// does: the session cookie, and for anything but GET the Origin of the
// page and Sec-Fetch-Site (the server refuses cross-origin posts).
func (s *site) newRequest(ctx context.Context, b *browser, method, path string, form url.Values) (*http.Request, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, body)
	if err != nil {
		return nil, err
	}
	h := req.Header
	h.Set("User-Agent", "divvy-load/1 (like a browser)")
	h.Set("Accept-Language", "en")
	if form != nil {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method != http.MethodGet && method != http.MethodHead {
		h.Set("Origin", s.base)
		h.Set("Sec-Fetch-Site", "same-origin")
	}
	if c := b.session(); c != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c})
	}
	return req, nil
}

// do sends a request as b (nil: signed out) and reads the whole answer.
// A status other than those wanted is an error that says what the page said.
func (s *site) do(ctx context.Context, b *browser, method, path string, form url.Values, want ...int) (page, error) {
	req, err := s.newRequest(ctx, b, method, path, form)
	if err != nil {
		return page{}, err
	}
	res, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return page{}, fmt.Errorf("%s %s: %w", method, route(path), err)
	}
	defer res.Body.Close()
	p := page{status: res.StatusCode, location: res.Header.Get("Location")}
	p.body, err = io.ReadAll(res.Body)
	if err != nil {
		return p, fmt.Errorf("%s %s: read: %w", method, route(path), err)
	}
	b.keep(res)
	if len(want) > 0 && !slices.Contains(want, p.status) {
		return p, fmt.Errorf("%s %s: status %d, want %v%s", method, route(path), p.status, want, pageSays(p.body))
	}
	return p, nil
}

func (s *site) get(ctx context.Context, b *browser, path string, want ...int) (page, error) {
	return s.do(ctx, b, http.MethodGet, path, nil, want...)
}

func (s *site) post(ctx context.Context, b *browser, path string, form url.Values, want ...int) (page, error) {
	return s.do(ctx, b, http.MethodPost, path, form, want...)
}

var (
	reDigits = regexp.MustCompile(`/[0-9]+|/join/[A-Za-z0-9_-]+|/pay/[A-Za-z0-9_-]+`)
	reSays   = regexp.MustCompile(`data-testid="(?:error-message|flash-message|form-error|problem-[a-z_]+)"[^>]*>([^<]*)<`)
)

// route is a path with its ids and tokens taken out, so that errors of
// one kind are counted together.
func route(path string) string {
	path, _, _ = strings.Cut(path, "?")
	return reDigits.ReplaceAllStringFunc(path, func(s string) string {
		switch {
		case strings.HasPrefix(s, "/join/"):
			return "/join/{token}"
		case strings.HasPrefix(s, "/pay/"):
			return "/pay/{token}"
		}
		return "/{n}"
	})
}

// pageSays is the error or problem an error page shows, for messages.
func pageSays(body []byte) string {
	var says []string
	for _, m := range reSays.FindAllSubmatch(body, 3) {
		if t := strings.TrimSpace(html.UnescapeString(string(m[1]))); t != "" {
			says = append(says, t)
		}
	}
	if len(says) == 0 {
		return ""
	}
	return ": " + strings.Join(says, " / ")
}

// What the harness reads from pages, by their markup.
var (
	rePaymentID     = regexp.MustCompile(`name="payment_id" value="([^"]+)"`)
	reInviteURL     = regexp.MustCompile(`value="([^"]+)" data-testid="invite-url"`)
	reCollectorList = regexp.MustCompile(`(?s)<select id="f-collector" name="collector">(.*?)</select>`)
	reOption        = regexp.MustCompile(`<option value="([0-9]+)"[^>]*>([^<]*)</option>`)
	reSplitTitle    = regexp.MustCompile(`<h2><a href="/threads/[0-9]+/splits/([0-9]+)">([^<]*)</a></h2>`)
	reAfter         = regexp.MustCompile(`/events\?after=([0-9]+)`)
	reOutboxCode    = regexp.MustCompile(`<strong>Your Divvy code: ([0-9]{6})</strong> · ([^ <]+) ·`)
	reThreadPath    = regexp.MustCompile(`^/threads/([0-9]+)$`)
)

func paymentIDOf(body []byte) (string, error) {
	m := rePaymentID.FindSubmatch(body)
	if m == nil {
		return "", errors.New("pay page without a payment_id (payments not set up or share not due?)" + pageSays(body))
	}
	return html.UnescapeString(string(m[1])), nil
}

// membersOf reads the members of a thread from the split form's collector
// list: user id by display name.
func membersOf(body []byte) (map[string]int64, error) {
	m := reCollectorList.FindSubmatch(body)
	if m == nil {
		return nil, errors.New("split form without a collector list")
	}
	out := map[string]int64{}
	for _, o := range reOption.FindAllSubmatch(m[1], -1) {
		id, _ := strconv.ParseInt(string(o[1]), 10, 64)
		out[html.UnescapeString(string(o[2]))] = id
	}
	return out, nil
}

// splitsOn reads the split cards of a thread page: split id by title.
func splitsOn(body []byte) map[string]int64 {
	out := map[string]int64{}
	for _, m := range reSplitTitle.FindAllSubmatch(body, -1) {
		id, _ := strconv.ParseInt(string(m[1]), 10, 64)
		out[html.UnescapeString(string(m[2]))] = id
	}
	return out
}

// messagesOn counts the messages a thread page shows.
func messagesOn(body []byte) int { return strings.Count(string(body), `<li class="msg`) }

// lastEventOf reads where the page's live stream starts.
func lastEventOf(body []byte) (int64, error) {
	m := reAfter.FindSubmatch(body)
	if m == nil {
		return 0, errors.New("thread page without a live stream")
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}
