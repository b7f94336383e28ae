package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// balances is the balances scenario, on the balances thread (20 members):
//
//  1. 2 000 splits (-balance-splits) over HTTP, as its members post them: each collected by
//     one of them, shared equally by 2 to 12 others and the collector, one
//     in four paid by two people; a few shares paid by card.
//  2. Its thread page, with the balance summary (the PIN server), against
//     the same page without it (a second server over the same database with
//     BALANCE_SUMMARY=off), the two asked in turn by the same workers at the
//     same time, so the machine's noise falls on both alike; p99 ratio.
//  3. Settling up as people do it, measured like pay: each member reads
//     the plan on the Balances page and pays each of their lines (the
//     settle page, whose form has the payment id, then the POST with the
//     PIN), every debtor at once; the thread must read "settled" after
//     each round. The first round covers the shares of the 2 000 splits and
//     is reported apart; then rounds of 20 new splits and their settling
//     for the scenario's duration. The same again on the ledger-only server.
func (h *harness) balances(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	t := h.w.bal
	if err := h.fillBalanceThread(ctx, s, t); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	if err := h.balancePage(ctx, s, t); err != nil {
		return err
	}
	if err := h.settleScenario(ctx, withPIN); err != nil {
		return err
	}
	return h.settleScenario(ctx, ledgerOnly)
}

// balanceSplit is a split of the balances thread: a random member
// collects from 2 to 12 others; one in four was paid by two people.
func (h *harness) balanceSplit(t *thread) url.Values {
	all := append([]*browser{t.org}, t.payers...)
	collector := all[h.w.intn(len(all))]
	cents := 1200 + h.w.intn(22800)
	form := url.Values{"title": {fmt.Sprintf("Balance %06d", h.w.splits.Add(1))}, "total": {fmt.Sprintf("%d,%02d", cents/100, cents%100)},
		"currency": {"EUR"}, "collector": {strconv.FormatInt(collector.id, 10)}, "mode": {"equal"}}
	form.Add("people", strconv.FormatInt(collector.id, 10))
	others := 2 + h.w.intn(11)
	start := h.w.intn(len(all))
	var second *browser
	for k := 0; k < len(all) && others > 0; k++ {
		b := all[(start+k)%len(all)]
		if b == collector {
			continue
		}
		form.Add("people", strconv.FormatInt(b.id, 10))
		others--
		if second == nil {
			second = b
		}
	}
	if second != nil && h.w.intn(4) == 0 {
		part := cents / 3
		form.Set("paid_"+strconv.FormatInt(collector.id, 10), fmt.Sprintf("%d,%02d", (cents-part)/100, (cents-part)%100))
		form.Set("paid_"+strconv.FormatInt(second.id, 10), fmt.Sprintf("%d,%02d", part/100, part%100))
	}
	return form
}

// postBalanceSplits posts n splits in the balances thread, each by its
// collector, k at a time.
func (h *harness) postBalanceSplits(ctx context.Context, s *site, t *thread, n, k int) error {
	byID := map[string]*browser{}
	for _, b := range append([]*browser{t.org}, t.payers...) {
		byID[strconv.FormatInt(b.id, 10)] = b
	}
	return parallel(ctx, n, k, func(ctx context.Context, i int) error {
		form := h.balanceSplit(t)
		if _, err := s.post(ctx, byID[form.Get("collector")], t.path("/splits"), form, 303); err != nil {
			return err
		}
		h.prog.ops.Add(1)
		return nil
	})
}

