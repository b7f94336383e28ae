package db_test

import (
	"context"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
)

// threadOf makes a thread of org with the others joined by its invite.
func threadOf(t *testing.T, d *db.DB, org int64, others ...int64) int64 {
	t.Helper()
	ctx := context.Background()
	g, err := d.CreateThread(ctx, org, db.NewThread{Name: "Weekend", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := d.InviteToken(ctx, g.ID, org)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range others {
		if _, err := d.JoinByInvite(ctx, tok, u); err != nil {
			t.Fatal(err)
		}
	}
	return g.ID
}

func countRows(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.SQL().Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// Two-person threads: only between contacts, one per pair however many
// start it at once, and nobody joins them.
func TestOpenDirect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, _ := payStore(t)
	sam, lea, zoe := payGuest(t, d, "Sam"), payGuest(t, d, "Léa"), payGuest(t, d, "Zoé")
	threadOf(t, d, sam, lea)
	groups := countRows(t, d, `SELECT count(*) FROM groups`)
	_, err := d.OpenDirect(ctx, sam, zoe)
	wantCode(t, err, db.ENOTFOUND)
	_, err = d.OpenDirect(ctx, sam, sam)
	wantCode(t, err, db.EINVALID)
	if n := countRows(t, d, `SELECT count(*) FROM groups`); n != groups {
		t.Fatalf("%d threads after refusals, want %d", n, groups)
	}

	ids := make([]int64, 12)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			a, b := sam, lea
			if i%2 == 1 {
				a, b = lea, sam
			}
			g, err := d.OpenDirect(ctx, a, b)
			if err != nil {
				t.Error(err)
			}
			ids[i] = g.ID
		}()
	}
	close(start)
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] || id == 0 {
			t.Fatalf("OpenDirect gave threads %v, want one", ids)
		}
	}
	if n := countRows(t, d, `SELECT count(*) FROM groups WHERE direct`); n != 1 {
		t.Errorf("%d two-person threads, want 1", n)
	}
	th, _, err := d.Membership(ctx, ids[0], lea)
	if err != nil || !th.Direct {
		t.Fatalf("Léa's membership: %+v, %v", th, err)
	}
}

// activePayer is a guest with payments set up and active (PIN 482913).
func activePayer(t *testing.T, d *db.DB, n db.Notifier) int64 {
	t.Helper()
	u, code := setUp(t, d, n, "482913")
	if err := d.ActivatePayments(context.Background(), u, code); err != nil {
		t.Fatal(err)
	}
	return u
}

// A request paid while it is declined, or cancelled: exactly one wins,
// and no payment of a closed request is left standing.
func TestRequestPayRacingDeclineAndCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := paySandbox(t)
	lea := activePayer(t, d, n)
	sam := payGuest(t, d, "Sam")
	thread := threadOf(t, d, sam, lea)
	eur := money.Money{Amount: decimal.RequireFromString("12.50"), Currency: "EUR"}
	for round := range 8 {
		req, err := d.CreateRequest(ctx, db.NewRequest{ThreadID: thread, RequesterID: sam, PayerID: lea, Amount: eur, Title: "Taxi"})
		if err != nil {
			t.Fatal(err)
		}
		var payErr, closeErr error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, payErr = d.PayShare(ctx, p, db.SharePayment{ThreadID: thread, SplitID: req, PayerID: lea,
				PaymentID: "race-pay-" + string(rune('a'+round)) + "-0001", SkipPIN: true})
		}()
		go func() {
			defer wg.Done()
			<-start
			if round%2 == 0 {
				closeErr = d.DeclineRequest(ctx, thread, req, lea)
			} else {
				closeErr = d.CancelSplit(ctx, p, thread, req, sam)
			}
		}()
		close(start)
		wg.Wait()
		standing := countRows(t, d, `SELECT count(*) FROM share_payments sp JOIN shares sh ON sh.id = sp.share_id
			WHERE sh.split_id = $1 AND sp.undone_by IS NULL`, req)
		var status string
		if err := d.SQL().Get(&status, `SELECT status FROM splits WHERE id = $1`, req); err != nil {
			t.Fatal(err)
		}
		decline := round%2 == 0
		switch {
		case decline && closeErr == nil:
			// Declined first: the payment was refused.
			if payErr == nil || standing != 0 || status != "cancelled" {
				t.Fatalf("round %d: declined, yet pay %v, %d standing, status %s", round, payErr, standing, status)
			}
		case decline:
			// Paid first: the decline was refused.
			if db.ReasonOf(closeErr) != "ask.paid" || payErr != nil || standing != 1 {
				t.Fatalf("round %d: decline %v, pay %v, %d standing", round, closeErr, payErr, standing)
			}
		default:
			// Cancel: whichever came first, nothing stands and it is cancelled.
			if closeErr != nil || standing != 0 || status != "cancelled" {
				t.Fatalf("round %d: cancel %v, pay %v, %d standing, status %s", round, closeErr, payErr, standing, status)
			}
		}
	}
}
