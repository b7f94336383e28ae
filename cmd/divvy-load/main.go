// Command divvy-load measures Divvy under load: it starts Divvy servers
// over a database of its own (or points at one with -url), seeds realistic
// threads, splits and payment setups over HTTP, and drives scenarios with
// many concurrent clients over real HTTP on loopback, as browsers would:
// session cookies, same-origin form posts, the real forms, event streams.
//
//	go run ./cmd/divvy-load            full run, a few minutes
//	go run ./cmd/divvy-load -quick     every scenario briefly, under a minute
//
// Each scenario prints a row of the table on stdout; the run ends with one
// summary line of key=value pairs. A progress line goes to stderr. Any
// unexpected HTTP status, and any violation the ledger audit finds after
// the run, makes the exit status 1.
//
// Scenarios (-run), in order:
//
//	baseline   pgbench's built-in TPC-B on a scratch database, -c clients;
//	           GET /healthz through the whole middleware stack
//	page       GET the page thread (50 messages, 5 splits) as its members
//	pinflood   the page again while -c clients post wrong PINs from many
//	           accounts (5 each, then the next): page p99 against page alone
//	page-mixed the page thread viewed by 50 clients while 5 % of requests
//	           write to it (messages, a split in ten): against page alone
//	create     10 members create splits in one thread at once
//	pay        GET pay page + POST with the PIN, shares spread over the pool
//	           threads; then the same on a LOAD_SKIP_PIN=1 server (ledger
//	           alone), and 20 payments one at a time whose statements
//	           pg_stat_statements counts (when that PostgreSQL loads it)
//	payhot     -c friends pay their shares of one split at the same instant
//	           (pay-ledger and payhot-ledger: the ledger-alone halves only)
//	balances   a thread of 20 members gets 2 000 splits; its page with the
//	           balance summary against the same page without it (a second
//	           server, BALANCE_SUMMARY=off, asked in turn); settle-up
//	           payments (settle page + POST with the PIN, every debtor of
//	           the plan at once), with the PIN and on the ledger-only server
//	live       per -streams count: streams on the live thread, a payment
//	           every 100 ms; split event latency per stream, losses, server
//	           RSS; then the pay rate with the streams open, against a
//	           LIVE_UPDATES=off server
//	bigledger  pay (ledger alone) before and after preloading -preload
//	           ledger transfers with SQL
//
// Rates count operations that complete inside the measured window (after
// a warm-up); latencies are of the operation's key request (the POST of a
// payment) by the nearest-rank percentile. Only one server runs at a time
// (PostgreSQL has 100 connections, a server's pool 40), except for the
// balances page's comparison, two; the PIN server, the ledger-only server,
// the live-off server and the no-balances one share the run's database and
// secrets, so the seeded sessions work on all of them.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "divvy-load:", err)
		os.Exit(1)
	}
}

// scenarios in the order they run.
var allScenarios = []string{"baseline", "page", "pinflood", "page-mixed", "create", "pay", "payhot", "balances", "send", "live", "bigledger"}

// ledgerParts are names -run also takes: the half of pay or payhot on the
// ledger-only server (LOAD_SKIP_PIN=1), without the PIN server's half.
var ledgerParts = []string{"pay-ledger", "payhot-ledger"}

