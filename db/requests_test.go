package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"divvy/db"
)

// A request link is payable once: of several payers at once, one pays and
// the others are told it is paid, their charges refunded; then it says
// paid. The pay-once rule holds in the transaction that records the money.
func TestRequestLinkPaidOnceUnderRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := &countingProvider{PaymentProvider: paySandbox(t)}
	sam := readyPayer(t, d, n, "482913")
	q, err := d.CreateRequestLink(ctx, sam, eur("12.50"), "Pizza")
	if err != nil {
		t.Fatal(err)
	}
	const payers = 4
	ids := make([]int64, payers)
	for i := range ids {
		ids[i] = readyPayer(t, d, n, "739164")
	}
	for round := 0; round < 1; round++ {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, payers)
		for i, u := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = d.PayLink(ctx, p, db.LinkPayment{PayeeID: sam, PayerID: u, Amount: q.Amount, Note: q.Note,
					RequestID: q.ID, PaymentID: newID(), PIN: "739164"})
			}()
		}
		close(start)
		wg.Wait()
		paid := 0
		for _, err := range errs {
			switch {
			case err == nil:
				paid++
			case db.ReasonOf(err) != "reqlink.paid":
				t.Errorf("a racing payer: %v, want request.paid", err)
			}
		}
		if paid != 1 {
			t.Fatalf("%d payments of one request link, want 1 (%v)", paid, errs)
		}
	}
	p.checkKept(t, d)
	got, err := d.RequestByToken(ctx, q.Token)
	if err != nil || got.Status != db.RequestPaid || got.PaidBy == 0 {
		t.Fatalf("after the race: %+v, %v; want paid", got, err)
	}
	if n := count(t, d, `SELECT count(*) FROM link_payments WHERE payee_id = $1 AND note = 'Pizza'`, sam); n != 1 {
		t.Errorf("%d link payments kept, want 1", n)
	}
	if err := d.RevokeRequestLink(ctx, sam, q.ID); db.ReasonOf(err) != "reqlink.paid" {
		t.Errorf("revoking a paid link: %v, want request.paid", err)
	}
	auditClean(t, d)
}

// A revoked or expired request link cannot be paid, and nothing is
// charged; only its requester can revoke it; the token is stored hashed.
func TestRequestLinkRevokedAndExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := &countingProvider{PaymentProvider: paySandbox(t)}
	sam := readyPayer(t, d, n, "482913")
	lea := readyPayer(t, d, n, "739164")
	q, err := d.CreateRequestLink(ctx, sam, eur("8"), "")
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM request_links WHERE token_hash = sha256(convert_to($1, 'UTF8'))`, q.Token); n != 1 {
		t.Fatalf("the token's SHA-256 is not what is stored")
	}
	if err := d.RevokeRequestLink(ctx, lea, q.ID); db.ErrorCode(err) != db.ENOTFOUND {
		t.Fatalf("someone else revokes: %v, want not found", err)
	}
	if err := d.RevokeRequestLink(ctx, sam, q.ID); err != nil {
		t.Fatal(err)
	}
	_, err = d.PayLink(ctx, p, db.LinkPayment{PayeeID: sam, PayerID: lea, Amount: q.Amount, RequestID: q.ID, PaymentID: newID(), PIN: "739164"})
	if db.ReasonOf(err) != "reqlink.revoked" {
		t.Fatalf("paying a revoked link: %v", err)
	}
	q2, err := d.CreateRequestLink(ctx, sam, eur("9"), "Cinema")
	if err != nil {
		t.Fatal(err)
	}
	db.SetClock(d, func() time.Time { return time.Now().Add(db.RequestLinkLife + time.Minute) })
	if got, _ := d.RequestByToken(ctx, q2.Token); got.Status != db.RequestExpired {
		t.Fatalf("after 30 days: %s, want expired", got.Status)
	}
	_, err = d.PayLink(ctx, p, db.LinkPayment{PayeeID: sam, PayerID: lea, Amount: q2.Amount, RequestID: q2.ID, PaymentID: newID(), PIN: "739164"})
	if db.ReasonOf(err) != "reqlink.expired" {
		t.Fatalf("paying an expired link: %v", err)
	}
	if p.charges.Load() != 0 {
		t.Errorf("%d charges for links that cannot be paid", p.charges.Load())
	}
	_, err = d.CreateRequestLink(ctx, payGuest(t, d, "Nina"), eur("5"), "")
	if db.ReasonOf(err) != "reqlink.payments_first" {
		t.Errorf("a request without payments: %v", err)
	}
}