// fillBalanceThread gives the balances thread its 2 000 splits and pays a
// few shares by card (the positions then hold payments as well as splits).
func (h *harness) fillBalanceThread(ctx context.Context, s *site, t *thread) error {
	// The organizer settles up too: their payments are set up like a payer's.
	if err := h.setupPayments(ctx, s, t.org); err != nil {
		return err
	}
	h.prog.phase(fmt.Sprintf("balances: %d splits", h.cfg.balSplits), 0)
	start := time.Now()
	if err := h.postBalanceSplits(ctx, s, t, h.cfg.balSplits, 8); err != nil {
		return err
	}
	took := time.Since(start)
	p, err := s.get(ctx, t.org, t.path(""), 200)
	if err != nil {
		return err
	}
	// A due share of each split on the page, paid by card.
	var tasks []task
	for _, id := range splitsOn(p.body) {
		sp, err := s.get(ctx, t.org, fmt.Sprintf("/threads/%d/splits/%d", t.id, id), 200)
		if err != nil {
			return err
		}
		for _, b := range t.payers {
			if strings.Contains(string(sp.body), fmt.Sprintf(`data-status="due" data-name="%s"`, html.EscapeString(b.name))) {
				tasks = append(tasks, task{t: t, split: id, payer: b})
				break
			}
		}
		if len(tasks) == 10 {
			break
		}
	}
	for _, k := range tasks {
		if _, err := h.payShare(ctx, s, k, payPIN); err != nil {
			return err
		}
	}
	h.report(row{Scenario: "balances-seed", Server: withPIN, Rate: float64(h.cfg.balSplits) / took.Seconds(), Unit: "split/s", P50: nanf(), P99: nanf(),
		Note: fmt.Sprintf("the balances thread: %d members, %d splits posted 8 at a time in %s (1 in 4 paid by two people), %d shares paid by card",
			1+len(t.payers), h.cfg.balSplits, took.Round(100*time.Millisecond), len(tasks))})
	return nil
}