type config struct {
	citus     bool
	url       string
	dbURL     string
	quick     bool
	streams   []int
	c         int
	duration  time.Duration
	warmup    time.Duration
	run       map[string]bool
	keep      bool
	preload   int    // ledger transfers the big-ledger scenario loads (two entries each)
	bin       string // a server binary to start instead of building one
	pg        string // PostgreSQL admin URL to make the run's databases on
	cpuProf   string // write the harness's own CPU profile here
	stmts     int    // pg_stat_statements rows to print
	balSplits int    // splits of the balances thread
	balAA     bool   // the balances page against itself: both servers show the summary
	// streamGoroutines reads each live stream in a goroutine of its own
	// through net/http (the harness before 2026-12-01, and on systems
	// without epoll) rather than with the pollers.
	streamGoroutines bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("divvy-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var streams, scen string
	fs.StringVar(&cfg.url, "url", "", "drive the Divvy server at this base URL instead of starting servers (scenarios that need a second server are skipped)")
	fs.StringVar(&cfg.dbURL, "db", "", "with -url: the server's DATABASE_URL, for activation codes, ledger write times, the audit and the big-ledger preload (which writes filler people and ledger entries into it)")
	fs.BoolVar(&cfg.quick, "quick", false, "run every scenario briefly (a smoke check, under a minute)")
	fs.StringVar(&streams, "streams", "", "open event streams for the live scenario, comma-separated counts (default 1000,10000; -quick 1000)")
	fs.IntVar(&cfg.c, "c", 32, "concurrent clients")
	fs.DurationVar(&cfg.duration, "duration", 0, "measured time per scenario (default 10s; -quick 2s)")
	fs.StringVar(&scen, "run", strings.Join(allScenarios, ","), "scenarios to run, comma-separated: "+strings.Join(allScenarios, ",")+
		" (or "+strings.Join(ledgerParts, ", ")+": the ledger-only half of pay, payhot)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the databases and server logs for inspection")
	fs.StringVar(&cfg.bin, "server-bin", "", "start this divvy binary (say, a profiling build) instead of building ./cmd/divvy")
	fs.BoolVar(&cfg.citus, "citus", false, "the -pg server is a Citus coordinator whose two workers listen on the next two ports (../shared/citus/cluster.sh): each database is made on all three nodes with the extension and the workers registered, so the servers' migrations distribute it")
	fs.StringVar(&cfg.pg, "pg", "", "PostgreSQL admin URL to create the run's databases on (default: found as the app finds it, 127.0.0.1:5432 or a private cluster)")
	fs.StringVar(&cfg.cpuProf, "cpuprofile", "", "write the harness's own CPU profile to this file (what the load generator costs)")
	fs.IntVar(&cfg.stmts, "statements", 0, "print the N statements of the run's databases that took the most time (needs pg_stat_statements loaded in that PostgreSQL)")
	fs.IntVar(&cfg.preload, "preload", 0, "ledger transfers the big-ledger scenario preloads, 2 entries each (default 500000; -quick 20000)")
	fs.BoolVar(&cfg.balAA, "balance-aa", false, "balances: compare the page with the summary against the same page from a second server that also shows it (the comparison's own noise and any bias between the two servers)")
	fs.IntVar(&cfg.balSplits, "balance-splits", 0, "splits the balances scenario posts in its thread of 20 (default 2000; -quick 500)")
	fs.BoolVar(&cfg.streamGoroutines, "stream-goroutines", runtime.GOOS != "linux", "live: read each event stream in a goroutine of its own through net/http, as before 2026-12-01 (more of the harness's CPU per event: 0.76 against 0.60 of a core at 10 000 streams), instead of one epoll poller per core")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.c < 1 {
		return cfg, errors.New("-c must be at least 1")
	}
	if cfg.duration == 0 {
		cfg.duration = 10 * time.Second
		if cfg.quick {
			cfg.duration = 2 * time.Second
		}
	}
	cfg.warmup = min(2*time.Second, cfg.duration/5)
	if streams == "" {
		streams = "1000,10000"
		if cfg.quick {
			streams = "1000"
		}
	}
	for _, s := range strings.Split(streams, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("-streams: %q is not a count", s)
		}
		cfg.streams = append(cfg.streams, n)
	}
	if cfg.preload == 0 {
		cfg.preload = 500_000
		if cfg.quick {
			cfg.preload = 20_000
		}
	}
	if cfg.balSplits <= 0 {
		cfg.balSplits = 2000
		if cfg.quick {
			cfg.balSplits = 500
		}
	}
	cfg.run = map[string]bool{}
	for _, s := range strings.Split(scen, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(allScenarios, s) && !slices.Contains(ledgerParts, s) {
			return cfg, fmt.Errorf("-run: unknown scenario %q (have %s)", s, strings.Join(allScenarios, ","))
		}
		cfg.run[s] = true
	}
	cfg.url = strings.TrimRight(cfg.url, "/")
	return cfg, nil
}

