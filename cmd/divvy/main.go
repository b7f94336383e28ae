// Command divvy serves the Divvy web app, applies its migrations and audits
// its ledger.
//
//	divvy [serve]   serve HTTP on $PORT (default 8080)
//	divvy migrate   apply pending database migrations and exit
//	divvy audit     check the ledger's invariants; exit 1 on any violation
//	divvy rates     list the reference rates of the 30-day cap; "rates fetch"
//	                fetches the ECB's from RATES_URL, "rates set GBP 0.85" sets one
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/mail"
	"divvy/db/pglocal"
	"divvy/db/sandbox"
	"divvy/handlers"
)

func main() {
	tuneRuntime(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "divvy:", err)
		os.Exit(1)
	}
}

// tuneRuntime trades memory for CPU, unless GOGC or GOMEMLIMIT say otherwise.
// Divvy's live heap is small (tens of MB, even with 10 000 event streams)
// while a page allocates a few hundred KB, so with Go's default the
// collector would run every few dozen pages; letting the heap grow to three
// times its live size (gcPercent) makes it run about half as often. 400 and
// then 300 saved a little more CPU, but on a quiet machine 300 left the
// server at 65-81 MiB after the load harness's page-mixed (50 clients), past
// the 75 MB it should stay under; 200 keeps it at 57-61 MiB (README,
// Performance). The soft limit keeps a run-away heap in check; it is set far
// above the live heap of 10 000 streams, so the collector never has to
// chase it.
//
// It also gives Go one P more per hashing thread (see db.HashThreads),
// unless GOMAXPROCS is set.
func tuneRuntime(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + db.HashThreads())
	}
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// The collector's defaults; see tuneRuntime.
const (
	gcPercent   = 200
	memoryLimit = 1 << 30
)

// run is the whole program, callable from tests.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 1 {
		cmd = args[1]
	}
	switch cmd {
	case "serve", "migrate", "audit", "rates":
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: divvy [serve|migrate|audit|rates [fetch | set CUR PER_EUR]]")
		return nil
	default:
		return fmt.Errorf("unknown command %q; use serve, migrate, audit or rates", cmd)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stdout, nil))

	store, closeDB, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()
	// A card payment settles after the delay; the settlement loop's checks
	// back off to one every 10 minutes, and a dead worker's lease is short.
	store.SetSettlementWindow(2*cfg.SettleDelay + 11*time.Minute)

	switch cmd {
	case "migrate":
		applied, err := store.Migrate(ctx)
		if err != nil {
			return err
		}
		log.Info("migrations applied", "count", len(applied), "names", applied)
		return nil
	case "audit":
		return audit(ctx, store, stdout)
	case "rates":
		return rates(ctx, cfg, store, args[2:], stdout)
	}
	return serve(ctx, cfg, log, store)
}

// openDatabase connects to DATABASE_URL, or in development finds or starts
// a local PostgreSQL and uses its database "divvy".
func openDatabase(ctx context.Context, cfg config, log *slog.Logger) (*db.DB, func(), error) {
	url := cfg.DatabaseURL
	stopServer := func() {}
	if url == "" {
		srv, err := pglocal.FindFrom(ctx, cfg.LocalPostgres, cfg.DataDir, log)
		if err != nil {
			return nil, nil, err
		}
		stopServer = func() {
			if !srv.Started() {
				return
			}
			if err := srv.Stop(); err != nil {
				log.Error("stop private PostgreSQL", "err", err)
				return
			}
			log.Info("private PostgreSQL stopped", "pgdata", srv.DataDir)
		}
		url, err = pglocal.EnsureDatabase(ctx, srv.AdminURL, "divvy")
		if err != nil {
			stopServer()
			return nil, nil, err
		}
		log.Info("database chosen", "server", srv.Desc, "database", "divvy", "pgdata", srv.DataDir)
	} else {
		log.Info("database chosen", "server", "DATABASE_URL")
	}
	store, err := db.Open(ctx, url, log)
	if err != nil {
		stopServer()
		return nil, nil, err
	}
	store.SetLinkKeys(cfg.SessionKeys)
	return store, func() { store.Close(); stopServer() }, nil
}

