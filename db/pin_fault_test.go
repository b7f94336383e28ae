package db_test

import (
	"context"
	"testing"
	"time"

	"divvy/db"
)

// A crash between checking a right PIN and recording it (the process is
// killed, the database drops) must never lock anyone out: the try in
// progress expires, and the right PIN then works. Before, each such fault
// left a try counted for good; after five, every PIN got "Wrong PIN, 0
// tries left" forever.
func TestCheckPINFaultNeverLocksOut(t *testing.T) {
	ctx := context.Background()
	d, n := payStore(t)
	u, _ := setUp(t, d, n, testPIN)
	defer db.SetPINTryTTL(time.Second)()
	crash := func(userID int64) {
		if userID == u {
			panic("killed between the hash check and its record")
		}
	}
	db.SetPINCheckedHook(crash)
	defer db.SetPINCheckedHook(nil)
	for i := range 7 {
		func() {
			defer func() { recover() }()
			err := d.CheckPIN(ctx, u, testPIN)
			if i < 5 {
				t.Errorf("check %d: no crash (%v)", i, err)
			}
		}()
	}
	db.SetPINCheckedHook(nil)

	// Whatever was counted expires within the try's lifetime; never a lock.
	time.Sleep(1100 * time.Millisecond)
	var locked *time.Time
	if err := d.SQL().Get(&locked, `SELECT pin_locked_until FROM payment_profiles WHERE user_id = $1`, u); err != nil || locked != nil {
		t.Fatalf("locked until %v (%v) without a single wrong PIN", locked, err)
	}
	if err := d.CheckPIN(ctx, u, testPIN); err != nil {
		t.Fatalf("right PIN after crashes: %v", err)
	}
	wantTries(t, d, u, 5, false)

	// Wrong PINs still count: a crash after four wrong ones and before the
	// fifth is recorded leaves four, and the next wrong one locks.
	for _, left := range []string{"4 tries", "3 tries", "2 tries", "1 try"} {
		wantErr(t, d.CheckPIN(ctx, u, "000001"), db.EINVALID, "Wrong PIN, "+left+" left")
	}
	db.SetPINCheckedHook(crash)
	func() {
		defer func() { recover() }()
		d.CheckPIN(ctx, u, "000001")
	}()
	db.SetPINCheckedHook(nil)
	time.Sleep(1100 * time.Millisecond)
	wantErr(t, d.CheckPIN(ctx, u, "000001"), db.EINVALID, "locked for 15 minutes")
	lockFor(t, d, u, 15*time.Minute)
	// The lock ends, and then the right PIN works.
	unlock(t, d, u)
	if err := d.CheckPIN(ctx, u, testPIN); err != nil {
		t.Fatalf("right PIN after the lock ended: %v", err)
	}
}
