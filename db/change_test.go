package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// An event row written in a transaction the store did not open through its
// change helper would reach no live page: it is refused, and nothing is
// written.
func TestEventOutsideAChangeIsRefused(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	u := users(t, d, 1)
	th, err := d.CreateThread(ctx, u[0], db.NewThread{Name: "Pizza Friday", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := d.LastEventID(ctx, th.ID)
	tx, err := d.SQL().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := db.AddMembersEvent(ctx, tx, th.ID); err == nil {
		tx.Commit()
		t.Fatal("an event written outside a change was accepted")
	}
	tx.Rollback()
	if after, _ := d.LastEventID(ctx, th.ID); after != before {
		t.Errorf("event id moved from %d to %d", before, after)
	}
}

// Every use case that writes a thread's events signals that thread after
// its commit, with no call of its own: the signal sees the new events.
func TestEveryChangeSignalsItsThread(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[int64]int64{} // thread -> its last event id when signalled
	d.SetChangeHook(func(id int64) {
		last, err := d.LastEventID(ctx, id) // another connection: committed rows only
		if err != nil {
			t.Error(err)
		}
		mu.Lock()
		seen[id] = max(seen[id], last)
		mu.Unlock()
	})
	step := func(name string, thread int64, fn func() error) {
		t.Helper()
		before, _ := d.LastEventID(ctx, thread)
		mu.Lock()
		clear(seen)
		mu.Unlock()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after, _ := d.LastEventID(ctx, thread)
		if after <= before {
			t.Fatalf("%s wrote no event of thread %d", name, thread)
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[thread] < after {
			t.Errorf("%s: thread %d signalled having seen event %d, want %d", name, thread, seen[thread], after)
		}
	}

	u := users(t, d, 3) // organizer, two friends
	th, err := d.CreateThread(ctx, u[0], db.NewThread{Name: "Pizza Friday", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := d.LastEventID(ctx, th.ID); last == 0 || seen[th.ID] < last {
		t.Errorf("CreateThread: thread signalled having seen event %d, want %d", seen[th.ID], last)
	}
	token, err := d.InviteToken(ctx, th.ID, u[0])
	if err != nil {
		t.Fatal(err)
	}
	step("JoinByInvite", th.ID, func() error { _, err := d.JoinByInvite(ctx, token, u[1]); return err })
	step("RenameThread", th.ID, func() error { return d.RenameThread(ctx, th.ID, u[0], "Pizza Saturday") })
	step("AddNamedGuests", th.ID, func() error { _, err := d.AddNamedGuests(ctx, th.ID, u[0], []string{"Nina"}, "en"); return err })
	step("PostText", th.ID, func() error { _, err := d.PostText(ctx, th.ID, u[1], "Who is in?"); return err })
	step("KeepAccount", th.ID, func() error {
		_, err := d.KeepAccount(ctx, u[1], "friend@example.com", "correct horse")
		return err
	})

	thread, split, shares := newSplit(t, d, u[0], u[1:], "12.50")
	step("ClaimCash", thread, func() error { return d.ClaimCash(ctx, thread, split, shares[0], u[1]) })
	step("RejectCash", thread, func() error { return d.RejectCash(ctx, thread, split, shares[0], u[0]) })
	step("ClaimCash again", thread, func() error { return d.ClaimCash(ctx, thread, split, shares[0], u[1]) })
	// The payment's message and events are written by a ledger hook,
	// inside the money's transaction.
	step("ConfirmCash", thread, func() error { return d.ConfirmCash(ctx, thread, split, shares[0], u[0]) })
	step("Remind", thread, func() error { _, err := d.Remind(ctx, thread, split, shares[1], u[0]); return err })
	step("CancelSplit", thread, func() error { return d.CancelSplit(ctx, nil, thread, split, u[0]) })

	// The messages those changes wrote decode to their kind's type.
	ms, _, err := d.Messages(ctx, thread, 0, 50)
	if err != nil {
		t.Fatal(err)
	}
	amount := func(a db.StoredAmount) string {
		if m, ok := a.Money(); ok {
			return m.String()
		}
		return "-"
	}
	var got []string
	for _, m := range ms {
		switch p := m.Payload().(type) {
		case db.SystemData:
			got = append(got, "system "+p.Event+" "+p.Title+" "+amount(p.StoredAmount))
		case db.PaymentData:
			got = append(got, "payment "+p.Method+" "+amount(p.StoredAmount))
		case db.ReminderData:
			got = append(got, "reminder "+p.To+" "+p.Title+" "+amount(p.StoredAmount))
		default:
			got = append(got, m.Kind+" without data")
		}
	}
	want := []string{
		"system cash_claimed Pizza night 12.50 EUR",
		"system cash_claimed Pizza night 12.50 EUR",
		"payment cash 12.50 EUR",
		"reminder user 2 Pizza night 12.50 EUR",
		"system split_cancelled Pizza night -",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("messages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