// harness is one run: its configuration, infrastructure, seeded world,
// results and errors.
type harness struct {
	cfg    config
	out    io.Writer
	stderr io.Writer
	in     *infra
	errs   *errorLog
	// covered counts queued shares found covered when their payer came
	// to pay them (noLongerDue).
	covered atomic.Int64
	prog    *progress
	sum     *summary
	db      *sql.DB // the Divvy database (nil with -url and no -db)
	dbURL   string
	w       *world

	cur     *server // the server running now (one at a time: PostgreSQL has 100 connections)
	curKind string
	site    *site
	start   time.Time

	pgbenchTPS float64
	pageAlone  row                // the page scenario, to compare the PIN flood with
	payRates   map[string]float64 // measured pay rate by kind of server
}

// Kinds of server a scenario asks for.
const (
	withPIN    = "pin"      // the real thing
	ledgerOnly = "ledger"   // LOAD_SKIP_PIN=1: any PIN, the ledger write alone
	liveOff    = "live-off" // LOAD_SKIP_PIN=1 and LIVE_UPDATES=off
)

var errSkipped = errors.New("skipped")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	h := &harness{cfg: cfg, out: stdout, stderr: stderr, errs: newErrorLog(), sum: newSummary(), start: time.Now(),
		pgbenchTPS: math.NaN(), payRates: map[string]float64{}}
	h.prog = newProgress(stderr, h.start)
	defer h.prog.close()
	if cfg.cpuProf != "" {
		f, err := os.Create(cfg.cpuProf)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	in, err := newInfra(stderr)
	if err != nil {
		return err
	}
	h.in = in
	defer func() {
		h.stopServer()
		if h.db != nil {
			h.db.Close()
		}
		in.close(cfg.keep, cfg.keep || h.errs.n() > 0)
	}()

	limit, err := raiseFileLimit()
	if err != nil {
		return fmt.Errorf("raise the open-files limit: %w", err)
	}
	if need := uint64(slices.Max(cfg.streams)) + 2000; cfg.run["live"] && limit < need {
		return fmt.Errorf("the open-files limit is %d; %d streams need about %d (ulimit -Hn)", limit, slices.Max(cfg.streams), need)
	}
	h.prog.phase("setup", 0)
	if err := in.findPostgres(ctx, cfg.pg); err != nil {
		return err
	}
	in.citus = cfg.citus
	if cfg.url == "" {
		if cfg.bin != "" {
			in.bin = cfg.bin
		} else if err := in.build(ctx); err != nil {
			return err
		}
		if h.dbURL, err = in.createDB(ctx, ""); err != nil {
			return err
		}
	} else {
		h.dbURL = cfg.dbURL
	}
	if h.dbURL != "" {
		if h.db, err = sql.Open("postgres", h.dbURL); err != nil {
			return err
		}
		h.db.SetMaxOpenConns(8)
	}
	fmt.Fprintf(stdout, "divvy-load: %d clients, %s per scenario (+%s warm-up), streams %v, %s\n",
		cfg.c, cfg.duration, cfg.warmup, cfg.streams, h.target())
	fmt.Fprintln(stdout, tableHeader)

	// A scenario that fails still leaves the figures measured so far, the
	// errors and the audit of what was written.
	scenErr := h.scenarios(ctx)
	h.stopServer()
	var auditErr error
	if ctx.Err() == nil {
		h.seqScans(ctx)
		h.statements(ctx)
		auditErr = h.audit(ctx)
	}
	if n := h.covered.Load(); n > 0 {
		fmt.Fprintf(stdout, "pay: %d queued shares had been covered by offsets before their payer came to them (the payer came to exactly even in a thread whose splits have different collectors); skipped, not counted\n", n)
		h.sum.set("covered_skipped", n)
	}
	h.sum.set("errors", h.errs.n())
	h.sum.set("duration_s", int(time.Since(h.start).Seconds()))
	h.prog.close()
	h.errs.print(stdout, 10)
	fmt.Fprintln(stdout, "summary "+h.sum.String())
	switch {
	case scenErr != nil:
		return scenErr
	case auditErr != nil:
		return auditErr
	case h.errs.n() > 0:
		return fmt.Errorf("%d unexpected answers (see above)", h.errs.n())
	}
	return nil
}

