package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"divvy/db"
)

// errExhausted tells the load driver a worker has no work left (no due
// share to pay): it stops, and the scenario says it ran short.
var errExhausted = errors.New("no more work")

// errorLog counts every unexpected answer, grouped by what went wrong.
type errorLog struct {
	mu    sync.Mutex
	total int
	count map[string]int
	order []string
}

func newErrorLog() *errorLog { return &errorLog{count: map[string]int{}} }

func (e *errorLog) add(scenario string, err error) {
	msg := scenario + ": " + err.Error()
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.total++
	if e.count[msg] == 0 {
		e.order = append(e.order, msg)
	}
	e.count[msg]++
}

func (e *errorLog) n() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.total
}

func (e *errorLog) print(w io.Writer, max int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.total == 0 {
		return
	}
	fmt.Fprintf(w, "errors: %d unexpected answers\n", e.total)
	for i, m := range e.order {
		if i == max {
			fmt.Fprintf(w, "  … and %d other kinds\n", len(e.order)-max)
			break
		}
		fmt.Fprintf(w, "  %6d× %s\n", e.count[m], m)
	}
}

// progress keeps one status line on stderr while the run goes: which
// phase, how far into it, operations and errors so far.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time

	mu     sync.Mutex
	label  string
	since  time.Time
	length time.Duration
	shown  bool
	ops    atomic.Int64
	errs   atomic.Int64
	extra  atomic.Pointer[string]
	done   chan struct{}
	once   sync.Once
}

func newProgress(w io.Writer, start time.Time) *progress {
	p := &progress{w: w, start: start, done: make(chan struct{})}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	go p.loop()
	return p
}

// phase starts a new phase of the run, of the given length (0: unknown).
func (p *progress) phase(label string, length time.Duration) {
	p.mu.Lock()
	p.label, p.since, p.length = label, time.Now(), length
	p.mu.Unlock()
	p.ops.Store(0)
	p.errs.Store(0)
	p.extra.Store(nil)
	p.show(false)
}

func (p *progress) note(s string) { p.extra.Store(&s) }

func (p *progress) loop() {
	every := 5 * time.Second
	if p.tty {
		every = 500 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.show(true)
		}
	}
}

