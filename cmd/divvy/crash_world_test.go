package main

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/money"
	"divvy/db/sandbox"
)

// What every person of the crash loop types: only right PINs, so any
// refusal of a PIN is the server's fault.
const (
	crashPIN  = "271828"
	crashCard = "4242 4242 4242 4242" // the sandbox approves it
	crashIBAN = "DE89370400440532013000"
)

// crashWorld is one thread: the organizer collects every split, the
// friends pay, by card with the PIN or in cash. The test reads the state
// through its own store, which outlives every kill of the server.
type crashWorld struct {
	t       *testing.T
	store   *db.DB
	thread  int64
	org     *crashPerson
	payers  []*crashPerson
	members []db.Member

	mu       sync.Mutex
	splits   []int64 // every split made, oldest first
	acked    crashAcks
	round    *crashRound // the iteration running now
	lastKill time.Time
	// The unlucky friend pays only when the killer is armed, so that each
	// of their payments dies at a random point: the way a person gets
	// locked out by tries that were counted but never checked (issue 13).
	unlucky *crashPerson
	armed   chan struct{} // the killer waits for the unlucky friend's next pay post
	paying  chan struct{} // that post leaves
	payTook atomic.Int64  // how long the last answered pay post took, in ns
}

// crashPerson is one person and their browser.
type crashPerson struct {
	name, email string
	id          int64
	web         *webClient
	// unanswered is a pay form whose post got no answer (the server died):
	// the browser posts the same form again, as a person does.
	unanswered url.Values
	payPath    string
	// waitedForPIN: the final check's right PIN was refused for a while.
	waitedForPIN bool
}

// crashAcks is every operation the server acknowledged with its 303.
type crashAcks struct {
	card    map[string]int64 // payment id -> share
	cash    map[int64]bool   // shares whose cash confirmation was answered
	cancels map[int64]bool   // splits
	payouts map[string]bool  // payout ids
	// noEffect counts acknowledged operations that did not take effect.
	noEffect map[string]int
}

func (a crashAcks) total() int { return len(a.card) + len(a.cash) + len(a.cancels) + len(a.payouts) }

// crashRound counts what the clients saw during one iteration, by
// operation and outcome: "pay ok", "pay no answer", "pay 409", "pay
// right PIN refused", ...
type crashRound struct {
	mu   sync.Mutex
	seen map[string]int
}

func (r *crashRound) note(what string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]int{}
	}
	r.seen[what]++
}

func (r *crashRound) count(what string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[what]
}

func (r *crashRound) add(o *crashRound) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, n := range o.seen {
		for range n {
			r.note(k)
		}
	}
}

// String lists the outcomes, most frequent first.
func (r *crashRound) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([]string, 0, len(r.seen))
	for k := range r.seen {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if r.seen[keys[i]] != r.seen[keys[j]] {
			return r.seen[keys[i]] > r.seen[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, r.seen[k])
	}
	return strings.Join(parts, ", ")
}

