package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// pageScenario opens the page thread (50 messages, 5 splits) as its
// members, c at a time.
func (h *harness) pageScenario(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	m, size := h.loadPage(ctx, s, "page", h.cfg.duration)
	rss := h.serverRSS()
	first, warm, err := h.wireBytes(ctx, s, h.w.page.org, h.w.page.path(""))
	if err != nil {
		return fmt.Errorf("bytes on the wire: %w", err)
	}
	r := loadRow("page", withPIN, "req/s", h.cfg.c, m, fmt.Sprintf("GET thread page: 50 messages, 5 splits, %d members, %.0f KB; on the wire with its files (gzip): first visit %.1f KB, warm %.1f KB; server RSS %.0f MiB",
		1+len(h.w.page.payers), float64(size)/1024, float64(first)/1024, float64(warm)/1024, rss))
	h.report(r)
	h.pageAlone = r
	h.sum.set("page_rps", r.Rate)
	h.sum.set("page_p50_ms", r.P50)
	h.sum.set("page_p99_ms", r.P99)
	h.sum.set("page_rss_mib", rss)
	h.sum.set("wire_first_kb", float64(first)/1024)
	h.sum.set("wire_warm_kb", float64(warm)/1024)
	return nil
}

func (h *harness) loadPage(ctx context.Context, s *site, label string, d time.Duration) (measured, int) {
	t := h.w.page
	viewers := append([]*browser{t.org}, t.payers...)
	var size atomic.Int64
	views := make([]int, h.cfg.c)
	m := h.drive(ctx, label, h.cfg.c, d, func(ctx context.Context, w int) (time.Duration, error) {
		views[w]++
		lat, n, err := s.viewPage(ctx, viewers[w%len(viewers)], t.path(""), views[w]%checkEvery == 1)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			size.Store(int64(n))
		}
		return lat, nil
	})
	return m, int(size.Load())
}

// perWorker is how many due shares each pay worker needs queued for a
// phase at the expected rate, with a margin.
func (h *harness) perWorker(rate float64) int {
	secs := (h.cfg.duration + h.cfg.warmup).Seconds()
	return int(math.Ceil(rate*secs*1.4/float64(h.cfg.c))) + 2
}

// expectedRate is the pay rate of a kind of server measured so far, or a
// generous guess before it is.
func (h *harness) expectedRate(kind string) float64 {
	if r, ok := h.payRates[kind]; ok && r > 0 {
		return r
	}
	if kind == withPIN {
		return 150
	}
	return 600
}

// payLoad pays due shares of the pool threads with c workers, each paying
// as its own people, with the PIN step: splits are made first, enough for
// the rate expected of that kind of server.
func (h *harness) payLoad(ctx context.Context, s *site, label, kind string) (measured, error) {
	if err := h.refill(ctx, s, h.perWorker(h.expectedRate(kind))); err != nil {
		return measured{}, err
	}
	return h.payDrive(ctx, s, label), nil
}

// payDrive pays the queued due shares for the scenario's duration.
func (h *harness) payDrive(ctx context.Context, s *site, label string) measured {
	return h.drive(ctx, label, h.cfg.c, h.cfg.duration, func(ctx context.Context, w int) (time.Duration, error) {
		for {
			k, ok := h.w.pop(w)
			if !ok {
				return 0, errExhausted
			}
			lat, err := h.payShare(ctx, s, k, payPIN)
			if !errors.Is(err, errNoLongerDue) {
				return lat, err
			}
			// Covered before its payer came to it (noLongerDue): the
			// next share, within the same operation.
		}
	})
}

// payScenario: payments of shares spread over many splits, as people do
// them (pay page, then PIN), on the real server; and the same on a
// server that accepts any PIN, which leaves the ledger write alone.
func (h *harness) payScenario(kind string) func(context.Context) error {
	return func(ctx context.Context) error {
		s, err := h.use(ctx, kind)
		if errors.Is(err, errSkipped) {
			h.report(row{Scenario: "pay-ledger", Server: kind, Rate: nanf(), P50: nanf(), P99: nanf(), Note: "skipped: needs a server started by the harness (not -url)"})
			return nil
		}
		if err != nil {
			return err
		}
		label, key, note := "pay", "pay", "GET pay page + POST with PIN (each payer's first check an Argon2id hash on the server's niced hashing threads, later ones remembered for 15 minutes); latency of the POST"
		if kind == ledgerOnly {
			label, key, note = "pay-ledger", "pay_ledger", "same, LOAD_SKIP_PIN=1: the ledger write without the PIN hash"
		}
		m, err := h.payLoad(ctx, s, label, kind)
		if err != nil {
			return err
		}
		r := loadRow(label, kind, "pay/s", h.cfg.c, m, note)
		h.report(r)
		h.payRates[kind] = r.Rate
		h.sum.set(key+"_per_s", r.Rate)
		h.sum.set(key+"_p50_ms", r.P50)
		h.sum.set(key+"_p99_ms", r.P99)
		if kind == ledgerOnly {
			h.sum.set("pay_vs_pgbench", ratio(r.Rate, h.pgbenchTPS))
			return h.statementsPerPayment(ctx, s, label, 20)
		}
		return nil
	}
}

