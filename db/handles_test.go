package db_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"divvy/db"
)

// readyPayer is a guest whose payments are set up and activated with pin.
func readyPayer(t testing.TB, d *db.DB, n db.Notifier, pin string) int64 {
	t.Helper()
	u, code := setUp(t, d, n, pin)
	if err := d.ActivatePayments(context.Background(), u, code); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestHandleRules(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		typed, key, reason string
	}{
		{"Sam.Martin", "sam.martin", ""},
		{"@sam-42", "sam-42", ""},
		{"ab", "", "handle.format"},
		{"a_b", "", "handle.format"},
		{"-sam", "", "handle.format"},
		{"sam.", "", "handle.format"},
		{"sam..martin", "", "handle.format"},
		{"s\u043em", "", "handle.format"}, // a Cyrillic о among Latin letters
		{"léa", "", "handle.format"},
		{"Threads", "", "handle.reserved"},
		{"admin", "", "handle.reserved"},
		{"to", "", "handle.format"}, // too short before reserved
		{"login", "", "handle.reserved"},
		{"0123456789012345678901234567890", "", "handle.format"},
	} {
		_, key, err := db.NormalizeHandle(c.typed)
		if got := db.ReasonOf(err); got != c.reason || key != c.key {
			t.Errorf("NormalizeHandle(%q) = %q, %q; want %q, %q", c.typed, key, got, c.key, c.reason)
		}
	}
}

// A handle is unique whatever its case, changes at most once in 30 days,
// and the old one leads to its person for 30 days, then is free.
func TestHandleChangeAndRedirect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	now := time.Now()
	var clock atomic.Pointer[time.Time]
	clock.Store(&now)
	db.SetClock(d, func() time.Time { return *clock.Load() })
	later := func(dur time.Duration) { t := clock.Load().Add(dur); clock.Store(&t) }

	sam := readyPayer(t, d, n, "482913")
	lea := readyPayer(t, d, n, "739164")
	guest := payGuest(t, d, "Nobody")

	_, err := d.ChooseHandle(ctx, guest, "nobody")
	if db.ReasonOf(err) != "handle.payments_first" {
		t.Fatalf("a handle without payments: %v", err)
	}
	if _, err := d.ChooseHandle(ctx, sam, "Sam.Martin"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ChooseHandle(ctx, lea, "SAM.martin"); db.ReasonOf(err) != "handle.taken" {
		t.Fatalf("the same handle in other case: %v, want handle.taken", err)
	}
	o, err := d.HandleOwner(ctx, "sam.MARTIN")
	if err != nil || o.UserID != sam || !o.Current || o.Handle != "Sam.Martin" || !o.Accepts {
		t.Fatalf("owner of sam.MARTIN: %+v, %v", o, err)
	}
	if _, err := d.ChooseHandle(ctx, sam, "samm"); db.ReasonOf(err) != "handle.too_soon" {
		t.Fatalf("a change the same day: %v, want handle.too_soon", err)
	}
	later(31 * 24 * time.Hour)
	if _, err := d.ChooseHandle(ctx, sam, "samm"); err != nil {
		t.Fatal(err)
	}
	o, err = d.HandleOwner(ctx, "sam.martin")
	if err != nil || o.UserID != sam || o.Current || o.Handle != "samm" {
		t.Fatalf("the old handle: %+v, %v; want Sam, not current, pointing at samm", o, err)
	}
	if _, err := d.ChooseHandle(ctx, lea, "sam.martin"); db.ReasonOf(err) != "handle.taken" {
		t.Fatalf("an old handle still redirecting: %v, want handle.taken", err)
	}
	later(31 * 24 * time.Hour)
	if _, err := d.HandleOwner(ctx, "sam.martin"); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("an old handle after 30 days: %v, want not found", err)
	}
	if _, err := d.ChooseHandle(ctx, lea, "sam.martin"); err != nil {
		t.Fatalf("a handle free for 30 days: %v", err)
	}
	if o, err := d.HandleOwner(ctx, "sam.martin"); err != nil || o.UserID != lea {
		t.Fatalf("sam.martin now: %+v, %v; want Léa", o, err)
	}
	if h, err := d.HandleOf(ctx, sam); err != nil || h.Handle != "samm" {
		t.Fatalf("Sam's handle: %+v, %v", h, err)
	}
}

// Two people claiming one handle at once: one gets it.
func TestHandleRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	a, b := readyPayer(t, d, n, "482913"), readyPayer(t, d, n, "739164")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, u := range []int64{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = d.ChooseHandle(ctx, u, "pizza.friday")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case db.ReasonOf(err) != "handle.taken":
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d people got the handle, want 1 (%v)", ok, errs)
	}
}
