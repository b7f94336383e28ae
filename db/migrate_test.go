package db_test

import (
	"context"
	"sync"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// A fresh, empty database migrated by two stores at once: every migration
// is applied exactly once and both calls succeed.
func TestMigrateTwiceInParallel(t *testing.T) {
	ctx := context.Background()
	empty := dbtest.EmptyURL(t)
	a, err := db.Open(ctx, empty, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	var wg sync.WaitGroup
	applied := make([][]string, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := db.Open(ctx, empty, nil)
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Close()
			applied[i], errs[i] = d.Migrate(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	total := len(applied[0]) + len(applied[1])
	var n int
	if err := a.SQL().Get(&n, `SELECT count(*) FROM schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if total != n || n == 0 {
		t.Fatalf("applied %d + %d migrations, schema_migrations has %d rows; want each applied once", len(applied[0]), len(applied[1]), n)
	}
	if p, err := a.PendingMigrations(ctx); err != nil || p != 0 {
		t.Fatalf("pending after migrate = %d, %v; want 0", p, err)
	}
}
