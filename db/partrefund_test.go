package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

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
	// u1 is square; the collector still holds u2's 4.00 of cash: they owe it.
	wantPositions(t, d, thread, map[int64]string{u[0]: "-4.00", u[2]: "4.00"})
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
	wantPositions(t, d, thread, map[int64]string{u[0]: "-4.00", u[2]: "4.00"})
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

// A paid share that an edit raises keeps its payment and is paid in part:
// only the difference is asked ("paid 10, 4 left"), and paying it is a
// payment of its own (card or cash, a new id); two payments from one
// reading of the share take the same part and the second is refused; the
// split closes "All paid" again when the last difference is paid; lowered
// after that, the latest payment goes back first. Positions follow and the
// audit is clean at every step.
func TestEditSplitAsksOnlyTheDifference(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	thread, u, split := editThread(t, d, 3, "10", "10", "10")
	tok := card(t, p, "4242 4242 4242 4242")
	first, err := payShare(ctx, d, p, tok, thread, split, u[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ConfirmCash(ctx, thread, split, shareOf(t, d, thread, split, u[2]).ID, u[0]); err != nil {
		t.Fatal(err)
	}
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "14", "13")); err != nil {
		t.Fatal(err)
	}
	for who, left := range map[int64]string{u[1]: "4.00 EUR", u[2]: "3.00 EUR"} {
		sh := shareOf(t, d, thread, split, who)
		if sh.Status != db.ShareDue || !sh.PaidInPart() || sh.Paid.String() != "10.00 EUR" || sh.Left().String() != left {
			t.Errorf("share of %d: %s, paid %s, left %s; want due, paid 10.00 EUR, %s left", who, sh.Status, sh.Paid, sh.Left(), left)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'reversal', 'part_refund')`); n != 0 {
		t.Errorf("%d payments given back for a raise; none is", n)
	}
	s, _ := d.SplitInThread(ctx, thread, split)
	if paid, of, collected, owed := s.Progress(); paid != 0 || of != 2 || s.Status != db.SplitOpen || collected.String() != "20.00 EUR" || owed.String() != "27.00 EUR" {
		t.Errorf("after the raise: %d of %d paid, %s of %s, %s; want 0 of 2, 20.00 of 27.00, open", paid, of, collected, owed, s.Status)
	}
	var left []string
	if err := d.SQL().Select(&left, `SELECT data->>'to' || ' ' || (data->>'amount')::numeric FROM messages
		WHERE split_id = $1 AND data->>'event' = 'share_left' ORDER BY id`, split); err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || left[0] != "user 1 4" || left[1] != "user 2 3" {
		t.Errorf("messages of what is left: %q", left)
	}
	wantPositions(t, d, thread, map[int64]string{u[0]: "7.00", u[1]: "-4.00", u[2]: "-3.00"})
	auditClean(t, d)

	// u1 pays the 4 left, by card, with a payment id of its own; a payment
	// made from the same reading of the share (a second tab) is refused and
	// its charge given back.
	stale, staleShare, _, err := d.SplitShare(ctx, thread, split, u[1])
	if err != nil {
		t.Fatal(err)
	}
	second, err := payShare(ctx, d, p, tok, thread, split, u[1])
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == first.ID || second.Amount.String() != "4.00 EUR" {
		t.Errorf("the second payment %s of %s; want a new id, 4.00 EUR", second.ID, second.Amount)
	}
	_, err = d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[1], CollectorID: stale.CollectorID, Amount: staleShare.Left(),
		Token: tok, SplitID: split, ShareID: staleShare.ID, PaidBefore: staleShare.Paid.Amount, Then: db.SharePaymentHook(stale, staleShare, "card")})
	wantCode(t, err, db.ECONFLICT)
	if sh := shareOf(t, d, thread, split, u[1]); sh.Status != db.SharePaid || sh.Paid.String() != "14.00 EUR" || len(sh.PaymentIDs) != 2 {
		t.Errorf("u1's share: %s, paid %s in %d payments; want paid 14.00 EUR in 2", sh.Status, sh.Paid, len(sh.PaymentIDs))
	}
	p.checkKept(t, d)

	// u2's 3 left, in cash: a cash mark of its own; the split is all paid again.
	if err := d.ConfirmCash(ctx, thread, split, shareOf(t, d, thread, split, u[2]).ID, u[0]); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'cash' AND amount = 3`); n != 1 {
		t.Errorf("%d cash marks of the 3.00 left; want 1", n)
	}
	s, _ = d.SplitInThread(ctx, thread, split)
	if paid, of, _, _ := s.Progress(); paid != 2 || of != 2 || s.Status != db.SplitComplete {
		t.Errorf("after paying what was left: %d of %d paid, %s; want 2 of 2, complete", paid, of, s.Status)
	}
	if n := count(t, d, `SELECT count(*) FROM messages WHERE split_id = $1 AND data->>'event' = 'split_closed'`, split); n != 2 {
		t.Errorf("%d \"All paid\" messages; want 2 (paid, then paid again after the raise)", n)
	}
	wantPositions(t, d, thread, map[int64]string{})
	auditClean(t, d)

	// u1 lowered to 9: the 4 paid last go back whole, then 1 of the first.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "9", "13")); err != nil {
		t.Fatal(err)
	}
	if rf, err := d.TransferByID(ctx, db.RefundID(second.ID)); err != nil || rf.Amount.String() != "4.00 EUR" {
		t.Errorf("refund of the second payment %+v, %v; want 4.00 EUR", rf, err)
	}
	if pr, err := d.TransferByID(ctx, db.PartRefundID(1, first.ID)); err != nil || pr.Amount.String() != "1.00 EUR" {
		t.Errorf("partial refund of the first payment %+v, %v; want 1.00 EUR", pr, err)
	}
	if sh := shareOf(t, d, thread, split, u[1]); sh.Status != db.SharePaid || sh.Paid.String() != "9.00 EUR" {
		t.Errorf("u1's share: %s, paid %s; want paid 9.00 EUR", sh.Status, sh.Paid)
	}
	if got := p.refunded(first.ProviderRef).Add(p.refunded(second.ProviderRef)); got.StringFixed(2) != "5.00" {
		t.Errorf("the provider gave back %s; want 5.00", got)
	}
	wantPositions(t, d, thread, map[int64]string{})
	auditClean(t, d)
}