// balancePage measures the balances thread's page with its balance summary
// against the same page without it, asked in turn by the same workers. The
// two servers are started together for it (the one that seeded the thread
// is stopped: its caches and heap would not be the other's), so only the
// summary differs.
func (h *harness) balancePage(ctx context.Context, s *site, t *thread) error {
	var off *site
	pids := []int{-1, -1} // the two servers, for their CPU time per page
	if h.cfg.url == "" {
		h.stopServer()
		h.prog.phase("start servers with and without balances", 0)
		on, err := h.in.startServer(ctx, "balances-on", h.dbURL, map[string]string{"RATE_LIMITS": "off"})
		if err != nil {
			return err
		}
		defer on.stop()
		offEnv := map[string]string{"RATE_LIMITS": "off", "BALANCE_SUMMARY": "off"}
		if h.cfg.balAA {
			delete(offEnv, "BALANCE_SUMMARY")
		}
		srv, err := h.in.startServer(ctx, "balances-off", h.dbURL, offEnv)
		if err != nil {
			return err
		}
		defer srv.stop()
		pids = []int{on.cmd.Process.Pid, srv.cmd.Process.Pid}
		s = newSite(on.base, 5*time.Minute)
		defer s.close()
		off = newSite(srv.base, 5*time.Minute)
		defer off.close()
	}
	viewers := append([]*browser{t.org}, t.payers...)
	// Both pages, once, checked: the summary is there, and only there.
	with, err := s.get(ctx, t.org, t.path(""), 200)
	if err != nil {
		return err
	}
	if !strings.Contains(string(with.body), `data-testid="balances"`) {
		return errors.New("the balances thread's page has no balance summary")
	}
	if off != nil {
		without, err := off.get(ctx, t.org, t.path(""), 200)
		if err != nil {
			return err
		}
		if strings.Contains(string(without.body), `data-testid="balances"`) != h.cfg.balAA {
			return errors.New("the BALANCE_SUMMARY=off server still shows the balance summary")
		}
	}
	sites := []*site{s, off}
	views := make([]int, h.cfg.c)
	var asked [2]atomic.Int64
	cpu0 := []time.Duration{procCPU(pids[0]), procCPU(pids[1])}
	// p99 of a few dozen requests is their slowest: a few seconds at least.
	m := h.driveTagged(ctx, "balances-page", h.cfg.c, max(h.cfg.duration, 6*time.Second), func(ctx context.Context, w int) (time.Duration, int, error) {
		views[w]++
		tag := (w + views[w]) % 2
		if sites[tag] == nil {
			tag = 0
		}
		lat, _, err := sites[tag].viewPage(ctx, viewers[(w+views[w]/2)%len(viewers)], t.path(""), views[w]%checkEvery == 1)
		asked[tag].Add(1)
		return lat, tag, err
	})
	// CPU per page of each server, warm-up included: what the summary costs
	// the server, whatever the machine's load does to latencies.
	var perPage [2]float64
	for i, pid := range pids {
		perPage[i] = math.NaN()
		if c1 := procCPU(pid); pid > 0 && cpu0[i] >= 0 && c1 >= 0 && asked[i].Load() > 0 {
			perPage[i] = ms(c1-cpu0[i]) / float64(asked[i].Load())
		}
	}
	mw, mo := m.only(0), m.only(1)
	// Each server had half the window's requests: the rate is per server.
	rw := loadRow("balances-page", withPIN, "req/s", h.cfg.c, mw, "")
	note := fmt.Sprintf("GET the balances thread's page (%d members, %d splits, last 50 messages) with its balance summary, asked in turn with the same page without it", len(viewers), h.cfg.balSplits)
	if off == nil {
		rw.Note = joinNotes(note, "no page without the summary to compare with: needs a server started by the harness (not -url)")
		h.report(rw)
		return nil
	}
	ro := loadRow("balances-page-off", "no-bal", "req/s", h.cfg.c, mo, "")
	p99 := ratio(rw.P99, ro.P99)
	rw.Note = joinNotes(fmt.Sprintf("%s; p99 x%s and p50 x%s of the page without it (target p99 <= x1.2); server CPU per page %s ms against %s ms (x%s)",
		note, formatNum(p99), formatNum(ratio(rw.P50, ro.P50)), formatNum(perPage[0]), formatNum(perPage[1]), formatNum(ratio(perPage[0], perPage[1]))), mw.cpu)
	ro.Note = "the same page from a BALANCE_SUMMARY=off server over the same database, same workers, same window"
	h.report(rw)
	h.report(ro)
	h.sum.set("balances_page_p50_ms", rw.P50)
	h.sum.set("balances_page_p99_ms", rw.P99)
	h.sum.set("balances_page_off_p99_ms", ro.P99)
	h.sum.set("balances_page_p99_ratio", p99)
	h.sum.set("balances_page_cpu_ms", perPage[0])
	h.sum.set("balances_page_off_cpu_ms", perPage[1])
	return nil
}

var reSettleLink = regexp.MustCompile(`href="(/threads/[0-9]+/settle\?[^"]+)" data-testid="settle-pay"`)

// myLine reads the first line of the plan b pays, from b's Balances page
// ("" when b pays nobody).
func (h *harness) myLine(ctx context.Context, s *site, t *thread, b *browser) (string, error) {
	p, err := s.get(ctx, b, t.path("/balances"), 200)
	if err != nil {
		return "", err
	}
	m := reSettleLink.FindSubmatch(p.body)
	if m == nil {
		return "", nil
	}
	return html.UnescapeString(string(m[1])), nil
}

var reHidden = regexp.MustCompile(`<input type="hidden" name="(to|currency|amount)" value="([^"]*)"`)

