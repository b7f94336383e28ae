package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// What every payer types. PINs such as 123456 are refused as too simple.
const (
	payPIN   = "271828"
	wrongPIN = "135791"
	testCard = "4242 4242 4242 4242" // the sandbox approves it
)

// thread is a thread of the seeded world.
type thread struct {
	id     int64
	name   string
	org    *browser   // the organizer, who created it
	payers []*browser // the other members, each with payments set up
	invite string     // join token
}

func (t *thread) path(s string) string { return "/threads/" + strconv.FormatInt(t.id, 10) + s }

// world is everything seeded: people, threads, and the due shares left to
// pay, queued per pay worker so that no two workers pay as the same person
// at once (nobody pays two things at the same instant).
type world struct {
	orgs   []*browser
	payers []*browser
	pool   []*thread // where the pay scenarios pay, spread over many splits
	page   *thread   // 50 messages, 5 splits
	live   *thread   // 20 members, the event streams' thread
	hot    *thread   // the organizer and c friends
	bal    *thread   // 20 members, the balances scenario's 2 000 splits
	// balSettled: the balances thread's first settle-up round is done.
	balSettled bool
	owner      map[*browser]int
	qmu        sync.Mutex
	queues     [][]task
	splits     atomic.Int64 // splits made, for unique titles
	rng        *rand.Rand
	rngMu      sync.Mutex
	// setupRate is payment setups per second while seeding: each hashes a
	// PIN through the server's two hash slots, so it is about the PIN hash
	// rate, which sizes the PIN flood.
	setupRate float64
}

func (w *world) intn(n int) int {
	w.rngMu.Lock()
	defer w.rngMu.Unlock()
	return w.rng.IntN(n)
}

// pop takes worker i's next due share.
func (w *world) pop(i int) (task, bool) {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	q := w.queues[i]
	if len(q) == 0 {
		return task{}, false
	}
	w.queues[i] = q[1:]
	return q[0], true
}

func (w *world) shortest() int {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	n := -1
	for _, q := range w.queues {
		if n < 0 || len(q) < n {
			n = len(q)
		}
	}
	return n
}

