package main

import (
	"context"
	"fmt"
	"html"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"

	"divvy/db"
)

// killMoment waits for a random moment to kill the server: after at
// least min, at a random point of the unlucky friend's next pay post.
func (w *crashWorld) killMoment(rng *rand.Rand, min time.Duration) time.Duration {
	start := time.Now()
	time.Sleep(min)
	select {
	case <-w.paying: // a post that got its answer
	default:
	}
	w.armed <- struct{}{}
	select {
	case <-w.paying:
		if took := w.payTook.Load(); took > 0 {
			// 5-40% into it: while its PIN is checked, before the
			// charge (the fault run of issue 13 found the lock-out with
			// kills 15-60% into a pay post, before intents made the
			// charge longer).
			time.Sleep(time.Duration(took/20 + rng.Int64N(took*35/100)))
		}
	case <-time.After(2 * time.Second):
		select {
		case <-w.armed: // the unlucky friend had nothing to pay
		default:
		}
	}
	return time.Since(start)
}

// judge notes an answer to an operation and says whether it is the 303
// that acknowledges it (a redirect that starts with want). A refusal is
// noted by its status and, when the page names one, the problem field.
func (w *crashWorld) judge(what string, a answer, want string) bool {
	ok := a.err == nil && a.status == 303 && strings.HasPrefix(a.location, want)
	switch {
	case ok:
		w.round.note(what + " ok")
	case a.err != nil:
		w.round.note(what + " no answer")
	case strings.Contains(a.body, `data-testid="problem-pin"`):
		w.round.note(what + " right PIN refused")
	case a.status >= 500:
		// What the page says tells apart the database, the provider, a full hash queue.
		w.round.note(fmt.Sprintf("%s %d%s", what, a.status, says(a.body)))
	default:
		w.round.note(fmt.Sprintf("%s %d", what, a.status))
	}
	return ok
}

// payer plays one friend until ctx ends: pay a due share by card (or post
// again the form that got no answer), or say "I paid another way".
func (w *crashWorld) payer(ctx context.Context, p *crashPerson, rng *rand.Rand) {
	for ctx.Err() == nil {
		if p == w.unlucky {
			select {
			case <-w.armed:
			case <-ctx.Done():
				return
			}
		}
		// The unlucky friend always loads a new form: a form posted again
		// is refused while the first post is taken to be running, before
		// the PIN, and their PIN is what this friend is here for.
		if p.unanswered != nil && p != w.unlucky && rng.IntN(2) == 0 {
			w.postPayment(p, p.payPath, p.unanswered)
			continue
		}
		p.unanswered = nil
		splits, err := w.openSplits(ctx)
		if err != nil {
			continue
		}
		var due []db.Split
		for _, s := range splits {
			if sh, ok := s.ShareOf(p.id); ok && sh.Status == db.ShareDue {
				due = append(due, s)
			}
		}
		if len(due) == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		s := due[rng.IntN(len(due))]
		sh, _ := s.ShareOf(p.id)
		if rng.IntN(4) == 0 && p != w.unlucky {
			w.judge("cash claim", p.web.post(fmt.Sprintf("%s/shares/%d/cash", w.splitPath(s.ID), sh.ID), url.Values{}), "/threads/")
			continue
		}
		page := p.web.get(w.splitPath(s.ID) + "/pay")
		m := rePaymentID.FindStringSubmatch(page.body)
		if m == nil {
			w.judge("pay page", page, "")
			continue
		}
		w.postPayment(p, w.splitPath(s.ID)+"/pay", url.Values{"payment_id": {html.UnescapeString(m[1])}, "pin": {crashPIN}})
	}
}