func serve(ctx context.Context, cfg config, log *slog.Logger, store *db.DB) error {
	if !cfg.production() {
		applied, err := store.Migrate(ctx)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			log.Info("migrations applied", "names", applied)
		}
	}
	provider, err := sandbox.New([]byte(cfg.SandboxKey), cfg.SettleDelay)
	if err != nil {
		return err
	}
	var notify db.Notifier = mail.NewOutbox(store, log)
	if cfg.SMTPURL != "" {
		if notify, err = mail.NewSMTP(cfg.SMTPURL); err != nil {
			return fmt.Errorf("SMTP_URL: %w", err)
		}
	}
	store.SetPINPepper(cfg.PINPepper)
	if err := store.SetRelyingParty(cfg.BaseURL); err != nil {
		// Payments are confirmed with the PIN only.
		log.Warn("passkeys off", "err", err)
	}
	if err := store.SetLimits(ctx, db.Limits{
		PerTransfer: map[string]decimal.Decimal{"EUR": cfg.CapTransfer},
		Rolling30:   map[string]decimal.Decimal{"EUR": cfg.CapRolling30},
	}); err != nil {
		return fmt.Errorf("caps: %w", err)
	}
	broker := handlers.NewBroker(store, log)
	if cfg.LiveUpdates {
		store.SetChangeHook(broker.Signal)
	} else {
		log.Warn("LIVE_UPDATES=off: open threads will not update by themselves")
	}
	if cfg.SkipPIN {
		log.Warn("LOAD_SKIP_PIN=1: any PIN is accepted; for load measurements only")
	}
	if cfg.NoBalanceSummary {
		log.Warn("BALANCE_SUMMARY=off: thread pages show no balances; for load measurements only")
	}
	if err := broker.Run(ctx); err != nil {
		return fmt.Errorf("live updates: %w", err)
	}
	h := handlers.New(log, store, provider, notify, broker, handlers.Options{
		Production:       cfg.production(),
		SessionKeys:      cfg.SessionKeys,
		BaseURL:          cfg.BaseURL,
		DefaultLocale:    cfg.Locale,
		SkipPIN:          cfg.SkipPIN,
		TrustedProxies:   cfg.TrustedProxies,
		NoRateLimits:     cfg.NoRateLimits,
		NoBalanceSummary: cfg.NoBalanceSummary,
	})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second, // event streams clear it for themselves
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cfg.DebugAddr != "" {
		go serveDebug(ctx, log, cfg.DebugAddr)
	}
	// Event streams never go idle, so Shutdown would wait for them until
	// its deadline: end them as soon as shutdown starts.
	srv.RegisterOnShutdown(broker.Close)
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		return err
	}
	log.Info("serving", "addr", ln.Addr().String(), "url", cfg.BaseURL, "env", cfg.Env)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	settleCtx, stopSettling := context.WithCancel(ctx)
	defer stopSettling()
	go settle(settleCtx, log, store, provider, cfg.SettleDelay)
	go reconcile(settleCtx, log, store, provider)
	go keepRates(settleCtx, log, store, cfg.RatesURL)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// settle posts card payments the provider has settled, a few times per
// settlement delay. Several processes may run it at once: the ledger
// resolves each pending payment exactly once.
func settle(ctx context.Context, log *slog.Logger, store *db.DB, provider db.PaymentProvider, delay time.Duration) {
	every := min(max(delay/4, 500*time.Millisecond), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		posted, voided, err := store.SettlePending(ctx, provider, 500)
		if err != nil && ctx.Err() == nil {
			log.Error("settle pending payments", "err", err)
		}
		if posted+voided > 0 {
			log.Info("settled card payments", "posted", posted, "voided", voided)
		}
		told, err := store.TellRefunds(ctx, provider, 100)
		if err != nil && ctx.Err() == nil {
			log.Error("tell the provider of refunds", "err", err)
		}
		if told > 0 {
			log.Info("refunds told to the provider after a cancel", "refunds", told)
		}
	}
}

// reconcile finishes the charges and payouts whose process died between
// the provider's answer and the ledger's record: every few seconds it asks
// the provider about intents left open for a minute.
func reconcile(ctx context.Context, log *slog.Logger, store *db.DB, provider db.PaymentProvider) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := store.ReconcileIntents(ctx, provider, 100)
		if err != nil && ctx.Err() == nil {
			log.Error("reconcile intents", "err", err)
		}
		if n > 0 {
			log.Info("reconciled intents", "resolved", n)
		}
		// Money sent to someone who never set up payments goes back.
		back, err := store.ReturnUnclaimedSends(ctx, provider, 100)
		if err != nil && ctx.Err() == nil {
			log.Error("return unclaimed sends", "err", err)
		}
		if back > 0 {
			log.Info("unclaimed sends returned to their senders", "sends", back)
		}
	}
}

// audit checks the ledger's invariants and prints one line per check;
// any violation makes it fail.
func audit(ctx context.Context, store *db.DB, stdout io.Writer) error {
	// The checks read the ledger's tables as the latest migrations shape
	// them: on an older schema they would fail with raw SQL errors.
	pending, err := store.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if pending > 0 {
		return fmt.Errorf("audit: the database lacks %d of Divvy's migrations: run `divvy migrate` first", pending)
	}
	checks, err := store.Audit(ctx)
	if err != nil {
		return err
	}
	bad := 0
	for _, c := range checks {
		status := "ok"
		if c.Violations > 0 {
			status = "VIOLATED"
			bad++
		}
		fmt.Fprintf(stdout, "%-8s %-45s checked=%d violations=%d\n", status, c.Name, c.Checked, c.Violations)
	}
	if bad > 0 {
		return fmt.Errorf("audit: %d of %d checks failed", bad, len(checks))
	}
	fmt.Fprintf(stdout, "audit: all %d checks passed\n", len(checks))
	return nil
}

// serveDebug serves the profiler on a loopback address until ctx ends. A
// failure is logged, never fatal: the app does not need it.
func serveDebug(ctx context.Context, log *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	log.Info("profiler", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("profiler not served", "addr", addr, "err", err)
	}
}