func (p *progress) show(tick bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.label == "" || (!p.tty && !tick) {
		return
	}
	in := time.Since(p.since).Round(time.Second)
	of := ""
	if p.length > 0 {
		of = "/" + p.length.Round(time.Second).String()
	}
	line := fmt.Sprintf("divvy-load %s: %s %s%s, %d ops, %d errors", time.Since(p.start).Round(time.Second), p.label, in, of, p.ops.Load(), p.errs.Load())
	if x := p.extra.Load(); x != nil {
		line += ", " + *x
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// clear removes the status line before something is printed on stdout.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) close() {
	p.once.Do(func() { close(p.done) })
	p.clear()
}

// measured is what a load phase came to.
type measured struct {
	ops     int
	errors  int
	lat     []time.Duration
	tags    []int // what kind of operation each of lat was (driveTagged)
	elapsed time.Duration
	short   bool   // work ran out before the time did
	cpu     string // who used the cores during the window
}

// only is m restricted to the operations tagged tag (driveTagged).
func (m measured) only(tag int) measured {
	out := m
	out.lat, out.tags, out.ops = nil, nil, 0
	for i, t := range m.tags {
		if t == tag {
			out.lat = append(out.lat, m.lat[i])
			out.tags = append(out.tags, t)
			out.ops++
		}
	}
	return out
}

func (m measured) rate() float64 {
	if m.elapsed <= 0 {
		return 0
	}
	return float64(m.ops) / m.elapsed.Seconds()
}

// op is one operation of a load phase, by worker w: the latency to record,
// or an error (an unexpected answer, counted), or errExhausted.
type op func(ctx context.Context, w int) (time.Duration, error)

// drive runs op in c workers for the warm-up (not recorded) and then d. An
// operation counts when it completes inside the measured window; the rate
// is those operations over the window (or up to the last of them, when the
// work ran out first).
func (h *harness) drive(ctx context.Context, label string, c int, d time.Duration, fn op) measured {
	return h.driveTagged(ctx, label, c, d, func(ctx context.Context, w int) (time.Duration, int, error) {
		lat, err := fn(ctx, w)
		return lat, 0, err
	})
}

// taggedOp is an op that also says which kind of operation it was (say,
// which of two servers it asked), so one phase measures two things under
// the same load.
type taggedOp func(ctx context.Context, w int) (time.Duration, int, error)

// driveTagged is drive for a taggedOp: m.tags[i] is the tag of m.lat[i].
func (h *harness) driveTagged(ctx context.Context, label string, c int, d time.Duration, fn taggedOp) measured {
	h.prog.phase(label, h.cfg.warmup+d)
	mStart := time.Now().Add(h.cfg.warmup)
	// The window ends after d, unless fewer than c operations completed in
	// it (each slower than the window): then it grows by d, up to 10 d, so
	// that slow operations are measured rather than missed.
	var end atomic.Int64
	end.Store(mStart.Add(d).UnixNano())
	var inWindow atomic.Int64
	type result struct {
		lat       []time.Duration
		tags      []int
		ops, errs int
		last      time.Time
		short     bool
	}
	res := make([]result, c)
	var cpuA, cpuB cpuSample
	stop := make(chan struct{})        // the window is over: workers stop
	workersDone := make(chan struct{}) // every worker stopped (work ran out)
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		defer close(stop)
		select {
		case <-time.After(time.Until(mStart)):
		case <-workersDone:
			return
		}
		cpuA = h.cpuNow()
		defer func() { cpuB = h.cpuNow() }()
		for n := 1; ; n++ {
			select {
			case <-time.After(time.Until(time.Unix(0, end.Load()))):
			case <-workersDone:
				return
			case <-ctx.Done():
				return
			}
			if inWindow.Load() >= int64(c) || n >= 10 {
				return
			}
			end.Add(int64(d))
		}
	}()
	// Operations still running well after the window are abandoned (the
	// server finishes them anyway): they no longer count, and a server
	// that fell far behind must not hold the run for minutes.
	opCtx, cancelOps := context.WithCancel(ctx)
	defer cancelOps()
	go func() {
		<-stop
		select {
		case <-time.After(max(20*time.Second, 2*d)):
			cancelOps()
		case <-opCtx.Done():
		}
	}()
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &res[w]
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				lat, tag, err := fn(opCtx, w)
				done := time.Now()
				if errors.Is(err, errExhausted) {
					r.short = true
					return
				}
				in := !done.Before(mStart) && done.UnixNano() < end.Load()
				if err != nil {
					if opCtx.Err() != nil {
						return
					}
					h.errs.add(label, err)
					h.prog.errs.Add(1)
					r.errs++
					time.Sleep(10 * time.Millisecond) // no hot loop on a dead server
					continue
				}
				h.prog.ops.Add(1)
				if in {
					inWindow.Add(1)
					r.ops++
					r.lat = append(r.lat, lat)
					r.tags = append(r.tags, tag)
					r.last = done
				}
			}
		}()
	}
	wg.Wait()
	close(workersDone)
	<-watchDone
	mEnd := time.Unix(0, end.Load())
	var m measured
	m.cpu = cpuBetween(cpuA, cpuB)
	var last time.Time
	allShort := true
	for _, r := range res {
		m.ops += r.ops
		m.errors += r.errs
		m.lat = append(m.lat, r.lat...)
		m.tags = append(m.tags, r.tags...)
		m.short = m.short || r.short
		allShort = allShort && r.short
		if r.last.After(last) {
			last = r.last
		}
	}
	m.elapsed = mEnd.Sub(mStart)
	if allShort && last.Before(mEnd) {
		m.elapsed = max(last.Sub(mStart), time.Millisecond)
	}
	if m.elapsed > d+time.Millisecond && !allShort {
		m.cpu = joinNotes(fmt.Sprintf("window stretched to %s: operations slower than %s", m.elapsed.Round(100*time.Millisecond), d), m.cpu)
	}
	return m
}

// loadRow is the row of a load phase.
func loadRow(scenario, server, unit string, c int, m measured, note string) row {
	l := summarize(m.lat)
	r := row{Scenario: scenario, Server: server, Conc: c, Ops: m.ops, Rate: m.rate(), Unit: unit,
		P50: ms(l.P50), P99: ms(l.P99), Errors: m.errors, Note: note}
	if m.short {
		r.Note = joinNotes(r.Note, "RAN OUT OF WORK early: figures cover less than the duration")
	}
	r.Note = joinNotes(r.Note, m.cpu)
	return r
}

func joinNotes(a, b string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + "; " + b
}

// parallel runs fn for 0..n-1 with at most k at once and returns the first
// error (the others still finish).
func parallel(ctx context.Context, n, k int, fn func(ctx context.Context, i int) error) error {
	sem := make(chan struct{}, k)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(ctx, i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// auditDatabase runs the ledger audit of package db, as `divvy audit`
// does, and returns the number of violated checks and one line per check.
func auditDatabase(ctx context.Context, url string) (int, []string, error) {
	store, err := db.Open(ctx, url, nil)
	if err != nil {
		return 0, nil, err
	}
	defer store.Close()
	checks, err := store.Audit(ctx)
	if err != nil {
		return 0, nil, err
	}
	var lines []string
	bad := 0
	for _, c := range checks {
		status := "ok"
		if c.Violations > 0 {
			status = "VIOLATED"
			bad++
		}
		lines = append(lines, fmt.Sprintf("%-8s %-32s checked=%d violations=%d", status, c.Name, c.Checked, c.Violations))
	}
	return bad, lines, nil
}
