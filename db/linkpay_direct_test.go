package db_test

import (
	"context"
	"testing"

	"divvy/db"
)

// Link payments land in the payer's and payee's two-person thread, made by
// the first one (no shared thread needed: the link makes them contacts),
// with one payment card each, and nothing in it when a payment is refused.
func TestLinkPaymentsInOneConversation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, n := payStore(t)
	p := paySandbox(t)
	sam := readyPayer(t, d, n, "482913")
	lea := readyPayer(t, d, n, "739164")
	for _, note := range []string{"Pizza", "Taxi"} {
		if _, err := d.PayLink(ctx, p, db.LinkPayment{PayeeID: sam, PayerID: lea, Amount: eur("6"), Note: note, PaymentID: newID(), PIN: "739164"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := d.PayLink(ctx, p, db.LinkPayment{PayeeID: sam, PayerID: lea, Amount: eur("600"), PaymentID: newID(), PIN: "739164"})
	wantCode(t, err, db.ELIMIT)
	thread, err := d.DirectThreadOf(ctx, sam, lea)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, d, `SELECT count(*) FROM direct_threads`); got != 1 {
		t.Errorf("%d two-person threads, want 1", got)
	}
	if got := count(t, d, `SELECT count(*) FROM messages WHERE group_id = $1 AND kind = 'payment'`, thread); got != 2 {
		t.Errorf("%d payment cards in the conversation, want 2", got)
	}
	if got := count(t, d, `SELECT count(*) FROM group_members WHERE group_id = $1 AND user_id IN ($2, $3)`, thread, sam, lea); got != 2 {
		t.Errorf("%d of the two are members of their conversation", got)
	}
	auditClean(t, d)
}
