package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

const testPIN = "482913"

func wantTries(t testing.TB, d *db.DB, u int64, want int, locked bool) time.Time {
	t.Helper()
	left, until, err := d.PINStatus(context.Background(), u)
	if err != nil || left != want || until.IsZero() == locked {
		t.Fatalf("PINStatus = %d tries, locked until %v, %v; want %d tries, locked %v", left, until, err, want, locked)
	}
	return until
}

// lockFor checks that payments are locked for about want from now.
func lockFor(t testing.TB, d *db.DB, u int64, want time.Duration) {
	t.Helper()
	until := wantTries(t, d, u, 0, true)
	if got := time.Until(until); got < want-time.Minute || got > want+time.Minute {
		t.Fatalf("locked for %v; want %v", got, want)
	}
}

// unlock makes the lock-out end now, as if its time had passed.
func unlock(t testing.TB, d *db.DB, u int64) {
	t.Helper()
	if _, err := d.SQL().Exec(`UPDATE payment_profiles SET pin_locked_until = now() - interval '1 second' WHERE user_id = $1`, u); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPIN(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, _ := setUp(t, d, n, testPIN)
	if err := d.CheckPIN(ctx, u, testPIN); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	wantTries(t, d, u, 5, false)
	wantErr(t, d.CheckPIN(ctx, u, "48291"), db.EINVALID, "6 digits")
	wantErr(t, d.CheckPIN(ctx, u, "482914"), db.EINVALID, "Wrong PIN, 4 tries left")
	wantErr(t, d.CheckPIN(ctx, u, "482915"), db.EINVALID, "Wrong PIN, 3 tries left")
	wantTries(t, d, u, 3, false)
	// A right PIN forgets the wrong ones.
	if err := d.CheckPIN(ctx, u, testPIN); err != nil {
		t.Fatalf("right PIN: %v", err)
	}
	wantTries(t, d, u, 5, false)
	for _, left := range []string{"4 tries", "3 tries", "2 tries", "1 try"} {
		wantErr(t, d.CheckPIN(ctx, u, "000001"), db.EINVALID, "Wrong PIN, "+left+" left")
	}
	wantErr(t, d.CheckPIN(ctx, u, "000001"), db.EINVALID, "locked for 15 minutes")
	lockFor(t, d, u, 15*time.Minute)
	// While locked, even the right PIN is refused, saying until when.
	wantErr(t, d.CheckPIN(ctx, u, testPIN), db.ETOOMANY, "locked for 15 minutes more (until ")
	wantErr(t, d.CheckPIN(context.Background(), payGuest(t, d, "Nobody"), testPIN), db.ENOTFOUND, "Set up payments")
}

// 20 wrong PINs at once: exactly 5 are checked and wrong, 15 find payments locked.
func TestCheckPINParallel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, _ := setUp(t, d, n, testPIN)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[string]int{}
		start  = make(chan struct{})
	)
	for i := range 20 {
		wg.Go(func() {
			<-start
			err := d.CheckPIN(ctx, u, "90817"+string(rune('0'+i%10)))
			kind := db.ErrorCode(err) + ": " + english(err)
			switch {
			case db.ErrorCode(err) == db.EINVALID && strings.HasPrefix(english(err), "Wrong PIN"):
				kind = "wrong"
			case db.ErrorCode(err) == db.ETOOMANY:
				kind = "locked"
			}
			mu.Lock()
			counts[kind]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if counts["wrong"] != 5 || counts["locked"] != 15 || len(counts) != 2 {
		t.Fatalf("answers = %v; want 5 wrong and 15 locked", counts)
	}
	lockFor(t, d, u, 15*time.Minute)
	wantErr(t, d.CheckPIN(ctx, u, testPIN), db.ETOOMANY, "locked")
	// Setting up again does not undo the lock-out.
	_, err := d.SetupPayments(ctx, u, paySandbox(t), n, goodSetup("4242 4242 4242 4242", "739164"))
	wantErr(t, err, db.ETOOMANY, "locked")
}

// Each lock-out lasts twice the one before, until a right PIN.
func TestCheckPINLockOutsGrow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, _ := setUp(t, d, n, testPIN)
	fiveWrong := func() {
		t.Helper()
		for range 5 {
			wantErr(t, d.CheckPIN(ctx, u, "000001"), db.EINVALID, "Wrong PIN")
		}
	}
	fiveWrong()
	lockFor(t, d, u, 15*time.Minute)
	unlock(t, d, u)
	wantTries(t, d, u, 5, false)
	fiveWrong()
	lockFor(t, d, u, 30*time.Minute)
	unlock(t, d, u)
	fiveWrong()
	lockFor(t, d, u, time.Hour)
	unlock(t, d, u)
	if err := d.CheckPIN(ctx, u, testPIN); err != nil {
		t.Fatalf("right PIN after the lock-out: %v", err)
	}
	fiveWrong()
	lockFor(t, d, u, 15*time.Minute)
}

// The PIN is kept as an Argon2id hash with the pepper mixed in.
func TestPINHashUsesPepper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, _ := setUp(t, d, n, testPIN)
	var hash string
	if err := d.SQL().Get(&hash, `SELECT pin_hash FROM payment_profiles WHERE user_id = $1`, u); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, testPIN) {
		t.Fatalf("pin_hash = %q; want an Argon2id hash", hash)
	}
	d.SetPINPepper("another pepper")
	wantErr(t, d.CheckPIN(ctx, u, testPIN), db.EINVALID, "Wrong PIN")
	d.SetPINPepper(testPepper)
	if err := d.CheckPIN(ctx, u, testPIN); err != nil {
		t.Fatalf("right PIN and pepper: %v", err)
	}
	// A store without a pepper refuses to check or set a PIN.
	bare := dbtest.New(t)
	bare.SetPINPepper("") // dbtest sets one; this store must have none
	if err := bare.CheckPIN(ctx, u, testPIN); err == nil || db.ErrorCode(err) != db.EINTERNAL {
		t.Fatalf("CheckPIN without a pepper: %v; want an internal error", err)
	}
	_, err := bare.SetupPayments(ctx, payGuest(t, bare, "Sam"), paySandbox(t), n, goodSetup("4242 4242 4242 4242", testPIN))
	if err == nil || db.ErrorCode(err) != db.EINTERNAL {
		t.Fatalf("SetupPayments without a pepper: %v; want an internal error", err)
	}
}

