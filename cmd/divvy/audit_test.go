package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/money"
)

// `divvy audit` after a burst of concurrent transfers: every check passes
// and is printed; after the ledger is tampered with, it fails.
func TestAuditCommand(t *testing.T) {
	t.Parallel()
	auditCommand(t, dbtest.URL(t))
}

// The same on a Citus cluster (skipped without one, except in CI).
func TestAuditCommandOnCitus(t *testing.T) {
	t.Parallel()
	auditCommand(t, dbtest.CitusURL(t))
}

func auditCommand(t *testing.T, url string) {
	ctx := context.Background()
	store, err := db.Open(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	const people = 20
	ids := make([]int64, people)
	for i := range ids {
		u, err := store.CreateGuest(ctx, fmt.Sprintf("Person %d", i), "en")
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = u.ID
		if _, err := store.Deposit(ctx, fmt.Sprintf("fund-%d-000", i), u.ID, money.Money{Amount: decimal.NewFromInt(100), Currency: "EUR"}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range 150 {
				from, to := ids[r.IntN(people)], ids[r.IntN(people)]
				if from == to {
					continue
				}
				amount := money.Money{Amount: decimal.New(int64(r.IntN(3000)+1), -2), Currency: "EUR"}
				_, err := store.Send(ctx, fmt.Sprintf("send-%d-%d", w, i), from, to, amount)
				if err != nil && db.ErrorCode(err) != db.EINSUFFICIENT {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()

	var out strings.Builder
	if err := run(ctx, []string{"divvy", "audit"}, env(map[string]string{"DATABASE_URL": url, "DIVVY_DATA_DIR": t.TempDir()}), &out, &out); err != nil {
		t.Fatalf("audit after concurrent transfers: %v\n%s", err, out.String())
	}
	t.Logf("audit output:\n%s", out.String())
	if !strings.Contains(out.String(), "all") || strings.Count(out.String(), "\nok ") < 5 {
		t.Errorf("audit output:\n%s", out.String())
	}

	// Forge a stored balance (a cache of the entries, so no trigger
	// guards it): the audit must catch it.
	sqlx := store.SQL()
	if _, err := sqlx.Exec(`UPDATE ledger_accounts SET balance = balance + 1 WHERE id = (SELECT min(id) FROM ledger_accounts WHERE kind = 'user_available')`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(ctx, []string{"divvy", "audit"}, env(map[string]string{"DATABASE_URL": url, "DIVVY_DATA_DIR": t.TempDir()}), &out, &out)
	if err == nil || !strings.Contains(out.String(), "VIOLATED") {
		t.Errorf("audit of a forged balance: %v\n%s", err, out.String())
	}
}

// `divvy audit` on a database that was never migrated says to migrate
// first and fails, instead of printing an SQL error.
func TestAuditUnmigrated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.EmptyURL(t)
	var out strings.Builder
	err := run(ctx, []string{"divvy", "audit"}, env(map[string]string{"DATABASE_URL": url, "DIVVY_DATA_DIR": t.TempDir()}), &out, &out)
	if err == nil {
		t.Fatalf("audit of an unmigrated database succeeded:\n%s", out.String())
	}
	if msg := err.Error(); !strings.Contains(msg, "divvy migrate") || strings.Contains(msg, "does not exist") {
		t.Errorf("audit of an unmigrated database: %q; want it to say to run `divvy migrate` first", msg)
	}

	// Migrated, the same database audits clean.
	if err := run(ctx, []string{"divvy", "migrate"}, env(map[string]string{"DATABASE_URL": url, "DIVVY_DATA_DIR": t.TempDir()}), &out, &out); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"divvy", "audit"}, env(map[string]string{"DATABASE_URL": url, "DIVVY_DATA_DIR": t.TempDir()}), &out, &out); err != nil {
		t.Fatalf("audit after migrate: %v\n%s", err, out.String())
	}
}
