package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// mixedClients is the page-mixed scenario's concurrency (the issue's
// target is set at c=50, whatever -c is).
const mixedClients = 50

// pageMixed: the page thread's members view it, c=50 at a time, while one
// request in twenty writes to it: nine of ten writes a text message, the
// tenth a split among all members, so that the newest 50 messages keep
// about the page scenario's mix (5 splits, 45 other messages) however long
// it runs. Rate and p99 are of every request; the page's rate is compared
// with the page scenario's.
func (h *harness) pageMixed(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	t := h.w.page
	people := append([]*browser{t.org}, t.payers...)
	lines := []string{"Who's in for Sunday?", "Booked it", "Can someone bring cups?", "On my way", "Thanks all 🙏"}
	var n, writes, views atomic.Int64
	var pageLat, writeLat atomic.Int64 // summed, for the note
	m := h.drive(ctx, "page-mixed", mixedClients, h.cfg.duration, func(ctx context.Context, w int) (time.Duration, error) {
		i := n.Add(1)
		b := people[w%len(people)]
		start := time.Now()
		if i%20 != 0 {
			lat, _, err := s.viewPage(ctx, b, t.path(""), i%checkEvery == 1)
			if err != nil {
				return 0, err
			}
			views.Add(1)
			pageLat.Add(int64(lat))
			return lat, nil
		}
		var err error
		if i%200 == 0 {
			form := url.Values{"title": {fmt.Sprintf("Mixed %06d", h.w.splits.Add(1))}, "total": {h.randomTotal()}, "currency": {"EUR"},
				"collector": {strconv.FormatInt(t.org.id, 10)}, "mode": {"equal"}}
			for _, p := range people {
				form.Add("people", strconv.FormatInt(p.id, 10))
			}
			_, err = s.post(ctx, t.org, t.path("/splits"), form, 303)
		} else {
			_, err = s.post(ctx, b, t.path("/messages"), url.Values{"body": {lines[int(i/20)%len(lines)]}}, 303)
		}
		lat := time.Since(start)
		if err != nil {
			return 0, err
		}
		writes.Add(1)
		writeLat.Add(int64(lat))
		return lat, nil
	})
	rss := h.serverRSS()
	vs, ws := max(views.Load(), 1), max(writes.Load(), 1)
	r := loadRow("page-mixed", withPIN, "req/s", mixedClients, m, fmt.Sprintf("page views with 5%% writes to the same thread (9 messages : 1 split); mean page %.1f ms, mean write %.1f ms; x%s of page's rate; server RSS %.0f MiB",
		ms(time.Duration(pageLat.Load()/vs)), ms(time.Duration(writeLat.Load()/ws)), formatNum(ratio(m.rate(), h.pageAlone.Rate)), rss))
	h.report(r)
	h.sum.set("page_mixed_rps", r.Rate)
	h.sum.set("page_mixed_p99_ms", r.P99)
	h.sum.set("page_mixed_vs_page", ratio(r.Rate, h.pageAlone.Rate))
	h.sum.set("page_mixed_rss_mib", rss)
	return nil
}

// serverRSS is the running server's resident memory in MiB (NaN with -url).
func (h *harness) serverRSS() float64 {
	if h.cur == nil {
		return nanf()
	}
	cur, _, err := h.cur.rss()
	if err != nil {
		return nanf()
	}
	return cur
}

// createClients is how many people create splits in one thread at once.
const createClients = 10

// createScenario: ten members of the hot thread create splits in it at
// once, each collecting from themselves and three others (equal split):
// one thread's writes queue on what they share.
func (h *harness) createScenario(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	t := h.w.hot
	people := append([]*browser{t.org}, t.payers...)
	if len(people) < createClients+3 {
		return fmt.Errorf("the hot thread has %d members, want at least %d", len(people), createClients+3)
	}
	m := h.drive(ctx, "create", createClients, h.cfg.duration, func(ctx context.Context, w int) (time.Duration, error) {
		b := people[w]
		form := url.Values{"title": {fmt.Sprintf("Create %06d", h.w.splits.Add(1))}, "total": {h.randomTotal()}, "currency": {"EUR"},
			"collector": {strconv.FormatInt(b.id, 10)}, "mode": {"equal"}}
		for k := range 4 {
			form.Add("people", strconv.FormatInt(people[(w+k*createClients/3+k)%len(people)].id, 10))
		}
		start := time.Now()
		_, err := s.post(ctx, b, t.path("/splits"), form, 303)
		return time.Since(start), err
	})
	r := loadRow("create", withPIN, "split/s", createClients, m, fmt.Sprintf("%d members create equal splits of 4 in one thread; x%s of pgbench", createClients, formatNum(ratio(m.rate(), h.pgbenchTPS))))
	h.report(r)
	h.sum.set("create_per_s", r.Rate)
	h.sum.set("create_p99_ms", r.P99)
	h.sum.set("create_vs_pgbench", ratio(r.Rate, h.pgbenchTPS))
	return nil
}