// newCrashWorld makes the people and the thread through the store (what
// the crash loop tests is paying, not signing up), sets up and activates
// everyone's payments with the server's secrets, and signs each browser in
// over HTTP.
func newCrashWorld(t *testing.T, store *db.DB, sandboxKey string, base string, payers int) *crashWorld {
	ctx := context.Background()
	provider, err := sandbox.New([]byte(sandboxKey), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	w := &crashWorld{t: t, store: store, armed: make(chan struct{}, 1), paying: make(chan struct{}, 1), acked: crashAcks{card: map[string]int64{}, cash: map[int64]bool{},
		cancels: map[int64]bool{}, payouts: map[string]bool{}, noEffect: map[string]int{}}}
	people := make([]*crashPerson, payers+1)
	var wg sync.WaitGroup
	for i := range people {
		p := &crashPerson{name: fmt.Sprintf("Friend %d", i), email: fmt.Sprintf("friend%d@crash.divvy.test", i), web: newWebClient(base)}
		if i == 0 {
			p.name, p.email = "Olivia", "olivia@crash.divvy.test"
		}
		people[i] = p
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.enrol(ctx, p, provider); err != nil {
				t.Errorf("seed %s: %v", p.name, err)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	w.org, w.payers, w.unlucky = people[0], people[1:], people[1]
	g, err := store.CreateThread(ctx, w.org.id, db.NewThread{Name: "Crash Friday", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	w.thread = g.ID
	token, err := store.InviteToken(ctx, g.ID, w.org.id)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range w.payers {
		if _, err := store.JoinByInvite(ctx, token, p.id); err != nil {
			t.Fatal(err)
		}
	}
	if w.members, err = store.Members(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	return w
}

// enrol makes a person's account and active payments, and signs their
// browser in.
func (w *crashWorld) enrol(ctx context.Context, p *crashPerson, provider db.PaymentProvider) error {
	password := "crash loop password"
	u, err := w.store.CreateUser(ctx, db.SignUp{DisplayName: p.name, Email: p.email, Password: password, Locale: "en"})
	if err != nil {
		return err
	}
	p.id = u.ID
	codes := make(codeCatcher, 4)
	_, err = w.store.SetupPayments(ctx, p.id, provider, codes, db.PaymentSetup{LegalName: p.name, Contact: p.email,
		Card: db.CardInput{Number: crashCard, ExpMonth: "12", ExpYear: "35", CVC: "123"}, PIN: crashPIN, PINConfirm: crashPIN})
	if err != nil {
		return err
	}
	if err := w.store.ActivatePayments(ctx, p.id, <-codes); err != nil {
		return err
	}
	a := p.web.post("/login", url.Values{"email": {p.email}, "password": {password}})
	if a.err != nil || a.status != 303 {
		return fmt.Errorf("log in: %d %v", a.status, a.err)
	}
	return nil
}

// codeCatcher is the notifier of the seeding: it hands over the activation code.
type codeCatcher chan string

func (c codeCatcher) Notify(_ context.Context, n db.Notification) error {
	code, _ := n.Data["code"].(string)
	c <- code
	return nil
}

var (
	rePaymentID = regexp.MustCompile(`name="payment_id" value="([^"]+)"`)
	rePayoutID  = regexp.MustCompile(`name="payout_id" value="([^"]+)"`)
)

// newSplit makes an equal split of the thread that the organizer collects
// (or, for the last PIN check, someone else collects).
func (w *crashWorld) newSplit(collector *crashPerson, people []*crashPerson) (int64, error) {
	ctx := context.Background()
	w.mu.Lock()
	n := len(w.splits)
	w.mu.Unlock()
	d := db.SplitDraft{Title: fmt.Sprintf("Round %d", n+1), Total: fmt.Sprintf("%d,%02d", 20+n%40, n%100), Currency: "EUR",
		CollectorID: collector.id, Mode: money.ModeEqual}
	for _, p := range people {
		d.People = append(d.People, p.id)
	}
	plan, problems := d.Plan(w.members)
	if len(problems) > 0 {
		return 0, fmt.Errorf("split plan: %v", problems)
	}
	id, err := w.store.CreateSplit(ctx, w.thread, w.org.id, plan)
	if err != nil {
		return 0, err
	}
	w.mu.Lock()
	w.splits = append(w.splits, id)
	w.mu.Unlock()
	return id, nil
}

// openSplits reads the splits not closed, as the app shows them.
func (w *crashWorld) openSplits(ctx context.Context) ([]db.Split, error) {
	w.mu.Lock()
	ids := append([]int64(nil), w.splits...)
	w.mu.Unlock()
	m, err := w.store.Splits(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []db.Split
	for _, id := range ids {
		if s := m[id]; s.Status == db.SplitOpen {
			out = append(out, s)
		}
	}
	return out, nil
}

func (w *crashWorld) splitPath(splitID int64) string {
	return fmt.Sprintf("/threads/%d/splits/%d", w.thread, splitID)
}
