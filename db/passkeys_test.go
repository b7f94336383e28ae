package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// passkeyPayer is a person with active payments (PIN testPIN) and a
// passkey of auth, on a server whose BASE_URL is https://divvy.example.
func passkeyPayer(t *testing.T) (*db.DB, int64, *dbtest.Authenticator) {
	t.Helper()
	ctx := context.Background()
	d, n := payStore(t)
	if err := d.SetRelyingParty("https://divvy.example"); err != nil {
		t.Fatal(err)
	}
	u, code := setUp(t, d, n, testPIN)
	if err := d.ActivatePayments(ctx, u, code); err != nil {
		t.Fatal(err)
	}
	options, err := d.BeginPasskey(ctx, u, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	auth := dbtest.NewAuthenticator("divvy.example", "https://divvy.example")
	cred, err := auth.Create(options)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddPasskey(ctx, u, "Phone", cred); err != nil {
		t.Fatal(err)
	}
	return d, u, auth
}

// Passkeys need a domain name: BASE_URL on an IP address leaves them off.
func TestRelyingPartyNeedsADomain(t *testing.T) {
	t.Parallel()
	d, _ := payStore(t)
	for _, base := range []string{"http://127.0.0.1:8080", "http://[::1]:8080", "ftp://divvy.example", ""} {
		if err := d.SetRelyingParty(base); err == nil || d.PasskeysOn() {
			t.Errorf("%q: passkeys on (%v); want off with a reason", base, err)
		}
	}
	if err := d.SetRelyingParty("http://localhost:8080"); err != nil || !d.PasskeysOn() {
		t.Errorf("localhost: %v; want passkeys on", err)
	}
}

// 20 confirmations at once with one assertion: its challenge is taken by
// exactly one, which confirms; the others are refused, none confirms.
func TestPasskeyChallengeTakenOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, u, auth := passkeyPayer(t)
	amount := eur("11.88")
	options, err := d.PaymentChallenge(ctx, u, "pay-once-1234", amount)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := auth.Get(options)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		counts = map[string]int{}
		start  = make(chan struct{})
	)
	for range 20 {
		wg.Go(func() {
			<-start
			err := db.ConfirmPayment(ctx, d, u, "", assertion, "pay-once-1234", amount)
			kind := "confirmed"
			if err != nil {
				kind = db.ErrorCode(err) + ": " + english(err)
				if strings.Contains(kind, "already used") {
					kind = "used"
				}
			}
			mu.Lock()
			counts[kind]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if counts["confirmed"] != 1 {
		t.Fatalf("answers = %v; want exactly one confirmed", counts)
	}
	for kind := range counts {
		if kind != "confirmed" && kind != "used" && !strings.HasPrefix(kind, db.ETOOMANY) && !strings.Contains(kind, "locked") {
			t.Errorf("unexpected answer %q", kind)
		}
	}
	t.Logf("20 at once: %v", counts)
}

// Two copies of one key sign with the same counter at once: one confirms,
// and the other finds the counter not past the stored one and locks the
// passkey; nothing confirms with it after.
func TestPasskeyCounterRaceLocks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, u, auth := passkeyPayer(t)
	amount := eur("5.00")
	var assertions []string
	for _, id := range []string{"pay-copy-a-1234", "pay-copy-b-1234"} {
		options, err := d.PaymentChallenge(ctx, u, id, amount)
		if err != nil {
			t.Fatal(err)
		}
		auth.Counter = 7
		a, err := auth.Get(options)
		if err != nil {
			t.Fatal(err)
		}
		assertions = append(assertions, a)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, id := range []string{"pay-copy-a-1234", "pay-copy-b-1234"} {
		wg.Go(func() { errs[i] = db.ConfirmPayment(ctx, d, u, "", assertions[i], id, amount) })
	}
	wg.Wait()
	ok, locked := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case strings.Contains(english(err), "counter went backwards"):
			locked++
		default:
			t.Errorf("unexpected: %v", english(err))
		}
	}
	if ok != 1 || locked != 1 {
		t.Fatalf("confirmed %d, locked %d; want 1 and 1", ok, locked)
	}
	keys, err := d.Passkeys(ctx, u)
	if err != nil || len(keys) != 1 || !keys[0].Locked {
		t.Fatalf("passkeys %+v (%v); want one, locked", keys, err)
	}
	if _, err := d.PaymentChallenge(ctx, u, "pay-after-1234", amount); err == nil {
		t.Error("a challenge was made for a locked passkey")
	}
	// The PIN still confirms.
	if err := db.ConfirmPayment(ctx, d, u, testPIN, "", "pay-after-1234", amount); err != nil {
		t.Errorf("PIN: %v", err)
	}
}
