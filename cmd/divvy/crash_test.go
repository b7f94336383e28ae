package main

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// The crash loop of issue 13: the real binary, killed with SIGKILL at
// random moments while friends pay by card with their PIN, say they paid
// in cash, and the organizer confirms cash, cancels splits and withdraws;
// started again after each kill. Then: every payment the server
// acknowledged is in the ledger exactly once, no split paid in full is
// left open, a right PIN still works for everyone, and `divvy audit`
// passes. Set CRASH_ITERATIONS for a longer run.
func TestCrashLoop(t *testing.T) {
	t.Parallel()
	began := time.Now()
	iterations := 12
	if s := os.Getenv("CRASH_ITERATIONS"); s != "" {
		if n, err := strconv.Atoi(s); err != nil || n < 1 {
			t.Fatalf("CRASH_ITERATIONS=%q: want a number of iterations", s)
		} else {
			iterations = n
		}
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 13))

	bin := buildDivvy(t)
	t.Logf("built ./cmd/divvy in %v", time.Since(began).Round(10*time.Millisecond))
	dbURL := dbtest.URL(t)
	secrets := map[string]string{"SESSION_KEYS": "crash-loop-session-key-0123456789abcdef",
		"PIN_PEPPER": "crash loop pepper", "SANDBOX_KEY": "crash loop sandbox key"}
	vars := map[string]string{"DATABASE_URL": dbURL, "DIVVY_DATA_DIR": t.TempDir(), "DEFAULT_LOCALE": "en",
		"SETTLEMENT_DELAY": "1s", "CAP_PER_TRANSFER": "10000", "CAP_30_DAYS": "1000000000"}
	for k, v := range secrets {
		vars[k] = v
	}
	srv := newDivvyProcess(t, bin, vars)
	store, err := db.Open(context.Background(), dbURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// The server has its own pool; the test's reads need few connections
	// of the PostgreSQL that every package's tests share.
	store.SQL().SetMaxOpenConns(6)
	store.SetPINPepper(secrets["PIN_PEPPER"])
	store.SetLinkKeys([]string{secrets["SESSION_KEYS"]})

	srv.start()
	w := newCrashWorld(t, store, secrets["SANDBOX_KEY"], srv.base, 5)
	t.Logf("built and seeded in %v: %d friends and the organizer, payments set up", time.Since(began).Round(10*time.Millisecond), len(w.payers))

	var total crashRound
	kills, prev := 0, crashState{}
	// Iterations after which each problem showed up (new).
	hit := map[string]int{}
	for i := 1; i <= iterations; i++ {
		if i > 1 {
			srv.start()
		}
		w.round = &crashRound{}
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for j, p := range w.payers {
			wg.Add(1)
			go func() { defer wg.Done(); w.payer(ctx, p, rand.New(rand.NewPCG(seed+uint64(i), uint64(j)))) }()
		}
		wg.Add(1)
		go func() { defer wg.Done(); w.organizer(ctx, rand.New(rand.NewPCG(seed+uint64(i), 99))) }()
		after := w.killMoment(rng, time.Duration(200+rng.IntN(1000))*time.Millisecond)
		// The clients start nothing new (their requests in flight go on),
		// and the server dies.
		cancel()
		srv.kill()
		w.lastKill = time.Now()
		kills++
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		now := w.afterKill(t)
		t.Logf("iteration %2d: killed after %4d ms: %s; now %d splits paid in full but open, %d half cancelled, at most %d PIN tries counted",
			i, after.Milliseconds(), w.round, now.paidOpen, now.halfCancelled, now.pinTries)
		if w.round.count("pay right PIN refused")+w.round.count("pay again right PIN refused")+w.round.count("withdraw right PIN refused") > 0 {
			hit["right PIN refused"]++
		}
		if now.paidOpen > prev.paidOpen {
			hit["a split paid in full left open"]++
		}
		if now.halfCancelled > prev.halfCancelled {
			hit["a split half cancelled"]++
		}
		prev = now
		total.add(w.round)
	}

	// After the last kill: start once more and let the server clean up
	// what it can (settle, resume), then check.
	srv.start()
	restarted := time.Now()
	w.round = &crashRound{}
	pinOK := w.checkPINs(t)
	// Not a check (issue 13 item 6 has its own test): card payments that a
	// killed process had claimed for settlement wait for its lease.
	time.Sleep(time.Until(restarted.Add(3 * time.Second)))
	var unsettled int
	if err := store.SQL().Get(&unsettled, `SELECT count(*) FROM ledger_transfers p WHERE kind = 'card_payment'
		AND created_at < $1 AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_of = p.id)`, restarted.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d card payments made before the last restart still unsettled %v after it (settlement delay 1 s)", unsettled, time.Since(restarted).Round(100*time.Millisecond))
	srv.stop()
	w.checkLedger(t)
	out, err := srv.command("audit")
	for try := 0; err != nil && strings.Contains(out, "53300") && try < 5; try++ {
		// Too many clients: the PostgreSQL shared with other tests is busy.
		time.Sleep(2 * time.Second)
		out, err = srv.command("audit")
	}
	if err != nil {
		t.Errorf("divvy audit after the crash loop: %v\n%s", err, out)
	}
	t.Logf("totals: %d iterations, %d kills (SIGKILL); acknowledged %d operations: %d card payments, %d cash confirmations, %d cancels, %d withdrawals; server log: %d ERROR lines %v",
		iterations, kills, w.acked.total(), len(w.acked.card), len(w.acked.cash), len(w.acked.cancels), len(w.acked.payouts),
		srv.logLines(`"level":"ERROR"`), srv.logErrors())
	t.Logf("all answers: %s", &total)
	t.Logf("iterations that hit a problem (of %d): %v", iterations, hit)
	t.Logf("checks: PIN works for %d of %d people; audit: %s; took %v", pinOK, len(w.payers)+1, lastLine(out), time.Since(began).Round(100*time.Millisecond))
}

// lastLine is the last line of a command's output.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