func (h *harness) target() string {
	if h.cfg.url != "" {
		return "server " + h.cfg.url
	}
	if h.in.pg == nil {
		return "servers built from this tree, PostgreSQL " + h.in.adminURL
	}
	return "servers built from this tree, PostgreSQL " + strings.Split(h.in.pg.Desc, " (")[0]
}

// scenarios runs the chosen scenarios in order, the servers each needs.
func (h *harness) scenarios(ctx context.Context) error {
	r := h.cfg.run
	if r["baseline"] {
		if err := h.pgbench(ctx); err != nil {
			return err
		}
		if err := h.httpLimit(ctx); err != nil {
			return err
		}
	} else if r["create"] || r["pay"] || r["payhot"] || r["pay-ledger"] || r["payhot-ledger"] || r["balances"] || r["send"] {
		// Their figures are ratios to pgbench measured in the same run.
		if err := h.pgbench(ctx); err != nil {
			return err
		}
	}
	r["pay-ledger"] = r["pay-ledger"] || r["pay"]
	r["payhot-ledger"] = r["payhot-ledger"] || r["payhot"]
	if !(r["page"] || r["pinflood"] || r["page-mixed"] || r["create"] || r["pay-ledger"] || r["payhot-ledger"] || r["balances"] || r["send"] || r["live"] || r["bigledger"]) {
		return nil
	}
	if err := h.seed(ctx); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// The order keeps server switches few: the PIN server first, then the
	// ledger-only one.
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"page", h.pageScenario},
		{"pinflood", h.pinFlood},
		{"page-mixed", h.pageMixed},
		{"create", h.createScenario},
		{"pay", h.payScenario(withPIN)},
		{"payhot", h.payHot(withPIN)},
		{"balances", h.balances}, // ends on the ledger-only server
		{"pay-ledger", h.payScenario(ledgerOnly)},
		{"payhot-ledger", h.payHot(ledgerOnly)},
		{"send", h.sendScenario},
		{"live", h.live},
		{"bigledger", h.bigLedger},
	}
	for _, s := range steps {
		if !r[s.name] {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// use makes the server of that kind the one running, stopping another.
// With -url only the given server exists: other kinds are errSkipped.
func (h *harness) use(ctx context.Context, kind string) (*site, error) {
	if h.cfg.url != "" {
		if kind != withPIN {
			return nil, errSkipped
		}
		if h.site == nil {
			h.site = newSite(h.cfg.url, 5*time.Minute)
		}
		return h.site, nil
	}
	if h.cur != nil && h.curKind == kind {
		return h.site, nil
	}
	h.stopServer()
	// Its simulated people all come from this machine's address.
	extra := map[string]string{"RATE_LIMITS": "off"}
	switch kind {
	case ledgerOnly:
		extra["LOAD_SKIP_PIN"] = "1"
	case liveOff:
		extra["LOAD_SKIP_PIN"] = "1"
		extra["LIVE_UPDATES"] = "off"
	}
	h.prog.phase("start server "+kind, 0)
	s, err := h.in.startServer(ctx, kind, h.dbURL, extra)
	if err != nil {
		return nil, err
	}
	h.cur, h.curKind, h.site = s, kind, newSite(s.base, 5*time.Minute)
	return h.site, nil
}

func (h *harness) stopServer() {
	if h.site != nil {
		h.site.close()
	}
	if h.cur != nil {
		h.prog.phase("stop server "+h.curKind, 0)
		h.cur.stop()
	}
	h.cur, h.curKind, h.site = nil, "", nil
}

// report prints a row of the table as soon as a scenario has one.
func (h *harness) report(r row) {
	h.prog.clear()
	fmt.Fprintln(h.out, r.String())
}

// seqScans prints the tables PostgreSQL read most by sequential scans
// during the run (pg_stat_user_tables): a query that scans a table per
// request shows here as millions of rows, before any profile is taken. The
// rows a scan says whether the scans are of a small table (the planner
// rightly reads a table of a few pages whole rather than through an index:
// the users and groups of a -quick run) or of a big one (a missing index).
func (h *harness) seqScans(ctx context.Context) {
	if h.db == nil {
		return
	}
	rows, err := h.db.QueryContext(ctx, `SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), n_live_tup
		FROM pg_stat_user_tables WHERE seq_tup_read > 0 AND schemaname NOT LIKE 'pg_temp%'
		ORDER BY seq_tup_read DESC LIMIT 6`)
	if err != nil {
		fmt.Fprintf(h.out, "seq scans: %v\n", err)
		return
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var name string
		var scans, read, idx, live int64
		if err := rows.Scan(&name, &scans, &read, &idx, &live); err != nil {
			return
		}
		parts = append(parts, fmt.Sprintf("%s %d rows in %d scans, %d a scan (%d index scans, %d rows now)", name, read, scans, read/max(scans, 1), idx, live))
	}
	if len(parts) > 0 {
		fmt.Fprintln(h.out, "seq scans (most rows read, whole run): "+strings.Join(parts, "; "))
	}
}

// statements prints the statements of the run's databases that took the
// most time in PostgreSQL (-statements N), from pg_stat_statements when
// that PostgreSQL loads it.
func (h *harness) statements(ctx context.Context) {
	if h.cfg.stmts <= 0 || h.in.adminURL == "" {
		return
	}
	adm, err := sql.Open("postgres", h.in.adminURL)
	if err != nil {
		return
	}
	defer adm.Close()
	rows, err := adm.QueryContext(ctx, `SELECT d.datname, s.calls, s.total_plan_time + s.total_exec_time, s.total_plan_time, s.rows,
			left(regexp_replace(s.query, '\s+', ' ', 'g'), 150)
		FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname LIKE $1 ORDER BY s.total_plan_time + s.total_exec_time DESC LIMIT $2`, "divvy_load_"+h.in.runID+"%", h.cfg.stmts)
	if err != nil {
		fmt.Fprintf(h.out, "statements: %v (is pg_stat_statements in shared_preload_libraries, and the extension created in the admin database?)\n", err)
		return
	}
	defer rows.Close()
	fmt.Fprintln(h.out, "statements (most time in PostgreSQL, whole run): database, calls, total ms (planning + execution), ms per call, planning ms per call, rows per call, query")
	for rows.Next() {
		var db, q string
		var calls, nrows int64
		var total, plan float64
		if err := rows.Scan(&db, &calls, &total, &plan, &nrows, &q); err != nil {
			fmt.Fprintf(h.out, "statements: %v\n", err)
			return
		}
		fmt.Fprintf(h.out, "  %-8s %8d %9.0f %7.3f %7.3f %6.1f  %s\n", strings.TrimPrefix(db, "divvy_load_"+h.in.runID), calls, total,
			total/float64(calls), plan/float64(calls), float64(nrows)/float64(calls), q)
	}
}

// audit checks the ledger's invariants on the Divvy database.
func (h *harness) audit(ctx context.Context) error {
	if h.db == nil {
		h.sum.set("audit", "skipped")
		fmt.Fprintln(h.out, "audit: skipped (no database: pass -db with -url)")
		return nil
	}
	h.prog.phase("audit", 0)
	bad, lines, err := auditDatabase(ctx, h.dbURL)
	h.prog.clear()
	for _, l := range lines {
		fmt.Fprintln(h.out, "audit: "+l)
	}
	if err != nil {
		h.sum.set("audit", "error")
		return fmt.Errorf("audit: %w", err)
	}
	h.sum.set("audit_violations", bad)
	if bad > 0 {
		return fmt.Errorf("the ledger audit found %d violations", bad)
	}
	return nil
}