// Paying what is left of a share races edits of the same share and a
// second tab paying it too, with real goroutines: never a cent lost or
// doubled. At the end every charge is a payment standing in the ledger or
// given back whole, what the provider gave back of each charge is what the
// ledger gave back of its payment, what the share's payments stand for
// never exceeds it, and the audit is clean.
func TestPayingWhatIsLeftRacesEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	thread, u, split := editThread(t, d, 2, "10", "10")
	tok := card(t, p, "4242 4242 4242 4242")
	if _, err := payShare(ctx, d, p, tok, thread, split, u[1]); err != nil {
		t.Fatal(err)
	}
	amounts := []string{"15", "12", "18", "9", "14", "10", "16"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var paidMu sync.Mutex
	paid := 0
	for range 3 { // three tabs of the payer
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, err := payShare(ctx, d, p, tok, thread, split, u[1])
				switch c := db.ErrorCode(err); {
				case err == nil:
					paidMu.Lock()
					paid++
					paidMu.Unlock()
				case c != db.ECONFLICT && c != db.ENOTFOUND && db.ReasonOf(err) != "pay.in_progress":
					// (In progress: another tab's charge of the share is
					// still open.)
					t.Errorf("pay: %v", err)
					return
				}
			}
		}()
	}
	for i := range 40 {
		a := amounts[i%len(amounts)]
		err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", a))
		if err != nil {
			t.Errorf("edit to %s: %v", a, err)
		}
		time.Sleep(time.Duration(5+5*(i%4)) * time.Millisecond)
	}
	close(stop)
	wg.Wait()

	var back []struct {
		Ref     string          `db:"provider_ref"`
		Back    decimal.Decimal `db:"back"`
		Undone  bool            `db:"undone"`
		Amount  decimal.Decimal `db:"amount"`
		Payment string          `db:"id"`
	}
	if err := d.SQL().Select(&back, `SELECT t.id, t.provider_ref, t.amount,
		coalesce((SELECT sum(r.amount) FROM ledger_transfers r WHERE r.part_of = t.id OR (r.reverses = t.id AND r.kind = 'refund')), 0) AS back,
		EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = t.id) AS undone
		FROM ledger_transfers t WHERE t.kind = 'card_payment'`); err != nil {
		t.Fatal(err)
	}
	inLedger := map[string]bool{}
	for _, b := range back {
		inLedger[b.Ref] = true
		if got := p.refunded(b.Ref); !got.Equal(b.Back) {
			t.Errorf("payment %s: the provider gave back %s, the ledger %s", b.Payment, got, b.Back)
		}
		if b.Undone != b.Back.Equal(b.Amount) {
			t.Errorf("payment %s of %s: %s given back, undone %v", b.Payment, b.Amount, b.Back, b.Undone)
		}
	}
	// A charge the ledger does not know was refused and given back whole.
	p.mu.Lock()
	for ch, whole := range p.charged {
		if !inLedger[ch] && !whole {
			t.Errorf("charge %s: not in the ledger, not given back", ch)
		}
	}
	p.mu.Unlock()
	sh := shareOf(t, d, thread, split, u[1])
	if sh.Paid.Amount.GreaterThan(sh.Amount.Amount) {
		t.Errorf("share of %s paid %s", sh.Amount, sh.Paid)
	}
	parts := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'part_refund'`)
	t.Logf("%d payments of what was left, %d card payments in all, %d partial refunds", paid, len(back), parts)
	if paid == 0 || parts == 0 {
		t.Errorf("the race did not race: %d payments of what was left, %d partial refunds", paid, parts)
	}
	wantPositions(t, d, thread, positionsWant(t, d, thread, split, u))
	auditClean(t, d)
}

// positionsWant is what the two-person split says the positions are: the
// collector fronted the total, the friend owes their share less what its
// payments stand for.
func positionsWant(t *testing.T, d *db.DB, thread, split int64, u []int64) map[int64]string {
	t.Helper()
	sh := shareOf(t, d, thread, split, u[1])
	owed, err := sh.Amount.Sub(sh.Paid)
	if err != nil {
		t.Fatal(err)
	}
	if owed.IsZero() {
		return map[int64]string{}
	}
	return map[int64]string{u[0]: owed.Amount.StringFixed(2), u[1]: owed.Amount.Neg().StringFixed(2)}
}

// A settlement covering the other shares of a split does not close it
// while a share paid in part still has something left.
func TestSettlementLeavesSplitPaidInPartOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	thread, u, split := editThread(t, d, 3, "10", "10", "10")
	tok := card(t, p, "4242 4242 4242 4242")
	if _, err := payShare(ctx, d, p, tok, thread, split, u[1]); err != nil {
		t.Fatal(err)
	}
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "14", "10")); err != nil {
		t.Fatal(err)
	}
	// u2 pays the collector the 10 they owe another way: their share is covered.
	if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c1", thread, u[0]), PayerID: u[2], CollectorID: u[0],
		ThreadID: thread, Amount: eur("10")}); err != nil {
		t.Fatal(err)
	}
	if sh := shareOf(t, d, thread, split, u[2]); sh.Method != "cover" {
		t.Fatalf("u2's share paid by %q, want cover", sh.Method)
	}
	s, _ := d.SplitInThread(ctx, thread, split)
	if n := count(t, d, `SELECT count(*) FROM splits WHERE id = $1 AND status = 'open'`, split); n != 1 || s.Status != db.SplitOpen {
		t.Errorf("split %s with u1's 4.00 left; want open", s.Status)
	}
	if n := count(t, d, `SELECT count(*) FROM messages WHERE split_id = $1 AND data->>'event' = 'split_closed'`, split); n != 0 {
		t.Errorf("%d \"All paid\" messages while u1 has 4.00 left", n)
	}
	auditClean(t, d)
}
