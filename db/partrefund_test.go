package db_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"divvy/db"
	"divvy/db/dbtest"
)

// A paid share that an edit lowers keeps its payment and stays paid: only
// the excess goes back, by card to the card (from the collector's pending
// money, then from their available money once the payment settled), in
// cash as a partial reversal; the settlement then moves what the payment
// still stands for, the positions follow, the thread says each refund, and
// the audit (its new checks included) is clean at every step.
func TestEditSplitRefundsOnlyTheExcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Millisecond)
	thread, u, split := editThread(t, d, 3, "10", "10", "10")
	tok := card(t, p, "4242 4242 4242 4242")
	card1, err := payShare(ctx, d, p, tok, thread, split, u[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ConfirmCash(ctx, thread, split, shareOf(t, d, thread, split, u[2]).ID, u[0]); err != nil {
		t.Fatal(err)
	}
	if s, _ := d.SplitInThread(ctx, thread, split); s.Status != db.SplitComplete {
		t.Fatalf("status %s; want complete once both paid", s.Status)
	}

	// u1 10 -> 7.50 (card, still pending), u2 10 -> 6 (cash).
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "7.50", "6")); err != nil {
		t.Fatal(err)
	}
	for _, who := range u[1:] {
		if sh := shareOf(t, d, thread, split, who); sh.Status != db.SharePaid {
			t.Errorf("share of %d is %s after being lowered; want paid", who, sh.Status)
		}
	}
	s, _ := d.SplitInThread(ctx, thread, split)
	if paid, of, _, _ := s.Progress(); paid != 2 || of != 2 || s.Status != db.SplitComplete {
		t.Errorf("after the edit: %d of %d paid, %s; want 2 of 2, complete", paid, of, s.Status)
	}
	part1 := db.PartRefundID(1, card1.ID)
	pr, err := d.TransferByID(ctx, part1)
	if err != nil {
		t.Fatalf("the card payment's partial refund: %v", err)
	}
	if pr.Kind != db.TransferPartRefund || pr.Amount.String() != "2.50 EUR" || pr.PartOf != card1.ID || pr.To != card1.From || pr.From != card1.To {
		t.Errorf("partial refund %+v; want 2.50 EUR from the collector's pending money to the card", pr)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'reversal', 'void')`); n != 0 {
		t.Errorf("%d payments given back whole; only the excess goes back", n)
	}
	if got := p.refunded(card1.ProviderRef); got.StringFixed(2) != "2.50" {
		t.Errorf("the provider refunded %s of the charge; want 2.50", got)
	}
	if n := count(t, d, `SELECT count(*) FROM refunds_to_tell`); n != 0 {
		t.Errorf("%d refunds not told to the provider", n)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'part_refund' AND amount = 4 AND split_id = $1`, split); n != 1 {
		t.Errorf("%d partial reversals of 4.00 of u2's cash; want 1", n)
	}
	wantPositions(t, d, thread, map[int64]string{})
	var msgs []db.SystemData
	var raw [][]byte
	if err := d.SQL().Select(&raw, `SELECT data FROM messages WHERE split_id = $1 AND kind = 'system' AND data->>'event' = 'share_refunded' ORDER BY id`, split); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		var m db.SystemData
		json.Unmarshal(r, &m)
		msgs = append(msgs, m)
	}
	amountIs := func(m db.SystemData, want string) bool {
		got, ok := m.StoredAmount.Money()
		return ok && got.Amount.Equal(eur(want).Amount)
	}
	if len(msgs) != 2 || !amountIs(msgs[0], "2.50") || msgs[0].Method != "card" || !amountIs(msgs[1], "4") || msgs[1].Method != "cash" {
		t.Errorf("refund messages %+v; want 2.50 by card and 4.00 in cash", msgs)
	}
	auditClean(t, d)

	// The same edit again changes nothing and gives nothing back.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "7.50", "6")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'part_refund'`); n != 2 {
		t.Errorf("%d partial refunds after the same edit again; want 2", n)
	}

	// The card payment settles: what it stands for (7.50) reaches the
	// collector's available balance.
	time.Sleep(5 * time.Millisecond)
	if posted, _, err := d.SettlePending(ctx, p, 10); err != nil || posted != 1 {
		t.Fatalf("settle: %d posted, %v", posted, err)
	}
	if st, err := d.TransferByID(ctx, db.SettlementID(card1.ID)); err != nil || st.Amount.String() != "7.50 EUR" {
		t.Fatalf("settlement %+v, %v; want 7.50 EUR", st, err)
	}
	auditClean(t, d)

	// Lowered again once settled: the next part comes from available money.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "5", "6")); err != nil {
		t.Fatal(err)
	}
	pr2, err := d.TransferByID(ctx, db.PartRefundID(2, card1.ID))
	if err != nil || pr2.Amount.String() != "2.50 EUR" {
		t.Fatalf("second partial refund %+v, %v; want 2.50 EUR", pr2, err)
	}
	if a, _ := d.AccountByID(ctx, pr2.From); a.Kind != db.AccountAvailable || a.Balance.StringFixed(2) != "5.00" {
		t.Errorf("second part taken from %s (left %s); want the collector's available money, 5.00 left", a.Kind, a.Balance)
	}
	if got := p.refunded(card1.ProviderRef); got.StringFixed(2) != "5.00" {
		t.Errorf("the provider refunded %s of the charge; want 5.00", got)
	}
	auditClean(t, d)

	// Taken out: what is left (5.00) is refunded whole, and no more.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "", "6")); err != nil {
		t.Fatal(err)
	}
	if rf, err := d.TransferByID(ctx, db.RefundID(card1.ID)); err != nil || rf.Amount.String() != "5.00 EUR" {
		t.Fatalf("refund %+v, %v; want the 5.00 left", rf, err)
	}
	if got := p.refunded(card1.ProviderRef); got.StringFixed(2) != "10.00" {
		t.Errorf("the provider refunded %s of the 10.00 charge; want all of it, once", got)
	}
	wantPositions(t, d, thread, map[int64]string{})
	auditClean(t, d)
}