// postPayment posts a pay form and records what the answer says.
func (w *crashWorld) postPayment(p *crashPerson, path string, form url.Values) {
	if p == w.unlucky {
		select {
		case w.paying <- struct{}{}:
		default:
		}
	}
	sent := time.Now()
	a := p.web.post(path, form)
	if a.err == nil {
		w.payTook.Store(int64(time.Since(sent)))
	}
	splitID, _ := strconv.ParseInt(strings.Split(path, "/")[4], 10, 64)
	what := "pay"
	if p.unanswered != nil {
		what = "pay again"
	}
	p.unanswered = nil
	if w.judge(what, a, fmt.Sprintf("/threads/%d#split-%d", w.thread, splitID)) {
		w.mu.Lock()
		w.acked.card[form.Get("payment_id")] = splitID
		w.mu.Unlock()
	} else if a.err != nil {
		p.unanswered, p.payPath = form, path
	}
}

// organizer plays the organizer until ctx ends: keeps a few splits open,
// confirms cash, now and then cancels a split or withdraws 1 €.
func (w *crashWorld) organizer(ctx context.Context, rng *rand.Rand) {
	o := w.org
	// A person stops tapping "confirm" on a share that stays pending.
	tries := map[int64]int{}
	for ctx.Err() == nil {
		splits, err := w.openSplits(ctx)
		if err != nil {
			continue
		}
		if len(splits) < 4 {
			if _, err := w.newSplit(o, append([]*crashPerson{o}, w.payers...)); err != nil {
				w.t.Errorf("new split: %v", err)
				return
			}
			continue
		}
		switch r := rng.IntN(20); {
		case r < 2:
			s := splits[rng.IntN(len(splits))]
			if w.judge("cancel", o.web.post(w.splitPath(s.ID)+"/cancel", url.Values{}), "/threads/") {
				w.mu.Lock()
				w.acked.cancels[s.ID] = true
				w.mu.Unlock()
			}
		case r < 4:
			w.withdraw(o)
		default:
			for _, s := range splits {
				for _, sh := range s.Shares {
					if sh.Status != db.SharePending || ctx.Err() != nil || tries[sh.ID] >= 3 {
						continue
					}
					tries[sh.ID]++
					if w.judge("confirm cash", o.web.post(fmt.Sprintf("%s/shares/%d/confirm", w.splitPath(s.ID), sh.ID), url.Values{}), "/threads/") {
						w.confirmed(s.ID, sh)
					}
				}
			}
			time.Sleep(time.Duration(10+rng.IntN(30)) * time.Millisecond)
		}
	}
}

// confirmed notes an acknowledged cash confirmation and checks that it
// took effect: the share is paid when the answer comes (only the organizer
// could undo it, by a cancel, and the organizer is here).
func (w *crashWorld) confirmed(splitID int64, sh db.Share) {
	w.mu.Lock()
	w.acked.cash[sh.ID] = true
	w.mu.Unlock()
	s, err := w.store.SplitInThread(context.Background(), w.thread, splitID)
	if err != nil {
		w.t.Errorf("read split %d: %v", splitID, err)
		return
	}
	if now, _ := s.ShareOf(sh.UserID); now.Status != db.SharePaid {
		w.round.note("confirm cash ok but not paid")
		w.mu.Lock()
		w.acked.noEffect[fmt.Sprintf("cash confirmation of %s's share %d in split %d (share %s after the 303)", sh.Name, sh.ID, splitID, now.Status)]++
		w.mu.Unlock()
	}
}

// withdraw takes 1 € out to a bank account, with the PIN.
func (w *crashWorld) withdraw(o *crashPerson) {
	page := o.web.get("/money")
	m := rePayoutID.FindStringSubmatch(page.body)
	if m == nil {
		w.judge("money page", page, "")
		return
	}
	id := html.UnescapeString(m[1])
	a := o.web.post("/money/withdraw", url.Values{"payout_id": {id}, "amount": {"1,00"}, "currency": {"EUR"},
		"iban": {crashIBAN}, "pin": {crashPIN}})
	if w.judge("withdraw", a, "/money") {
		w.mu.Lock()
		w.acked.payouts[id] = true
		w.mu.Unlock()
	}
}
