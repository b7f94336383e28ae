package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"divvy/db"
)

// livePay is one payment made in the live thread while streams are open.
// The plan of them is made before the streams open, so that a stream can
// tell which payment a split event shows.
type livePay struct {
	k    task
	paid []byte // name+`"`: on the split card after paidHead once this share is paid
	// Written by the payment's goroutine, read once every payment is done.
	id             string
	sent, returned time.Time
	ok             bool
	// written is the transfer's created_at: the ledger's clock reading in
	// the money transaction, just before its commit (zero when unknown).
	written time.Time
}

type livePlan struct {
	pays    []*livePay
	bySplit map[int64][]int // payment indexes by split, ascending
	issued  atomic.Int64    // payments started so far: only those can show paid
}

// liveLabel names a stream count in keys and rows: 1k, 10k, 2500.
func liveLabel(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}

// live opens the streams of each count on the live thread, pays a share
// every 100 ms and measures how long each split event takes to reach each
// stream; then, streams still open, measures the pay rate (ledger alone),
// and the same rate on a server with live updates off.
func (h *harness) live(ctx context.Context) error {
	kind := ledgerOnly
	if h.cfg.url != "" {
		kind = withPIN
	}
	onRates := map[int]float64{}
	for _, n := range h.cfg.streams {
		r, err := h.liveRun(ctx, kind, n)
		if err != nil {
			return err
		}
		onRates[n] = r
	}
	s, err := h.use(ctx, liveOff)
	if errors.Is(err, errSkipped) {
		h.report(row{Scenario: "pay-live-off", Server: liveOff, Rate: nanf(), P50: nanf(), P99: nanf(), Note: "skipped: needs a server started by the harness (not -url)"})
		return nil
	}
	if err != nil {
		return err
	}
	plan, err := h.livePlan(ctx, s, h.cfg.duration+h.cfg.warmup)
	if err != nil {
		return err
	}
	if err := h.refill(ctx, s, h.perWorker(h.expectedRate(ledgerOnly))); err != nil {
		return err
	}
	cad := h.cadence(ctx, s, plan, 0, time.Now().Add(h.cfg.duration+h.cfg.warmup))
	m := h.payDrive(ctx, s, "pay-live-off")
	cad.wait()
	r := loadRow("pay-live-off", liveOff, "pay/s", h.cfg.c, m, "pay-ledger load, LIVE_UPDATES=off, no streams, a live-thread payment every 100 ms")
	h.report(r)
	h.sum.set("pay_live_off_per_s", r.Rate)
	for i, n := range h.cfg.streams {
		q := ratio(onRates[n], r.Rate)
		if i == 0 {
			h.sum.set("live_on_off_ratio", q)
		}
		h.sum.set("live_on_off_ratio_"+liveLabel(n), q)
	}
	return nil
}

// livePlan makes the live thread's next splits (the organizer collects,
// all 20 members take part) and plans a payment of every share, enough
// for a payment every 100 ms for d.
func (h *harness) livePlan(ctx context.Context, s *site, d time.Duration) (*livePlan, error) {
	t := h.w.live
	need := int(d.Seconds()*10) + 20
	people := append([]*browser{t.org}, t.payers...)
	var specs []splitSpec
	for range (need + len(t.payers) - 1) / len(t.payers) {
		specs = append(specs, splitSpec{collector: t.org, people: people, total: h.randomTotal()})
	}
	h.prog.phase("live: splits", 0)
	plan := &livePlan{bySplit: map[int64][]int{}}
	for i := 0; i < len(specs); i += 10 {
		ids, err := h.createSplits(ctx, s, t, specs[i:min(i+10, len(specs))])
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			for _, b := range t.payers {
				plan.bySplit[id] = append(plan.bySplit[id], len(plan.pays))
				plan.pays = append(plan.pays, &livePay{k: task{t: t, split: id, payer: b},
					paid: []byte(b.name + `"`)})
			}
		}
	}
	return plan, nil
}

// cadenceRun is payments being made every 100 ms.
type cadenceRun struct {
	wg      sync.WaitGroup
	next    atomic.Int64 // index of the next payment of the plan
	skipped atomic.Int64 // ticks skipped because too many payments were still running
	done    chan struct{}
}

func (c *cadenceRun) wait() { <-c.done; c.wg.Wait() }

