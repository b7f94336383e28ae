package db_test

import (
	"context"
	"sync"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// A thread page's rows are read once per event id: the same id reuses the
// rows, a new event (every change a page shows writes one) reads afresh.
func TestThreadPageFollowsEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 1)[0]
	g, err := d.CreateThread(ctx, u, db.NewThread{Name: "Pizza Friday", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	bodies := func(ms []db.Message) (out []string) {
		for _, m := range ms {
			if m.Kind == "text" {
				out = append(out, m.Body)
			}
		}
		return out
	}
	latest := func() ([]string, int64) {
		g, _, err := d.Membership(ctx, g.ID, u)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := d.ThreadPage(ctx, g.ID, g.EventSeq, 50)
		if err != nil {
			t.Fatal(err)
		}
		return bodies(rows.Messages), g.EventSeq
	}
	if _, err := d.PostText(ctx, g.ID, u, "one"); err != nil {
		t.Fatal(err)
	}
	got, seq := latest()
	if len(got) != 1 || got[0] != "one" {
		t.Fatalf("after one message: %q", got)
	}
	// A row written without an event (which no code path does) stays
	// unseen while the event id is the same: the rows are reused.
	if _, err := d.SQL().Exec(`INSERT INTO messages (group_id, kind, author_id, body, data) VALUES ($1, 'text', $2, 'sneaky', '{}')`, g.ID, u); err != nil {
		t.Fatal(err)
	}
	if got, again := latest(); again != seq || len(got) != 1 {
		t.Fatalf("same event id %d: %q, want the rows read before", again, got)
	}
	// The next change's event makes the next read fresh.
	if _, err := d.PostText(ctx, g.ID, u, "two"); err != nil {
		t.Fatal(err)
	}
	if got, next := latest(); next <= seq || len(got) != 3 || got[2] != "two" {
		t.Fatalf("after a new event (%d): %q, want one, sneaky, two", next, got)
	}
}

// Requests for a thread page at the same event id, arriving together after
// a change, read its rows once: the others wait for that read.
func TestThreadPageReadOncePerEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 1)[0]
	g, err := d.CreateThread(ctx, u, db.NewThread{Name: "Pizza Friday", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"one", "two"} {
		if _, err := d.PostText(ctx, g.ID, u, text); err != nil {
			t.Fatal(err)
		}
		g, _, err = d.Membership(ctx, g.ID, u)
		if err != nil {
			t.Fatal(err)
		}
		before := d.PageReads()
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				rows, err := d.ThreadPage(ctx, g.ID, g.EventSeq, 50)
				if err == nil && rows.Messages[len(rows.Messages)-1].Body != text {
					t.Errorf("after %q: the newest message is %q", text, rows.Messages[len(rows.Messages)-1].Body)
				}
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := d.PageReads() - before; n != 1 {
			t.Errorf("after %q: 20 requests at event %d read the rows %d times, want once", text, g.EventSeq, n)
		}
	}
}

// A thread's balances for its page are read once per event id, like its
// rows: views arriving together after a change wait for one read, and a
// view that read an earlier id takes the balances kept for a later one.
func TestThreadBalancesReadOncePerEvent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	th, u, _ := editThread(t, d, 3, "10.00", "20.00", "30.00")
	at := func() int64 {
		g, _, err := d.Membership(ctx, th, u[0])
		if err != nil {
			t.Fatal(err)
		}
		return g.EventSeq
	}
	together := func(seq int64) []db.ThreadBalance {
		start := make(chan struct{})
		var wg sync.WaitGroup
		out := make([]db.ThreadBalance, 20)
		errs := make([]error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				out[i], errs[i] = d.ThreadBalancesAt(ctx, th, seq)
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	owes := func(b db.ThreadBalance, who int64) string {
		for _, p := range b.Positions["EUR"] {
			if p.UserID == who {
				return p.Amount.Amount.String()
			}
		}
		return "0"
	}
	first := at()
	before := d.BalanceReads()
	for _, b := range together(first) {
		if got := owes(b, u[2]); got != "-30" {
			t.Fatalf("at %d: the third person's position is %s, want -30", first, got)
		}
	}
	if n := d.BalanceReads() - before; n != 1 {
		t.Errorf("20 views at event %d read the balances %d times, want once", first, n)
	}
	// A second split moves the positions and writes an event: read afresh.
	if _, err := d.CreateSplit(ctx, th, u[0], editPlan(t, d, th, u, "Drinks", "", "5.00", "5.00")); err != nil {
		t.Fatal(err)
	}
	second := at()
	if second <= first {
		t.Fatalf("the event id did not move: %d, then %d", first, second)
	}
	before = d.BalanceReads()
	for _, b := range together(second) {
		if got := owes(b, u[2]); got != "-35" {
			t.Fatalf("at %d: the third person's position is %s, want -35", second, got)
		}
	}
	if n := d.BalanceReads() - before; n != 1 {
		t.Errorf("20 views at event %d read the balances %d times, want once", second, n)
	}
	// A view that read the earlier id (before the split) takes the newer
	// balances without reading: they were read after its id too.
	b, err := d.ThreadBalancesAt(ctx, th, first)
	if err != nil {
		t.Fatal(err)
	}
	if got := owes(b, u[2]); got != "-35" || d.BalanceReads() != before+1 {
		t.Errorf("a view at the earlier id %d: position %s after %d reads, want -35 and no new read", first, got, d.BalanceReads()-before)
	}
}
