package db_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// A thread of 20 members and 2 000 splits: reading its balances (positions
// and the settle-up plan) costs the same as for a thread of one split, since
// it reads the members' positions, not the splits. Compare with the page's
// own reads:
//
//	go test ./db -run XXX -bench 'ThreadBalances|ThreadPageRows' -benchtime 300x
func BenchmarkThreadBalances(b *testing.B) {
	d, th := bigThread(b)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.ThreadBalances(ctx, th); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThreadBalancesAt is what a page view pays: the balances at the
// event id it read, kept until a position moves.
func BenchmarkThreadBalancesAt(b *testing.B) {
	d, th := bigThread(b)
	ctx := context.Background()
	seq, err := d.LastEventID(ctx, th)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.ThreadBalancesAt(ctx, th, seq); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkThreadPageRows is the rest of the thread page's reads on the same
// thread, for scale.
func BenchmarkThreadPageRows(b *testing.B) {
	d, th := bigThread(b)
	ctx := context.Background()
	seq, err := d.LastEventID(ctx, th)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := d.ThreadPage(ctx, th, seq, 30); err != nil {
			b.Fatal(err)
		}
	}
}

func bigThread(b *testing.B) (*db.DB, int64) {
	b.Helper()
	return bigThreadOf(b, 20)
}

// bigThreadOf is bigThread whose splits are collected by the first
// collectors members only (20: everyone in turn, and everyone is even).
func bigThreadOf(b *testing.B, collectors int) (*db.DB, int64) {
	b.Helper()
	ctx := context.Background()
	d := dbtest.New(b)
	people := users(b, d, 20)
	th := thread(b, d, people...)
	tx, err := d.SQL().Beginx()
	if err != nil {
		b.Fatal(err)
	}
	var splits []int64
	for i := range 2000 {
		var nonce [16]byte
		rand.Read(nonce[:])
		collector := people[i%collectors]
		var id int64
		if err := tx.Get(&id, `INSERT INTO splits (group_id, title, currency, total, payee_id, created_by, mode, pay_nonce, pay_token_hash)
			VALUES ($1, 'Bill', 'EUR', 100, $2, $2, 'equal', $3, $3) RETURNING id`, th, collector, nonce[:]); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO shares (split_id, user_id, position, amount)
			SELECT $1, u, n, 25 FROM unnest($2::bigint[]) WITH ORDINALITY AS x (u, n)`, id,
			"{"+itoa(people[i%20])+","+itoa(people[(i+3)%20])+","+itoa(people[(i+7)%20])+","+itoa(people[(i+11)%20])+"}"); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(`INSERT INTO messages (group_id, kind, author_id, body, split_id, data) VALUES ($1, 'split', $2, 'Bill', $3, '{}')`,
			th, collector, id); err != nil {
			b.Fatal(err)
		}
		splits = append(splits, id)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if err := db.SyncSplitsPositions(ctx, d, splits); err != nil {
		b.Fatal(err)
	}
	return d, th
}

// BenchmarkFirstSettleUp settles the whole plan of a thread of 20 members
// and 2 000 splits, nothing paid yet, one line after the other: each line
// covers the shares of whoever it leaves even, hundreds of them, and closes
// the splits it leaves paid. Reported per line of the plan.
//
//	go test ./db -run XXX -bench FirstSettleUp -benchtime 1x
func BenchmarkFirstSettleUp(b *testing.B) {
	ctx := context.Background()
	b.StopTimer()
	for range b.N {
		d, th := bigThreadOf(b, 5)
		bal, err := d.ThreadBalances(ctx, th)
		if err != nil {
			b.Fatal(err)
		}
		lines := bal.Plans["EUR"]
		if len(lines) == 0 {
			b.Fatal("nothing to settle")
		}
		b.StartTimer()
		for i, l := range lines {
			if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c%d", th, l.To, i), PayerID: l.From,
				CollectorID: l.To, ThreadID: th, Amount: l.Amount}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(len(lines)*b.N), "ms/line")
		var covered int
		d.SQL().Get(&covered, `SELECT count(*) FROM share_payments WHERE kind = 'cover'`)
		b.ReportMetric(float64(covered), "covered")
	}
}