// A right PIN is remembered in memory for a while: checking it again runs
// no Argon2id hash, yet still takes a try (refused while payments are
// locked) and resets the wrong ones. A wrong PIN, a new PIN, another
// pepper or the end of the while are hashed again.
func TestCheckPINRemembersRightPIN(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	u, _ := setUp(t, d, n, testPIN)
	clock := time.Now()
	var mu sync.Mutex
	d.SetPINMemoryClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return clock })
	hashes := func(want int64) {
		t.Helper()
		if got := d.PINHashes(); got != want {
			t.Fatalf("%d PIN checks hashed; want %d", got, want)
		}
	}
	right := func() {
		t.Helper()
		if err := d.CheckPIN(ctx, u, testPIN); err != nil {
			t.Fatalf("right PIN: %v", err)
		}
	}
	right()
	hashes(1)
	right()
	right()
	hashes(1)
	// A wrong PIN is hashed and counted; the remembered right one then
	// resets the count without a hash.
	wantErr(t, d.CheckPIN(ctx, u, "482914"), db.EINVALID, "Wrong PIN, 4 tries left")
	hashes(2)
	right()
	hashes(2)
	wantTries(t, d, u, 5, false)
	// Locked: the right PIN is refused even though it is remembered.
	for range 5 {
		wantErr(t, d.CheckPIN(ctx, u, "000001"), db.EINVALID, "")
	}
	hashes(7)
	wantErr(t, d.CheckPIN(ctx, u, testPIN), db.ETOOMANY, "locked")
	hashes(7)
	unlock(t, d, u)
	right()
	hashes(7)
	// Another pepper: the remembered PIN no longer matches.
	d.SetPINPepper("another pepper")
	wantErr(t, d.CheckPIN(ctx, u, testPIN), db.EINVALID, "Wrong PIN")
	hashes(8)
	d.SetPINPepper(testPepper)
	right()
	hashes(8)
	// After pinMemoryTTL the PIN is hashed again, once.
	mu.Lock()
	clock = clock.Add(db.PINMemoryTTL + time.Second)
	mu.Unlock()
	right()
	right()
	hashes(9)
	// A new PIN: the old one is wrong (hashed), the new one right.
	if _, err := d.SetupPayments(ctx, u, paySandbox(t), n, goodSetup("4242 4242 4242 4242", "739164")); err != nil {
		t.Fatal(err)
	}
	wantErr(t, d.CheckPIN(ctx, u, testPIN), db.EINVALID, "Wrong PIN")
	hashes(10)
	if err := d.CheckPIN(ctx, u, "739164"); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
	hashes(11)
}

// Right PINs checked at once, some remembered, some not, by several
// people: every check is answered right, and no goroutine's PIN is hashed
// twice.
func TestCheckPINRememberedParallel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	var users []int64
	for range 4 {
		u, _ := setUp(t, d, n, testPIN)
		users = append(users, u)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4*4*3)
	for _, u := range users {
		// 4 at once: a fifth would find every try taken ("checking").
		for range 4 {
			wg.Go(func() {
				for range 3 {
					if err := d.CheckPIN(ctx, u, testPIN); err != nil {
						errs <- err
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("right PIN: %v", err)
	}
	for _, u := range users {
		wantTries(t, d, u, 5, false)
	}
	// 48 checks; at most the first check of each goroutine hashes.
	if got := d.PINHashes(); got > 4*4 || got < 4 {
		t.Fatalf("%d of 48 right PIN checks hashed; want 4 to 16", got)
	}
	for _, u := range users {
		if err := d.CheckPIN(ctx, u, testPIN); err != nil {
			t.Fatal(err)
		}
	}
	before := d.PINHashes()
	for _, u := range users {
		if err := d.CheckPIN(ctx, u, testPIN); err != nil {
			t.Fatal(err)
		}
	}
	if got := d.PINHashes(); got != before {
		t.Fatalf("remembered PINs hashed again: %d -> %d", before, got)
	}
}