// settle pays a line of the plan as a browser does: the settle page (its
// form holds the payment id and the line), then the form posted with the
// PIN. It returns the post's latency; the answer must be the redirect to
// the Balances page. A settle page that sends b back to the Balances page
// (others' payments moved the plan since b read it) is ok false.
func (h *harness) settle(ctx context.Context, s *site, t *thread, b *browser, path string) (lat time.Duration, ok bool, err error) {
	p, err := s.get(ctx, b, path, 200, 303)
	if err != nil || p.status == 303 {
		return 0, false, err
	}
	id, err := paymentIDOf(p.body)
	if err != nil {
		return 0, false, err
	}
	form := url.Values{"payment_id": {id}, "pin": {payPIN}}
	for _, m := range reHidden.FindAllSubmatch(p.body, -1) {
		form.Set(string(m[1]), html.UnescapeString(string(m[2])))
	}
	if len(form) != 5 {
		return 0, false, fmt.Errorf("settle page %s without its line (to, currency, amount)%s", route(path), pageSays(p.body))
	}
	start := time.Now()
	p, err = s.post(ctx, b, t.path("/settle"), form, 303, 422)
	lat = time.Since(start)
	if err != nil {
		return lat, false, err
	}
	if p.status == 422 {
		// Another debtor paid the same creditor since b read the plan: the
		// payment's transaction checks the amount again under the
		// thread's lock and refuses (the charge is given back). b reads
		// the plan again, as a person would.
		says := pageSays(p.body)
		if strings.Contains(says, "more than you owe") || strings.Contains(says, "nothing to settle") {
			return lat, false, nil
		}
		return lat, false, fmt.Errorf("POST %s: 422%s", route(t.path("/settle")), says)
	}
	if p.location != t.path("/balances") {
		return lat, false, fmt.Errorf("POST %s: redirected to %q, not the Balances page", route(t.path("/settle")), p.location)
	}
	return lat, true, nil
}

