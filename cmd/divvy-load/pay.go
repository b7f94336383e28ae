package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// task is one due share to pay: who pays which split.
type task struct {
	t     *thread
	split int64
	payer *browser
}

func (k task) payPath() string { return fmt.Sprintf("/threads/%d/splits/%d/pay", k.t.id, k.split) }

// splitSpec is a split to post in a thread.
type splitSpec struct {
	collector *browser
	people    []*browser
	total     string // as people type it: 47,50
}

// createSplits posts splits in a thread as its organizer (equal split,
// EUR) and returns their ids, read from the thread page by title.
func (h *harness) createSplits(ctx context.Context, s *site, t *thread, specs []splitSpec) ([]int64, error) {
	titles := make([]string, len(specs))
	for i, sp := range specs {
		titles[i] = fmt.Sprintf("Split %06d", h.w.splits.Add(1))
		form := url.Values{"title": {titles[i]}, "total": {sp.total}, "currency": {"EUR"},
			"collector": {strconv.FormatInt(sp.collector.id, 10)}, "mode": {"equal"}}
		for _, b := range sp.people {
			form.Add("people", strconv.FormatInt(b.id, 10))
		}
		if _, err := s.post(ctx, t.org, t.path("/splits"), form, 303); err != nil {
			return nil, err
		}
	}
	p, err := s.get(ctx, t.org, t.path(""), 200)
	if err != nil {
		return nil, err
	}
	on := splitsOn(p.body)
	ids := make([]int64, len(specs))
	for i, title := range titles {
		id, ok := on[title]
		if !ok {
			return nil, fmt.Errorf("split %q not on its thread page", title)
		}
		ids[i] = id
	}
	return ids, nil
}

// randomTotal is a bill between 12 and 240 euros, typed the French way.
func (h *harness) randomTotal() string {
	cents := 1200 + h.w.intn(22800)
	return fmt.Sprintf("%d,%02d", cents/100, cents%100)
}

// poolSplit is a split of a pool thread: a random member collects, every
// payer takes part (the organizer only when collecting).
func (h *harness) poolSplit(t *thread) splitSpec {
	all := append([]*browser{t.org}, t.payers...)
	collector := all[h.w.intn(len(all))]
	people := t.payers
	if collector == t.org {
		people = all
	}
	return splitSpec{collector: collector, people: people, total: h.randomTotal()}
}

// refill makes splits in the pool threads until every pay worker has at
// least perWorker due shares queued.
func (h *harness) refill(ctx context.Context, s *site, perWorker int) error {
	w := h.w
	h.prog.phase("seed: splits to pay", 0)
	for w.shortest() < perWorker {
		err := parallel(ctx, len(w.pool), 8, func(ctx context.Context, i int) error {
			t := w.pool[i]
			specs := []splitSpec{h.poolSplit(t), h.poolSplit(t)}
			ids, err := h.createSplits(ctx, s, t, specs)
			if err != nil {
				return err
			}
			h.prog.ops.Add(int64(len(ids)))
			w.qmu.Lock()
			defer w.qmu.Unlock()
			for j, sp := range specs {
				for _, b := range sp.people {
					if b != sp.collector && b != t.org {
						o := w.owner[b]
						w.queues[o] = append(w.queues[o], task{t: t, split: ids[j], payer: b})
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Each worker pays its people's shares in a random order, thread after thread.
	w.qmu.Lock()
	defer w.qmu.Unlock()
	for _, q := range w.queues {
		w.rngMu.Lock()
		w.rng.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
		w.rngMu.Unlock()
	}
	return nil
}

// payShare pays one due share as a browser does: the pay page (its form holds
// the payment id), then the form posted with the PIN. It returns the
// post's latency; the answer must be the redirect to the paid split.
func (h *harness) payShare(ctx context.Context, s *site, k task, pin string) (time.Duration, error) {
	r, err := h.payShareTimed(ctx, s, k, pin)
	return r.lat, err
}

// payment is a payment made: its id (the ledger transfer's), when its
// post was sent and how long the answer took.
type payment struct {
	id   string
	sent time.Time
	lat  time.Duration
}

// payShareTimed is payShare that also says which payment it made and when.
func (h *harness) payShareTimed(ctx context.Context, s *site, k task, pin string) (payment, error) {
	p, err := s.get(ctx, k.payer, k.payPath(), 200, 303)
	if err != nil {
		return payment{}, err
	}
	if p.status == 303 {
		return payment{}, h.noLongerDue(ctx, k, p.location)
	}
	id, err := paymentIDOf(p.body)
	if err != nil {
		return payment{}, err
	}
	r := payment{id: id, sent: time.Now()}
	p, err = s.post(ctx, k.payer, k.payPath(), url.Values{"payment_id": {id}, "pin": {pin}}, 303)
	r.lat = time.Since(r.sent)
	if err != nil {
		return r, err
	}
	if want := fmt.Sprintf("/threads/%d#split-%d", k.t.id, k.split); p.location != want {
		return r, fmt.Errorf("POST %s: redirected to %q, not the paid split", route(k.payPath()), p.location)
	}
	return r, nil
}

// errNoLongerDue: the share a task was queued for was covered before its
// payer came to it. The pool threads' splits have different collectors, so
// a payer can come to exactly even in a thread, and the server then covers
// their outstanding shares by offsets (the balances' "even members" rule):
// their pay page sends them back to the split, and there is nothing to pay.
var errNoLongerDue = errors.New("share no longer due")

// noLongerDue checks that a pay page that sent its payer back to the split
// did so because the share was covered, which the database must say (a
// cover nothing undid); any other reason is an unexpected answer.
func (h *harness) noLongerDue(ctx context.Context, k task, location string) error {
	bad := fmt.Errorf("GET %s: status 303 to %q, want [200]", route(k.payPath()), location)
	if h.db == nil || k.payer.id == 0 || location != fmt.Sprintf("/threads/%d#split-%d", k.t.id, k.split) {
		return bad
	}
	var covered bool
	err := h.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM shares sh JOIN share_payments p ON p.share_id = sh.id
		WHERE sh.split_id = $1 AND sh.user_id = $2 AND p.kind = 'cover' AND p.undone_by IS NULL)`, k.split, k.payer.id).Scan(&covered)
	if err != nil || !covered {
		return bad
	}
	h.covered.Add(1)
	return errNoLongerDue
}