// seed builds the world over HTTP on the PIN server: organizers sign up
// and open threads of 4 to 20 members, friends join from invite links as
// guests and set up payments (card, PIN, activation code), the page
// thread gets its 50 messages and 5 splits.
func (h *harness) seed(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	began := time.Now()
	c := h.cfg.c
	nOrgs, nPayers, nPool := 8, max(4*c, 64), 48
	if h.cfg.quick {
		nOrgs, nPayers, nPool = 4, max(2*c, 40), 16
	}
	w := &world{owner: map[*browser]int{}, queues: make([][]task, c), rng: rand.New(rand.NewPCG(1, 2))}
	h.w = w
	tag := h.in.runID

	h.prog.phase("seed: organizers sign up", 0)
	for i := range nOrgs {
		w.orgs = append(w.orgs, &browser{name: fmt.Sprintf("Organizer %d", i+1), email: fmt.Sprintf("org-%s-%d@load.divvy.test", tag, i+1)})
	}
	err = parallel(ctx, nOrgs, 4, func(ctx context.Context, i int) error {
		b := w.orgs[i]
		if _, err := s.post(ctx, b, "/signup", url.Values{"name": {b.name}, "email": {b.email}, "password": {"load-" + tag + "-password"}}, 200); err != nil {
			return err
		}
		link, err := h.signupLink(ctx, s, b.email)
		if err != nil {
			return err
		}
		_, err = s.post(ctx, b, link, nil, 303)
		return err
	})
	if err != nil {
		return err
	}
	for i := range nPayers {
		b := &browser{name: fmt.Sprintf("Payer %03d", i+1), email: fmt.Sprintf("payer-%s-%d@load.divvy.test", tag, i+1)}
		w.payers = append(w.payers, b)
		w.owner[b] = i % c
	}

	// Threads and who is in them: the page, live and hot threads take the
	// first payers; pool threads take the next 3 to 19 in turn, so every
	// payer is in about as many threads as the others.
	h.prog.phase("seed: threads", 0)
	var threads []*thread
	newThread := func(name string, org *browser, payers []*browser) *thread {
		t := &thread{name: name, org: org, payers: payers}
		threads = append(threads, t)
		return t
	}
	w.page = newThread("Page thread", w.orgs[0], w.payers[:9])
	w.live = newThread("Live thread", w.orgs[1%nOrgs], w.payers[:19])
	w.hot = newThread("Hot thread", w.orgs[2%nOrgs], w.payers[:min(c, nPayers)])
	if h.cfg.run["balances"] {
		w.bal = newThread("Balances thread", w.orgs[3%nOrgs], w.payers[:19])
	}
	next := 0
	for i := range nPool {
		n := 3 + w.intn(17)
		var ps []*browser
		for range n {
			ps = append(ps, w.payers[next%nPayers])
			next++
		}
		w.pool = append(w.pool, newThread(fmt.Sprintf("Pool %02d", i+1), w.orgs[i%nOrgs], ps))
	}
	if err := parallel(ctx, len(threads), 8, func(ctx context.Context, i int) error {
		return h.openThread(ctx, s, threads[i])
	}); err != nil {
		return err
	}

	h.prog.phase("seed: friends join", 0)
	joins := map[*browser][]*thread{}
	for _, t := range threads {
		for _, p := range t.payers {
			joins[p] = append(joins[p], t)
		}
	}
	if err := parallel(ctx, nPayers, 8, func(ctx context.Context, i int) error {
		p := w.payers[i]
		for _, t := range joins[p] {
			if err := h.join(ctx, s, t, p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}

	h.prog.phase("seed: payment setups", 0)
	t0 := time.Now()
	if err := parallel(ctx, nPayers, 8, func(ctx context.Context, i int) error {
		h.prog.ops.Add(1)
		return h.setupPayments(ctx, s, w.payers[i])
	}); err != nil {
		return err
	}
	w.setupRate = float64(nPayers) / time.Since(t0).Seconds()

	h.prog.phase("seed: member ids", 0)
	if err := parallel(ctx, len(threads), 8, func(ctx context.Context, i int) error {
		return h.readMembers(ctx, s, threads[i])
	}); err != nil {
		return err
	}

	h.prog.phase("seed: page thread", 0)
	if err := h.fillPageThread(ctx, s); err != nil {
		return err
	}
	members := 0
	for _, t := range w.pool {
		members += 1 + len(t.payers)
	}
	h.report(row{Scenario: "seed", Server: withPIN, Rate: nanf(), P50: nanf(), P99: nanf(), Errors: 0,
		Note: fmt.Sprintf("%d organizers, %d payers (payment setups %.0f/s), %d pool threads of 4-20 (avg %.1f members), page/live/hot threads; %s",
			nOrgs, nPayers, w.setupRate, nPool, float64(members)/float64(nPool), time.Since(began).Round(100*time.Millisecond))})
	return nil
}

// openThread creates the thread as its organizer and reads its invite link.
func (h *harness) openThread(ctx context.Context, s *site, t *thread) error {
	p, err := s.post(ctx, t.org, "/threads", url.Values{"name": {t.name}, "currency": {"EUR"}}, 303)
	if err != nil {
		return err
	}
	m := reThreadPath.FindStringSubmatch(p.location)
	if m == nil {
		return fmt.Errorf("new thread: redirected to %q, not the thread", p.location)
	}
	t.id, _ = strconv.ParseInt(m[1], 10, 64)
	p, err = s.get(ctx, t.org, t.path("/invite"), 200)
	if err != nil {
		return err
	}
	inv := reInviteURL.FindSubmatch(p.body)
	if inv == nil {
		return errors.New("invite page without an invite link")
	}
	_, token, ok := strings.Cut(html.UnescapeString(string(inv[1])), "/join/")
	if !ok {
		return fmt.Errorf("invite link %q is not a join link", inv[1])
	}
	t.invite = token
	return nil
}

// join opens the thread's invite link: a newcomer joins as a guest with a
// name (and gets the session cookie), someone signed in in one tap.
func (h *harness) join(ctx context.Context, s *site, t *thread, b *browser) error {
	form := url.Values{}
	if b.session() == "" {
		form.Set("name", b.name)
	}
	p, err := s.post(ctx, b, "/join/"+t.invite, form, 303)
	if err != nil {
		return err
	}
	if p.location != t.path("") {
		return fmt.Errorf("join: redirected to %q, not the thread", p.location)
	}
	if b.session() == "" {
		return errors.New("join: no session cookie")
	}
	return nil
}

// setupPayments sets up payments as a first-time payer does: the card and
// a PIN, then the 6-digit code sent to the contact.
func (h *harness) setupPayments(ctx context.Context, s *site, b *browser) error {
	_, err := s.post(ctx, b, "/payments/setup", url.Values{
		"legal_name": {b.name}, "contact": {b.email}, "card_number": {testCard},
		"exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"},
		"pin": {payPIN}, "pin_confirm": {payPIN}, "next": {"/"},
	}, 303)
	if err != nil {
		return err
	}
	code, err := h.activationCode(ctx, s, b.email)
	if err != nil {
		return err
	}
	_, err = s.post(ctx, b, "/payments/activate", url.Values{"code": {code}, "next": {"/"}}, 303)
	return err
}

var reSixDigits = regexp.MustCompile(`[0-9]{6}`)

var reSignupLink = regexp.MustCompile(`/signup/confirm/[A-Za-z0-9_-]+`)

// signupLink reads the path of the link that finishes email's sign-up
// from the development notifier's mail, like activationCode.
func (h *harness) signupLink(ctx context.Context, s *site, email string) (string, error) {
	for range 50 {
		if h.db != nil {
			var body string
			err := h.db.QueryRowContext(ctx, `SELECT body FROM outbox WHERE recipient = $1 AND kind = 'signup_confirm'
				ORDER BY id DESC LIMIT 1`, email).Scan(&body)
			if link := reSignupLink.FindString(body); err == nil && link != "" {
				return link, nil
			}
		} else {
			p, err := s.get(ctx, nil, "/dev/outbox", 200)
			if err != nil {
				return "", err
			}
			for _, it := range reOutboxItem.FindAll(p.body, -1) {
				if strings.Contains(html.UnescapeString(string(it)), " · "+email+" · ") {
					if link := reSignupLink.Find(it); link != nil {
						return string(link), nil
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("no sign-up link for %s in the outbox", email)
}

var reOutboxItem = regexp.MustCompile(`(?s)<li class="card">.*?</li>`)

// activationCode reads the code the development notifier kept: from the
// outbox table when the harness has the database, else from /dev/outbox.
func (h *harness) activationCode(ctx context.Context, s *site, email string) (string, error) {
	for range 50 {
		if h.db != nil {
			var subject string
			err := h.db.QueryRowContext(ctx, `SELECT subject FROM outbox WHERE recipient = $1 AND kind = 'activation_code'
				ORDER BY id DESC LIMIT 1`, email).Scan(&subject)
			if err == nil {
				if code := reSixDigits.FindString(subject); code != "" {
					return code, nil
				}
			}
		} else {
			p, err := s.get(ctx, nil, "/dev/outbox", 200)
			if err != nil {
				return "", err
			}
			for _, m := range reOutboxCode.FindAllSubmatch(p.body, -1) {
				if html.UnescapeString(string(m[2])) == email {
					return string(m[1]), nil
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("no activation code for %s in the outbox", email)
}

// readMembers reads the user ids of a thread's members from its split form.
func (h *harness) readMembers(ctx context.Context, s *site, t *thread) error {
	p, err := s.get(ctx, t.org, t.path("/splits/new"), 200)
	if err != nil {
		return err
	}
	ids, err := membersOf(p.body)
	if err != nil {
		return err
	}
	for _, b := range append([]*browser{t.org}, t.payers...) {
		id, ok := ids[b.name]
		if !ok {
			return fmt.Errorf("%s is not a member of %s", b.name, t.name)
		}
		b.id = id
	}
	return nil
}

// fillPageThread gives the page thread 5 splits, a few card payments and
// text messages up to 50 messages in all: one full page.
func (h *harness) fillPageThread(ctx context.Context, s *site) error {
	t := h.w.page
	people := append([]*browser{t.org}, t.payers...)
	var specs []splitSpec
	for _, total := range []string{"47,50", "120,00", "33,30", "86,00", "64,20"} {
		specs = append(specs, splitSpec{collector: t.org, people: people, total: total})
	}
	ids, err := h.createSplits(ctx, s, t, specs)
	if err != nil {
		return err
	}
	for i, id := range ids {
		for _, b := range []*browser{t.payers[2*i%len(t.payers)], t.payers[(2*i+1)%len(t.payers)]} {
			if _, err := h.payShare(ctx, s, task{t: t, split: id, payer: b}, payPIN); err != nil {
				return err
			}
		}
	}
	lines := []string{"Who's bringing the drinks?", "I can pick up the pizzas at 8", "Same place as last time?",
		"Running 10 minutes late, sorry!", "Table for 10 booked 👍", "Does anyone have change for the tip?"}
	p, err := s.get(ctx, t.org, t.path(""), 200)
	if err != nil {
		return err
	}
	for i := messagesOn(p.body); i < 50; i++ {
		b := people[i%len(people)]
		if _, err := s.post(ctx, b, t.path("/messages"), url.Values{"body": {lines[i%len(lines)]}}, 303); err != nil {
			return err
		}
	}
	p, err = s.get(ctx, t.org, t.path(""), 200)
	if err != nil {
		return err
	}
	if n := messagesOn(p.body); n != 50 || strings.Contains(string(p.body), `data-testid="earlier"`) {
		return fmt.Errorf("page thread shows %d messages (earlier: %v), want exactly 50", n, strings.Contains(string(p.body), `data-testid="earlier"`))
	}
	if n := len(splitsOn(p.body)); n != 5 {
		return fmt.Errorf("page thread shows %d splits, want 5", n)
	}
	return nil
}
