package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// pinFlood saturates the PIN check with wrong PINs from many accounts
// while the page scenario runs again, and compares the page's p99 with the
// page scenario alone. Each account gets 5 wrong PINs (the fifth locks its
// payments) and the flood moves on to the next; a locked account's answer
// costs no hash.
func (h *harness) pinFlood(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	c, d := h.cfg.c, h.cfg.duration
	// Enough accounts to keep the hash slots busy for the whole phase at
	// the hash rate seen while seeding, and then some.
	n := int(math.Ceil(h.w.setupRate*(d+h.cfg.warmup+time.Second).Seconds()*1.5/5)) + c
	accts, err := h.seedFlood(ctx, s, n)
	if err != nil {
		return err
	}
	alone := h.pageAlone
	if alone.Ops == 0 {
		m, _ := h.loadPage(ctx, s, "page (alone)", d)
		alone = loadRow("page", withPIN, "req/s", c, m, "")
	}

	var (
		stop          = make(chan struct{})
		wg            sync.WaitGroup
		wrong, locked atomic.Int64
		latMu         sync.Mutex
		lat           []time.Duration
	)
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []task
			for i := w; i < len(accts); i += c {
				mine = append(mine, accts[i])
			}
			if len(mine) == 0 {
				return
			}
			tries := make([]int, len(mine))
			form := make([]string, len(mine))
			var own []time.Duration
			defer func() { latMu.Lock(); lat = append(lat, own...); latMu.Unlock() }()
			for i := 0; ; {
				select {
				case <-stop:
					return
				default:
				}
				j := i % len(mine)
				k := mine[j]
				if form[j] == "" {
					p, err := s.get(ctx, k.payer, k.payPath(), 200)
					if err == nil {
						form[j], err = paymentIDOf(p.body)
					}
					if err != nil {
						h.errs.add("pinflood", err)
						h.prog.errs.Add(1)
						i++
						continue
					}
				}
				t := time.Now()
				p, err := s.post(ctx, k.payer, k.payPath(), url.Values{"payment_id": {form[j]}, "pin": {wrongPIN}},
					http.StatusUnprocessableEntity, http.StatusTooManyRequests)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					h.errs.add("pinflood", err)
					h.prog.errs.Add(1)
					i++
					continue
				}
				own = append(own, time.Since(t))
				if p.status == http.StatusTooManyRequests {
					locked.Add(1)
					i++
					continue
				}
				wrong.Add(1)
				if tries[j]++; tries[j] >= 5 {
					i++
				}
			}
		}()
	}
	m, _ := h.loadPage(ctx, s, "pinflood: page under a PIN flood", d)
	close(stop)
	wg.Wait()
	floodFor := time.Since(start)

	r := loadRow("pinflood-page", withPIN, "req/s", c, m, "")
	p99Ratio := ratio(r.P99, alone.P99)
	r.Note = fmt.Sprintf("page while %d clients post wrong PINs: p99 %s ms alone -> %s ms (x%s), p50 %s -> %s ms",
		c, formatNum(alone.P99), formatNum(r.P99), formatNum(p99Ratio), formatNum(alone.P50), formatNum(r.P50))
	r.Note = joinNotes(r.Note, m.cpu)
	h.report(r)
	fl := summarize(lat)
	h.report(row{Scenario: "pinflood-pins", Server: withPIN, Conc: c, Ops: int(wrong.Load() + locked.Load()),
		Rate: float64(wrong.Load()) / floodFor.Seconds(), Unit: "hash/s", P50: ms(fl.P50), P99: ms(fl.P99),
		Note: fmt.Sprintf("wrong PINs checked (hashed) per second from %d accounts; %d answers 'locked' (no hash)", len(accts), locked.Load())})
	h.sum.set("pinflood_page_p99_ms", r.P99)
	h.sum.set("pinflood_page_p99_ratio", p99Ratio)
	h.sum.set("pinflood_hash_per_s", float64(wrong.Load())/floodFor.Seconds())
	return nil
}

// seedFlood makes n accounts that can be flooded: guests with payments
// set up, each with a due share of a split in a flood thread of 20.
func (h *harness) seedFlood(ctx context.Context, s *site, n int) ([]task, error) {
	w := h.w
	var threads []*thread
	var people []*browser
	for i := range n {
		b := &browser{name: fmt.Sprintf("Flooder %04d", i+1), email: fmt.Sprintf("flood-%s-%d@load.divvy.test", h.in.runID, i+1)}
		people = append(people, b)
		if i%19 == 0 {
			threads = append(threads, &thread{name: fmt.Sprintf("Flood %02d", len(threads)+1), org: w.orgs[len(threads)%len(w.orgs)]})
		}
		t := threads[len(threads)-1]
		t.payers = append(t.payers, b)
	}
	h.prog.phase(fmt.Sprintf("seed: %d flood accounts", n), 0)
	if err := parallel(ctx, len(threads), 8, func(ctx context.Context, i int) error {
		return h.openThread(ctx, s, threads[i])
	}); err != nil {
		return nil, err
	}
	of := map[*browser]*thread{}
	for _, t := range threads {
		for _, b := range t.payers {
			of[b] = t
		}
	}
	if err := parallel(ctx, n, 8, func(ctx context.Context, i int) error {
		h.prog.ops.Add(1)
		if err := h.join(ctx, s, of[people[i]], people[i]); err != nil {
			return err
		}
		return h.setupPayments(ctx, s, people[i])
	}); err != nil {
		return nil, err
	}
	var tasks []task
	var mu sync.Mutex
	err := parallel(ctx, len(threads), 8, func(ctx context.Context, i int) error {
		t := threads[i]
		if err := h.readMembers(ctx, s, t); err != nil {
			return err
		}
		all := append([]*browser{t.org}, t.payers...)
		ids, err := h.createSplits(ctx, s, t, []splitSpec{{collector: t.org, people: all, total: fmt.Sprintf("%d,00", 15*len(all))}})
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, b := range t.payers {
			tasks = append(tasks, task{t: t, split: ids[0], payer: b})
		}
		return nil
	})
	return tasks, err
}
