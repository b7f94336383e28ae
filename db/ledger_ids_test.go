package db_test

import (
	"context"
	"strings"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
)

// A client's id belongs to its sender and action: the same id sent by two
// people, or for a payment and a withdrawal, is three transfers, and a
// refusal burns the id for its sender only.
func TestClientIDsScopedToSender(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, 0)
	u := users(t, d, 3)
	tok := card(t, p, "4242 4242 4242 4242")
	const id = "same-id-12345"
	// u[2] has nothing to withdraw: the refusal is recorded against the id.
	activePayments(t, d, u[2])
	_, _, err := d.Payout(ctx, p, db.PayoutRequest{ID: id, UserID: u[2], Amount: eur("5"), Destination: "DE89370400440532013000"})
	wantCode(t, err, db.EINSUFFICIENT)
	a, err := d.PayByCard(ctx, p, db.CardPayment{ID: id, PayerID: u[1], CollectorID: u[0], Amount: eur("5"), Token: tok})
	if err != nil {
		t.Fatalf("u1 pays under the id u2 burnt: %v", err)
	}
	b, err := d.PayByCard(ctx, p, db.CardPayment{ID: id, PayerID: u[2], CollectorID: u[0], Amount: eur("7"), Token: tok})
	if err != nil {
		t.Fatalf("u2 pays under the id u1 used: %v", err)
	}
	if a.ID == b.ID || a.ID != db.CardPaymentID(u[1], id) || b.ID != db.CardPaymentID(u[2], id) {
		t.Errorf("payment ids %q and %q", a.ID, b.ID)
	}
	// The payer's own retry is still the same payment.
	if again, err := d.PayByCard(ctx, p, db.CardPayment{ID: id, PayerID: u[1], CollectorID: u[0], Amount: eur("5"), Token: tok}); err != nil || again.ID != a.ID {
		t.Errorf("retry: %+v, %v", again, err)
	}
	if n := p.charges.Load(); n != 2 {
		t.Errorf("%d charges; want 2", n)
	}
	auditClean(t, d)
}

// The ECB's file is read for its day and rates; anything else is refused.
func TestParseECBRates(t *testing.T) {
	day, rates, err := db.ParseECBRates(strings.NewReader(`<?xml version="1.0"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube><Cube time="2026-11-27"><Cube currency="USD" rate="1.0512"/><Cube currency="GBP" rate="0.8436"/></Cube></Cube></gesmes:Envelope>`))
	if err != nil || day.Format("2006-01-02") != "2026-11-27" || rates["USD"].String() != "1.0512" || rates["GBP"].String() != "0.8436" || len(rates) != 2 {
		t.Fatalf("ParseECBRates = %v, %v, %v", day, rates, err)
	}
	for _, bad := range []string{"", "<html>not rates</html>", `<Envelope><Cube><Cube time="someday"></Cube></Cube></Envelope>`,
		`<Envelope><Cube><Cube time="2026-11-27"><Cube currency="USD" rate="-1"/></Cube></Cube></Envelope>`} {
		if _, _, err := db.ParseECBRates(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseECBRates(%q) accepted", bad)
		}
	}
}