// settleRound: every member at once reads their Balances page and pays
// their first line of the plan, again until the page has none for them
// (the plan is made anew from the positions after each payment, so lines
// move while others pay); then the thread must read "settled". Two people
// who read the plan at different moments may both pay the same creditor:
// the second is refused ("That is more than you owe", checked again under
// the thread's lock) and reads the plan again; a round that still leaves
// debts takes another pass, at most three in all. It returns the posts' latencies, the
// round's wall time, how many members paid and the passes it took.
func (h *harness) settleRound(ctx context.Context, s *site, t *thread, label string) ([]time.Duration, time.Duration, int, int, error) {
	members := append([]*browser{t.org}, t.payers...)
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	paid := map[*browser]bool{}
	start := time.Now()
	for pass := 1; pass <= 3; pass++ {
		var wg sync.WaitGroup
		for _, b := range members {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 2 * len(members) {
					path, err := h.myLine(ctx, s, t, b)
					if err == nil && path == "" {
						return
					}
					var d time.Duration
					var ok bool
					if err == nil {
						d, ok, err = h.settle(ctx, s, t, b, path)
					}
					if err != nil {
						h.errs.add(label, err)
						h.prog.errs.Add(1)
						errs.Add(1)
						return
					}
					if ok {
						h.prog.ops.Add(1)
						mu.Lock()
						lat = append(lat, d)
						paid[b] = true
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		p, err := s.get(ctx, t.org, t.path("/balances"), 200)
		if err != nil || errs.Load() > 0 {
			return lat, time.Since(start), len(paid), pass, err
		}
		if strings.Contains(string(p.body), `data-testid="balances-settled"`) {
			if len(lat) == 0 {
				return nil, time.Since(start), 0, pass, errors.New("the balances thread had no settle-up line to pay")
			}
			return lat, time.Since(start), len(paid), pass, nil
		}
	}
	h.errs.add(label, errors.New("the balances thread is not settled after three passes of every member paying their lines of the plan"))
	h.prog.errs.Add(1)
	return lat, time.Since(start), len(paid), 3, nil
}

// settleScenario: settle-up rounds on the balances thread on a kind of
// server. On the first call the thread still has its 2 000 splits' shares
// outstanding: that first round is reported apart.
func (h *harness) settleScenario(ctx context.Context, kind string) error {
	label, key := "settle", "settle"
	if kind == ledgerOnly {
		label, key = "settle-ledger", "settle_ledger"
	}
	s, err := h.use(ctx, kind)
	if errors.Is(err, errSkipped) {
		h.report(row{Scenario: label, Server: kind, Rate: nanf(), P50: nanf(), P99: nanf(), Note: "skipped: needs a server started by the harness (not -url)"})
		return nil
	}
	if err != nil {
		return err
	}
	t := h.w.bal
	covered := func() int64 {
		var n int64
		if h.db != nil {
			h.db.QueryRowContext(ctx, `SELECT count(*) FROM share_payments WHERE kind = 'cover'`).Scan(&n)
		}
		return n
	}
	if !h.w.balSettled {
		h.prog.phase(label+": first round", 0)
		c0 := covered()
		lat, wall, payers, passes, err := h.settleRound(ctx, s, t, label+"-first")
		if err != nil {
			return err
		}
		h.w.balSettled = true
		l := summarize(lat)
		cov := "shares covered: unknown (no database)"
		if h.db != nil {
			cov = fmt.Sprintf("%d shares covered", covered()-c0)
		}
		r := row{Scenario: label + "-first", Server: kind, Conc: payers, Ops: len(lat), Rate: float64(len(lat)) / wall.Seconds(), Unit: "pay/s",
			P50: ms(l.P50), P99: ms(l.P99),
			Note: fmt.Sprintf("the first settle-up of the %d splits: every line of the plan, every debtor at once (settle page + POST with PIN); %s; max %s ms, round %s in %d pass(es)",
				h.cfg.balSplits, cov, formatNum(ms(l.Max)), wall.Round(10*time.Millisecond), passes)}
		h.report(r)
		h.sum.set(key+"_first_p50_ms", r.P50)
		h.sum.set(key+"_first_max_ms", ms(l.Max))
	}
	// Then rounds: 20 new splits, every line of the new plan paid, until
	// the settling has taken the scenario's duration (2 rounds at least).
	var lat []time.Duration
	var wall time.Duration
	rounds, conc, extra := 0, 0, 0
	c0 := covered()
	h.prog.phase(label, h.cfg.duration)
	for rounds < 2 || wall < h.cfg.duration {
		if err := h.postBalanceSplits(ctx, s, t, 20, 8); err != nil {
			return err
		}
		l, w, payers, passes, err := h.settleRound(ctx, s, t, label)
		if err != nil {
			return err
		}
		lat, wall, rounds, conc, extra = append(lat, l...), wall+w, rounds+1, max(conc, payers), extra+passes-1
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	l := summarize(lat)
	note := "GET settle page + POST with PIN (a line of the plan); latency of the POST"
	if kind == ledgerOnly {
		note = "same, LOAD_SKIP_PIN=1: the ledger write without the PIN hash"
	}
	var cov string
	if h.db != nil {
		cov = fmt.Sprintf(", %d shares covered", covered()-c0)
	}
	r := row{Scenario: label, Server: kind, Conc: conc, Ops: len(lat), Rate: float64(len(lat)) / wall.Seconds(), Unit: "pay/s",
		P50: ms(l.P50), P99: ms(l.P99),
		Note: fmt.Sprintf("%s; %d rounds of 20 new splits, then every debtor pays their lines at once%s (%d rounds took a second pass); rate over the settling time %s",
			note, rounds, cov, extra, wall.Round(10*time.Millisecond))}
	if pay, ok := h.payRates[kind]; ok {
		r.Note = joinNotes(r.Note, fmt.Sprintf("x%s of the pay scenario's rate", formatNum(ratio(r.Rate, pay))))
	}
	if kind == ledgerOnly {
		r.Note = joinNotes(r.Note, fmt.Sprintf("x%s of pgbench", formatNum(ratio(r.Rate, h.pgbenchTPS))))
		h.sum.set("settle_vs_pgbench", ratio(r.Rate, h.pgbenchTPS))
	}
	h.report(r)
	h.sum.set(key+"_per_s", r.Rate)
	h.sum.set(key+"_p50_ms", r.P50)
	h.sum.set(key+"_p99_ms", r.P99)
	return nil
}
