package db_test

import (
	"context"
	"sync"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// The Go skeleton of handles (for the reserved words) and the database's
// name_skeleton (for names and other handles) read every handle alike.
func TestHandleSkeletonAgreesWithDatabase(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	for _, h := range []string{"sam.martin", "sarn-martin", "1ea.dubois", "d1vvy", "vvalter", "o0o-i1l", "rnrn.vvvv", "abc-123.xyz"} {
		var got string
		if err := d.SQL().Get(&got, `SELECT name_skeleton($1)`, h); err != nil {
			t.Fatal(err)
		}
		if want := db.HandleSkeleton(h); got != want {
			t.Errorf("name_skeleton(%q) = %q, handleSkeleton = %q", h, got, want)
		}
	}
	for name, want := range map[string]string{
		"Léa Dubois": "leadubols", "ÉLODIE Ørsted": "elodleorsted", "Straße": "strasse", "Zoë O'Brien": "zoeobrlen",
		"Сэм": "", "François-Xavier": "francolsxavler",
	} {
		var got string
		if err := d.SQL().Get(&got, `SELECT name_skeleton($1)`, name); err != nil || got != want {
			t.Errorf("name_skeleton(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}

// Reserved words spelt with look-alike digits, and the app's name inside a
// handle, are refused like the words themselves.
func TestHandleReservedLookalikes(t *testing.T) {
	t.Parallel()
	for typed, want := range map[string]string{
		"adm1n": "handle.reserved", "supp0rt": "handle.reserved", "d1vvy": "handle.reserved", "divvy-team": "handle.reserved",
		"my.dlvvy": "handle.reserved", "r00t": "handle.reserved", "paypal.me": "", "sam0": "",
	} {
		_, _, err := db.NormalizeHandle(typed)
		if got := db.ReasonOf(err); got != want {
			t.Errorf("NormalizeHandle(%q): %q, want %q", typed, got, want)
		}
	}
}

// readyNamed is readyPayer with a display name and legal name of its own.
func readyNamed(t *testing.T, d *db.DB, n db.Notifier, name, legal, pin string) int64 {
	t.Helper()
	ctx := context.Background()
	u := payGuest(t, d, name)
	s := goodSetup("4242 4242 4242 4242", pin)
	s.LegalName = legal
	if _, err := d.SetupPayments(ctx, u, paySandbox(t), n, s); err != nil {
		t.Fatal(err)
	}
	if err := d.ActivatePayments(ctx, u, lastCode(t, d, u)); err != nil {
		t.Fatal(err)
	}
	return u
}

// A handle that reads as another person's display name or handle is
// refused; one from the chooser's own name is not, even when someone else
// has that name too.
func TestHandleLookalikes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	payGuest(t, d, "Léa Dubois")
	payGuest(t, d, "Sam")
	sam := readyNamed(t, d, n, "Sam Martin", "Samuel Martin", "482913")
	mallory := readyNamed(t, d, n, "Mallory", "Mallory Evans", "739164")
	otherSam := readyNamed(t, d, n, "Sam", "Sam Leroy", "615203")
	if _, err := d.ChooseHandle(ctx, sam, "sam.martin"); err != nil {
		t.Fatal(err)
	}
	for typed, want := range map[string]string{
		"lea.dubois":  "handle.lookalike_name",   // Léa's name, accents aside
		"1ea-dubois":  "handle.lookalike_name",   // with a 1 for the l
		"LeaDubois":   "handle.lookalike_name",   // in one word
		"sarn.martin": "handle.lookalike_handle", // rn for m
		"sam-martin":  "handle.lookalike_handle", // a dash for the dot
		"sammartin":   "handle.lookalike_handle",
		"sam":         "handle.lookalike_name", // another Sam's name, not Mallory's
		"sam.martin":  "handle.taken",
	} {
		if _, err := d.ChooseHandle(ctx, mallory, typed); db.ReasonOf(err) != want {
			t.Errorf("Mallory chooses %q: %v, want %s", typed, err, want)
		}
	}
	if _, err := d.ChooseHandle(ctx, otherSam, "sam"); err != nil {
		t.Errorf("Sam chooses sam, his own name, which a guest also has: %v", err)
	}
	if _, err := d.ChooseHandle(ctx, mallory, "mallory.e"); err != nil {
		t.Errorf("Mallory chooses her own name: %v", err)
	}
	var n2 int
	if err := d.SQL().Get(&n2, `SELECT count(*) FROM handles WHERE user_id = $1`, mallory); err != nil || n2 != 1 {
		t.Errorf("Mallory holds %d handles (%v), want 1", n2, err)
	}
}

// Two people claiming handles that read alike at once: one gets theirs.
func TestHandleLookalikeRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	for round, pair := range [][2]string{{"pizza.friday", "pizza-friday"}, {"rnoon.club", "moon.club"}} {
		a := readyNamed(t, d, n, "Ana", "Ana Diaz", "482913")
		b := readyNamed(t, d, n, "Bo", "Bo Lind", "739164")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, u := range []int64{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = d.ChooseHandle(ctx, u, pair[i])
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case db.ReasonOf(err) != "handle.lookalike_handle":
				t.Errorf("round %d: unexpected %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d people got a handle, want 1 (%v)", round, ok, errs)
		}
	}
}