// A partial refund of a card payment still pending, then its cancel: the
// refund of the rest and the payment's money add up, nothing is refunded
// twice; a void after a partial refund gives back only the rest.
func TestPartRefundThenCancelOrVoid(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Millisecond)
	thread, u, split := editThread(t, d, 3, "10", "10", "10")
	ok := card(t, p, "4242 4242 4242 4242")
	fails := card(t, p, "4000 0000 0000 0259") // approved, then fails to settle
	c1, err := payShare(ctx, d, p, ok, thread, split, u[1])
	if err != nil {
		t.Fatal(err)
	}
	c2, err := payShare(ctx, d, p, fails, thread, split, u[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "6", "7")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	posted, voided, err := d.SettlePending(ctx, p, 10)
	if err != nil || posted != 1 || voided != 1 {
		t.Fatalf("settle: %d posted, %d voided, %v", posted, voided, err)
	}
	if v, err := d.TransferByID(ctx, db.VoidID(c2.ID)); err != nil || v.Amount.String() != "7.00 EUR" {
		t.Fatalf("void %+v, %v; want the 7.00 left of 10.00 after 3.00 went back", v, err)
	}
	if sh := shareOf(t, d, thread, split, u[2]); sh.Status != db.ShareDue {
		t.Errorf("u2's share after its payment failed: %s; want due", sh.Status)
	}
	auditClean(t, d)
	if err := d.CancelSplit(ctx, p, thread, split, u[0]); err != nil {
		t.Fatal(err)
	}
	if rf, err := d.TransferByID(ctx, db.RefundID(c1.ID)); err != nil || rf.Amount.String() != "6.00 EUR" {
		t.Fatalf("refund on cancel %+v, %v; want the 6.00 left", rf, err)
	}
	if got := p.refunded(c1.ProviderRef); got.StringFixed(2) != "10.00" {
		t.Errorf("the provider refunded %s of the 10.00 charge; want all of it, once", got)
	}
	wantPositions(t, d, thread, map[int64]string{})
	auditClean(t, d)
}