// cadence makes the plan's payments from index from, one every 100 ms
// until the deadline, each in its own goroutine as a separate person would.
func (h *harness) cadence(ctx context.Context, s *site, plan *livePlan, from int, until time.Time) *cadenceRun {
	c := &cadenceRun{done: make(chan struct{})}
	c.next.Store(int64(from))
	var inflight atomic.Int64
	go func() {
		defer close(c.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for time.Now().Before(until) && ctx.Err() == nil {
			i := int(c.next.Load())
			if i >= len(plan.pays) {
				return
			}
			if inflight.Load() >= 256 {
				c.skipped.Add(1)
			} else {
				c.next.Add(1)
				plan.issued.Store(int64(i + 1))
				inflight.Add(1)
				c.wg.Add(1)
				go func(p *livePay) {
					defer c.wg.Done()
					defer inflight.Add(-1)
					r, err := h.payShareTimed(ctx, s, p.k, payPIN)
					if err != nil {
						if ctx.Err() == nil {
							h.errs.add("live", err)
							h.prog.errs.Add(1)
						}
						return
					}
					p.id, p.sent, p.returned, p.ok = r.id, r.sent, r.sent.Add(r.lat), true
					h.prog.ops.Add(1)
				}(plan.pays[i])
			}
			<-t.C
		}
	}()
	return c
}

// liveRun measures one stream count and returns the pay rate measured
// with the streams open.
func (h *harness) liveRun(ctx context.Context, kind string, n int) (float64, error) {
	s, err := h.use(ctx, kind)
	if err != nil {
		return 0, err
	}
	label := liveLabel(n)
	d := h.cfg.duration
	plan, err := h.livePlan(ctx, s, 2*d+h.cfg.warmup)
	if err != nil {
		return 0, err
	}
	t := h.w.live
	p, err := s.get(ctx, t.org, t.path(""), 200)
	if err != nil {
		return 0, err
	}
	after, err := lastEventOf(p.body)
	if err != nil {
		return 0, err
	}
	viewers := append([]*browser{t.org}, t.payers...)
	path := t.path("/events?after=" + strconv.FormatInt(after, 10))

	// Memory of the server while the streams are open: its peak.
	var peak atomic.Uint64 // MiB × 1000
	sampleDone := make(chan struct{})
	stopSampling := make(chan struct{})
	go func() {
		defer close(sampleDone)
		tk := time.NewTicker(200 * time.Millisecond)
		defer tk.Stop()
		for {
			if h.cur != nil {
				if cur, _, err := h.cur.rss(); err == nil && uint64(cur*1000) > peak.Load() {
					peak.Store(uint64(cur * 1000))
				}
			}
			select {
			case <-stopSampling:
				return
			case <-tk.C:
			}
		}
	}()

	ss := &site{base: s.base, client: &http.Client{Transport: newTransport()}}
	defer ss.close()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := make([]*stream, n)
	var received atomic.Int64
	var readers sync.WaitGroup
	h.prog.phase(fmt.Sprintf("live %s: open streams", label), 0)
	openStart := time.Now()
	err = parallel(ctx, n, 100, func(ctx context.Context, i int) error {
		st := &stream{recv: make([]int64, len(plan.pays))}
		streams[i] = st
		first := make(chan error, 1)
		readers.Add(1)
		go func() {
			defer readers.Done()
			h.readStream(sctx, ss, viewers[i%len(viewers)], path, st, plan, &received, first)
		}()
		if err := <-first; err != nil {
			return err
		}
		h.prog.ops.Add(1)
		return nil
	})
	openTook := time.Since(openStart)
	if err != nil {
		cancel()
		readers.Wait()
		return 0, fmt.Errorf("open %d streams: %w", n, err)
	}

	// Phase 1: a payment every 100 ms, nothing else.
	h.prog.phase(fmt.Sprintf("live %s: a payment every 100 ms", label), d)
	cpuA := h.cpuNow()
	cad := h.cadence(ctx, s, plan, 0, time.Now().Add(d))
	cad.wait()
	cadEnd := time.Now()
	cpu := cpuBetween(cpuA, h.cpuNow())
	phase1 := int(cad.next.Load())
	h.awaitEvents(ctx, plan, phase1, n, &received)
	caughtUp := time.Since(cadEnd)

	// Phase 2: the pay load on the pool threads, streams still open and
	// the live thread still paying every 100 ms.
	if err := h.refill(ctx, s, h.perWorker(h.expectedRate(kind))); err != nil {
		cancel()
		readers.Wait()
		return 0, err
	}
	cad2 := h.cadence(ctx, s, plan, phase1, time.Now().Add(d+h.cfg.warmup))
	m := h.payDrive(ctx, s, "pay-live-on-"+label)
	cad2.wait()
	total := int(cad2.next.Load())
	h.awaitEvents(ctx, plan, total, n, &received)
	cancel()
	readers.Wait()
	close(stopSampling)
	<-sampleDone
	rssPeak := float64(peak.Load()) / 1000

	if err := h.ledgerTimes(ctx, plan.pays[:total]); err != nil {
		return 0, err
	}
	// Latencies of phase 1; losses over both phases.
	var fromReturned, fromSent, fromWritten []time.Duration
	lost, expected, reconnects, reloads := 0, 0, 0, 0
	okPays := 0
	for i := range total {
		if plan.pays[i].ok {
			okPays++
		}
	}
	for _, st := range streams {
		reconnects += st.reconnects
		reloads += st.reloads
		for i := range total {
			pp := plan.pays[i]
			if !pp.ok {
				continue
			}
			expected++
			if st.recv[i] == 0 {
				lost++
				continue
			}
			if i < phase1 {
				at := time.Unix(0, st.recv[i])
				fromReturned = append(fromReturned, at.Sub(pp.returned))
				fromSent = append(fromSent, at.Sub(pp.sent))
				if !pp.written.IsZero() {
					fromWritten = append(fromWritten, at.Sub(pp.written))
				}
			}
		}
	}
	if lost > 0 {
		h.errs.add("live", fmt.Errorf("%d streams: %d of %d payment events never arrived", n, lost, expected))
	}
	lr, lsent, lw := summarize(fromReturned), summarize(fromSent), summarize(fromWritten)
	paid1 := 0
	for i := range phase1 {
		if plan.pays[i].ok {
			paid1++
		}
	}
	rss := "n/a"
	if h.cur != nil {
		rss = formatNum(rssPeak) + " MiB"
	}
	h.report(row{Scenario: "live-" + label, Server: kind, Conc: n, Ops: paid1, Rate: float64(paid1) / d.Seconds(), Unit: "pay/s",
		P50: ms(lr.P50), P99: ms(lr.P99), Errors: phase1 - paid1 + lost,
		Note: fmt.Sprintf("POST returned -> split event on each of %d streams (negative: the event came first); from the ledger write p50 %s p99 %s ms; from POST sent p50 %s p99 %s ms; events lost %d of %d; caught up %s after the last payment returned; opened in %s; reconnects %d, reloads %d, ticks skipped %d; server RSS peak %s; %s",
			n, formatNum(msOrNaN(lw, lw.P50)), formatNum(msOrNaN(lw, lw.P99)), formatNum(ms(lsent.P50)), formatNum(ms(lsent.P99)),
			lost, expected, caughtUp.Round(10*time.Millisecond), openTook.Round(10*time.Millisecond), reconnects, reloads, cad.skipped.Load()+cad2.skipped.Load(), rss, cpu)})
	load := "pay-ledger"
	if kind == withPIN {
		load = "pay (with PIN)"
	}
	rOn := loadRow("pay-live-on-"+label, kind, "pay/s", h.cfg.c, m, fmt.Sprintf("%s load with %d streams open, a live-thread payment every 100 ms", load, n))
	h.report(rOn)
	h.sum.set("live_p50_ms_"+label, ms(lr.P50))
	h.sum.set("live_p99_ms_"+label, ms(lr.P99))
	h.sum.set("live_sent_p99_ms_"+label, ms(lsent.P99))
	if lw.N > 0 {
		h.sum.set("live_commit_p50_ms_"+label, ms(lw.P50))
		h.sum.set("live_commit_p99_ms_"+label, ms(lw.P99))
	}
	h.sum.set("live_lost_"+label, lost)
	h.sum.set("live_open_s_"+label, openTook.Seconds())
	if h.cur != nil {
		h.sum.set("rss_mb_"+label, rssPeak)
	}
	h.sum.set("pay_live_on_per_s_"+label, rOn.Rate)
	return rOn.Rate, nil
}

// msOrNaN is a latency in ms, NaN (n/a) when nothing was measured.
func msOrNaN(l latency, d time.Duration) float64 {
	if l.N == 0 {
		return nanf()
	}
	return ms(d)
}

// ledgerTimes reads when each payment's transfer was written, when the
// harness has the database: the transfer id is made from the form's
// payment id (db.CardPaymentID).
func (h *harness) ledgerTimes(ctx context.Context, pays []*livePay) error {
	if h.db == nil {
		return nil
	}
	byID := map[string]*livePay{}
	var ids []string
	for _, p := range pays {
		if p.ok {
			// The ledger keeps a form's payment id in its payer's namespace.
			id := db.CardPaymentID(p.k.payer.id, p.id)
			byID[id] = p
			ids = append(ids, id)
		}
	}
	rows, err := h.db.QueryContext(ctx, `SELECT id, created_at FROM ledger_transfers WHERE id = ANY($1)`, pq.Array(ids))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return err
		}
		byID[id].written = at
	}
	return rows.Err()
}
