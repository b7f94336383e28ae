package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// findPgbench looks for pgbench on PATH, then where Debian keeps the
// server binaries.
func findPgbench() string {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if len(dirs) > 0 {
		return dirs[len(dirs)-1]
	}
	return ""
}

var reTPS = regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`)

// pgbench runs PostgreSQL's built-in TPC-B script on a scratch database
// with as many clients as the scenarios use: what the database alone does
// on this machine, the yardstick of the payment rates.
func (h *harness) pgbench(ctx context.Context) error {
	c := h.cfg.c
	bin := findPgbench()
	if bin == "" {
		h.sum.set("pgbench_tps", "n/a")
		h.report(row{Scenario: "pgbench-tpcb", Server: "postgres", Conc: c, Rate: nanf(), Unit: "tps", P50: nanf(), P99: nanf(),
			Note: "pgbench is not installed (Debian: apt-get install postgresql-contrib or postgresql-client): no database baseline"})
		return nil
	}
	dbURL, err := h.in.createDB(ctx, "_pgbench")
	if err != nil {
		return err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return err
	}
	conn := []string{"-h", u.Hostname(), "-p", u.Port(), "-U", u.User.Username()}
	if u.Port() == "" {
		conn[3] = "5432"
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	scale := c
	if h.cfg.quick {
		scale = 4
	}
	h.prog.phase(fmt.Sprintf("pgbench: init scale %d", scale), 0)
	cmd := exec.CommandContext(ctx, bin, append(append([]string{"-i", "-q", "-s", strconv.Itoa(scale)}, conn...), dbName)...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgbench -i: %v\n%s", err, out)
	}
	secs := int(math.Ceil(h.cfg.duration.Seconds()))
	logDir := filepath.Join(h.in.tmp, "pgbench")
	os.MkdirAll(logDir, 0o755)
	threads := min(c, runtime.NumCPU())
	h.prog.phase("pgbench: TPC-B", time.Duration(secs)*time.Second)
	cmd = exec.CommandContext(ctx, bin, append(append([]string{"-c", strconv.Itoa(c), "-j", strconv.Itoa(threads),
		"-T", strconv.Itoa(secs), "-l", "--log-prefix=" + filepath.Join(logDir, "log")}, conn...), dbName)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	m := reTPS.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	lat, err := pgbenchLatencies(logDir)
	if err != nil {
		return err
	}
	l := summarize(lat)
	h.dropDB(ctx, dbName)
	h.pgbenchTPS = tps
	h.sum.set("pgbench_tps", tps)
	h.sum.set("pgbench_p99_ms", ms(l.P99))
	h.report(row{Scenario: "pgbench-tpcb", Server: "postgres", Conc: c, Ops: len(lat), Rate: tps, Unit: "tps",
		P50: ms(l.P50), P99: ms(l.P99), Note: fmt.Sprintf("built-in TPC-B, scale %d, %d threads, %d s", scale, threads, secs)})
	return nil
}

// pgbenchLatencies reads the per-transaction logs of pgbench -l: the
// third field is the latency in microseconds.
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "log.*"))
	if err != nil {
		return nil, err
	}
	var out []time.Duration
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 3 {
				continue
			}
			if us, err := strconv.ParseInt(fields[2], 10, 64); err == nil {
				out = append(out, time.Duration(us)*time.Microsecond)
			}
		}
		fh.Close()
	}
	return out, nil
}

// dropDB drops a scratch database as soon as it has served.
func (h *harness) dropDB(ctx context.Context, name string) {
	for i, n := range h.in.dbs {
		if n == name {
			h.in.dbs = append(h.in.dbs[:i], h.in.dbs[i+1:]...)
			break
		}
	}
	if h.cfg.keep {
		h.in.dbs = append(h.in.dbs, name)
		return
	}
	dropDatabase(ctx, h.in.adminURL, name)
}

// httpLimit is the plain HTTP limit of the server stack: GET /healthz goes
// through every middleware (request log, recovery, security headers, body
// limit, cross-origin check, locale, session) to a handler that does no work.
func (h *harness) httpLimit(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	c := h.cfg.c
	m := h.drive(ctx, "http-healthz", c, h.cfg.duration, func(ctx context.Context, w int) (time.Duration, error) {
		t := time.Now()
		_, err := s.get(ctx, nil, "/healthz", 200)
		return time.Since(t), err
	})
	r := loadRow("http-healthz", withPIN, "req/s", c, m, "GET /healthz through the whole middleware stack")
	h.report(r)
	h.sum.set("healthz_rps", r.Rate)
	h.sum.set("healthz_p99_ms", r.P99)
	return nil
}

// pageScenario opens the page thread (50 messages, 5 splits) as its
// members, c at a time.
func (h *harness) pageScenario(ctx context.Context) error {
	s, err := h.use(ctx, withPIN)
	if err != nil {
		return err
	}
	m, size := h.loadPage(ctx, s, "page", h.cfg.duration)
	r := loadRow("page", withPIN, "req/s", h.cfg.c, m, fmt.Sprintf("GET thread page: 50 messages, 5 splits, %d members, %.0f KB", 1+len(h.w.page.payers), float64(size)/1024))
	h.report(r)
	h.pageAlone = r
	h.sum.set("page_rps", r.Rate)
	h.sum.set("page_p50_ms", r.P50)
	h.sum.set("page_p99_ms", r.P99)
	return nil
}

func (h *harness) loadPage(ctx context.Context, s *site, label string, d time.Duration) (measured, int) {
	t := h.w.page
	viewers := append([]*browser{t.org}, t.payers...)
	var size atomic.Int64
	m := h.drive(ctx, label, h.cfg.c, d, func(ctx context.Context, w int) (time.Duration, error) {
		start := time.Now()
		p, err := s.get(ctx, viewers[w%len(viewers)], t.path(""), 200)
		lat := time.Since(start)
		if err != nil {
			return 0, err
		}
		if n := messagesOn(p.body); n != 50 {
			return 0, fmt.Errorf("GET %s: %d messages on the page, want 50", route(t.path("")), n)
		}
		size.Store(int64(len(p.body)))
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
	return 900
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
		k, ok := h.w.pop(w)
		if !ok {
			return 0, errExhausted
		}
		return h.payShare(ctx, s, k, payPIN)
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
		label, key, note := "pay", "pay", "GET pay page + POST with PIN (Argon2id, 2 hash slots); latency of the POST"
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
		}
		return nil
	}
}

// payHot: the organizer's c friends pay their shares of one split at the
// same instant, round after round (a new split each round).
func (h *harness) payHot(kind string) func(context.Context) error {
	return func(ctx context.Context) error {
		s, err := h.use(ctx, kind)
		if errors.Is(err, errSkipped) {
			return nil
		}
		if err != nil {
			return err
		}
		label, key := "pay-hot", "payhot"
		if kind == ledgerOnly {
			label, key = "pay-hot-ledger", "payhot_ledger"
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
			specs = append(specs, splitSpec{payee: t.org, people: people, total: fmt.Sprintf("%d,%02d", 20*len(people)+h.w.intn(100), h.w.intn(100))})
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
					if err == nil && p.location != fmt.Sprintf("/groups/%d#split-%d", t.id, split) {
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
		return nil
	}
}