// payHot: the organizer's c friends pay their shares of one split at the
// same instant, round after round (a new split each round).
func (h *harness) payHot(kind string) func(context.Context) error {
	return func(ctx context.Context) error {
		label, key := "pay-hot", "payhot"
		if kind == ledgerOnly {
			label, key = "pay-hot-ledger", "payhot_ledger"
		}
		s, err := h.use(ctx, kind)
		if errors.Is(err, errSkipped) {
			h.report(row{Scenario: label, Server: kind, Rate: nanf(), P50: nanf(), P99: nanf(), Note: "skipped: needs a server started by the harness (not -url)"})
			return nil
		}
		if err != nil {
			return err
		}
		t := h.w.hot
		friends := t.payers
		rounds := 10
		if h.cfg.quick {
			rounds = 2
		}
		people := append([]*browser{t.org}, friends...)
		var specs []splitSpec
		for range rounds {
			specs = append(specs, splitSpec{collector: t.org, people: people, total: fmt.Sprintf("%d,%02d", 20*len(people)+h.w.intn(100), h.w.intn(100))})
		}
		h.prog.phase(label+": splits", 0)
		var ids []int64
		for i := 0; i < len(specs); i += 10 {
			part, err := h.createSplits(ctx, s, t, specs[i:min(i+10, len(specs))])
			if err != nil {
				return err
			}
			ids = append(ids, part...)
		}
		h.prog.phase(label, 0)
		var (
			lat    []time.Duration
			walls  []time.Duration
			wall   time.Duration
			errs   int
			paidOK int
		)
		for _, split := range ids {
			ids := make([]string, len(friends))
			if err := parallel(ctx, len(friends), len(friends), func(ctx context.Context, i int) error {
				p, err := s.get(ctx, friends[i], task{t: t, split: split}.payPath(), 200)
				if err == nil {
					ids[i], err = paymentIDOf(p.body)
				}
				return err
			}); err != nil {
				return err
			}
			release := make(chan struct{})
			res := make([]time.Duration, len(friends))
			ok := make([]bool, len(friends))
			var wg sync.WaitGroup
			for i, b := range friends {
				wg.Add(1)
				go func() {
					defer wg.Done()
					k := task{t: t, split: split, payer: b}
					<-release
					start := time.Now()
					p, err := s.post(ctx, b, k.payPath(), url.Values{"payment_id": {ids[i]}, "pin": {payPIN}}, 303)
					res[i] = time.Since(start)
					if err == nil && p.location != fmt.Sprintf("/threads/%d#split-%d", t.id, split) {
						err = fmt.Errorf("POST %s: redirected to %q, not the paid split", route(k.payPath()), p.location)
					}
					if err != nil {
						h.errs.add(label, err)
						h.prog.errs.Add(1)
						return
					}
					ok[i] = true
					h.prog.ops.Add(1)
				}()
			}
			start := time.Now()
			close(release)
			wg.Wait()
			w := time.Since(start)
			walls = append(walls, w)
			wall += w
			for i := range friends {
				if ok[i] {
					lat = append(lat, res[i])
					paidOK++
				} else {
					errs++
				}
			}
		}
		l, rw := summarize(lat), summarize(walls)
		r := row{Scenario: label, Server: kind, Conc: len(friends), Ops: paidOK, Rate: float64(paidOK) / wall.Seconds(), Unit: "pay/s",
			P50: ms(l.P50), P99: ms(l.P99), Errors: errs,
			Note: fmt.Sprintf("%d rounds: %d friends pay one split at once; a round takes p50 %s ms, max %s ms", rounds, len(friends), formatNum(ms(rw.P50)), formatNum(ms(rw.Max)))}
		h.report(r)
		h.sum.set(key+"_per_s", r.Rate)
		h.sum.set(key+"_p99_ms", r.P99)
		if kind == ledgerOnly {
			h.sum.set("payhot_vs_pgbench", ratio(r.Rate, h.pgbenchTPS))
		}
		return nil
	}
}
