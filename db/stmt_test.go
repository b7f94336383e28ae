package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"divvy/db"
	"divvy/db/dbtest"
)

func TestPreparedInAndOutOfTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	ids := users(t, d, 2)
	const q = `SELECT display_name FROM users WHERE id = ANY($1) ORDER BY id`

	// First uses race to prepare; every caller gets an answer.
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var names []string
			if err := db.SelectPrepared(ctx, d, d.SQL(), &names, q, pq.Array(ids)); err != nil || len(names) != 2 {
				t.Errorf("outside a transaction: %v, %v", names, err)
			}
		}()
	}
	wg.Wait()

	// Inside a transaction the statement sees the transaction's own writes.
	tx, err := d.SQL().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE users SET display_name = 'renamed' WHERE id = $1`, ids[0]); err != nil {
		t.Fatal(err)
	}
	var names []string
	if err := db.SelectPrepared(ctx, d, tx, &names, q, pq.Array(ids)); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != "renamed" {
		t.Fatalf("inside the transaction: %v; want the uncommitted name first", names)
	}
	tx.Rollback()
	names = nil
	if err := db.SelectPrepared(ctx, d, d.SQL(), &names, q, pq.Array(ids)); err != nil || names[0] == "renamed" {
		t.Fatalf("after rollback: %v, %v", names, err)
	}

	// Another store's pool is refused, not silently swapped for this one.
	other := dbtest.New(t)
	if err := db.SelectPrepared(ctx, d, other.SQL(), &names, q, pq.Array(ids)); err == nil {
		t.Errorf("a statement of one store ran through another's pool")
	}
}

// The shares of split cards are read on every thread page; their prepared
// statement must settle on one generic plan rather than plan every call.
func TestSharesQueryKeepsItsPlan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	_, split, _ := newSplit(t, d, u[0], u, "5")
	// The pool prepares the statement (a transaction only reuses one the
	// pool already has).
	if _, err := db.CountShareRows(ctx, d, d.SQL(), []int64{split}); err != nil {
		t.Fatal(err)
	}
	// A transaction holds one connection, where the plan cache is.
	tx, err := d.SQL().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for range 8 {
		n, err := db.CountShareRows(ctx, d, tx, []int64{split})
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Fatalf("%d shares; want 3", n)
		}
	}
	var generic int
	if err := tx.Get(&generic, `SELECT coalesce(max(generic_plans), 0) FROM pg_prepared_statements WHERE statement LIKE '%FROM shares sh%'`); err != nil {
		t.Fatal(err)
	}
	if generic == 0 {
		t.Errorf("the shares query was planned anew on each of 8 calls")
	}
}

// A transaction that holds every connection of the pool still runs a query
// the pool has not prepared yet: preparing it must not wait for another
// connection (that wait deadlocked racing payments once the pool was full of
// transactions waiting for a lock held by one of them).
func TestPreparedInTransactionNeedsNoOtherConnection(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ids := users(t, d, 2)
	d.SQL().SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tx, err := d.SQL().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i, q := range []string{
		`SELECT display_name FROM users WHERE id = ANY($1) ORDER BY id`,
		`SELECT display_name FROM users WHERE id = ANY($1) ORDER BY id DESC`,
	} {
		var names []string
		if err := db.SelectPrepared(ctx, d, tx, &names, q, pq.Array(ids)); err != nil || len(names) != 2 {
			t.Fatalf("query %d inside a transaction holding the only connection: %v, %v", i, names, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
