package db_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// Used and expired reset links are deleted by the next request for a link
// (whatever its address); live ones stay and still work.
func TestPasswordResetLinksPruned(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	var now atomic.Pointer[time.Time]
	at := func(tm time.Time) { now.Store(&tm) }
	t0 := time.Now()
	at(t0)
	db.SetClock(d, func() time.Time { return *now.Load() })
	for _, email := range []string{"olivia@example.com", "sam@example.com", "lea@example.com"} {
		if _, err := d.CreateUser(ctx, db.SignUp{DisplayName: "Someone", Email: email, Password: "correct horse"}); err != nil {
			t.Fatal(err)
		}
	}
	request := func(email string) string {
		t.Helper()
		token, _, found, err := d.RequestPasswordReset(ctx, email)
		if err != nil || !found {
			t.Fatalf("reset for %s: found %v, %v", email, found, err)
		}
		return token
	}
	rows := func() int {
		var n int
		if err := d.SQL().Get(&n, `SELECT count(*) FROM password_resets`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	used := request("olivia@example.com")
	if _, err := d.ResetPassword(ctx, used, "a new password"); err != nil {
		t.Fatal(err)
	}
	request("sam@example.com") // expires at t0+30m
	at(t0.Add(20 * time.Minute))
	live := request("lea@example.com") // expires at t0+50m; prunes the used one
	if got := rows(); got != 2 {
		t.Fatalf("%d reset rows after a request; want 2 (the used link deleted, the live ones kept)", got)
	}

	at(t0.Add(31 * time.Minute))
	// An address without an account prunes too (the answer is the same).
	if _, _, found, err := d.RequestPasswordReset(ctx, "nobody@example.com"); err != nil || found {
		t.Fatalf("reset for an unknown address: found %v, %v", found, err)
	}
	if got := rows(); got != 1 {
		t.Fatalf("%d reset rows after Sam's link expired; want 1", got)
	}
	if _, err := d.PasswordResetUser(ctx, live); err != nil {
		t.Fatalf("the live link stopped working: %v", err)
	}
}
