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
	"divvy/db/money"
)

// editThread makes a thread of n people (the first an organizer who
// collects) and an exact split of its shares' amounts, through the use
// cases, and returns the thread, the people and the split.
func editThread(t *testing.T, d *db.DB, n int, amounts ...string) (int64, []int64, int64) {
	t.Helper()
	ctx := context.Background()
	u := users(t, d, n)
	th, err := d.CreateThread(ctx, u[0], db.NewThread{Name: "Pizza Friday", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	token, err := d.InviteToken(ctx, th.ID, u[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range u[1:] {
		if _, err := d.JoinByInvite(ctx, token, id); err != nil {
			t.Fatal(err)
		}
	}
	split, err := d.CreateSplit(ctx, th.ID, u[0], editPlan(t, d, th.ID, u, "Pizza night", amounts...))
	if err != nil {
		t.Fatal(err)
	}
	return th.ID, u, split
}

// editPlan is an exact plan collected by people[0], one amount per person
// in order (the total their sum).
func editPlan(t *testing.T, d *db.DB, thread int64, people []int64, title string, amounts ...string) db.SplitPlan {
	t.Helper()
	members, err := d.Members(context.Background(), thread)
	if err != nil {
		t.Fatal(err)
	}
	dr := db.SplitDraft{Title: title, Currency: "EUR", CollectorID: people[0], Mode: money.ModeExact, Values: map[int64]string{}}
	total := money.Zero("EUR")
	for i, a := range amounts {
		if a == "" {
			continue
		}
		dr.People = append(dr.People, people[i])
		dr.Values[people[i]] = a
		total, _ = total.Add(eur(a))
	}
	dr.Total = total.Amount.String()
	plan, problems := dr.Plan(members)
	if len(problems) > 0 {
		t.Fatalf("plan %v: %v", amounts, problems)
	}
	return plan
}

func shareOf(t *testing.T, d *db.DB, thread, split, user int64) db.Share {
	t.Helper()
	s, err := d.SplitInThread(context.Background(), thread, split)
	if err != nil {
		t.Fatal(err)
	}
	sh, ok := s.ShareOf(user)
	if !ok {
		t.Fatalf("user %d has no share of split %d", user, split)
	}
	return sh
}

// payShare pays a share by card as the pay path does: the share as read,
// then the charge and the payment under the split's lock.
func payShare(ctx context.Context, d *db.DB, p db.PaymentProvider, token string, thread, split, user int64) (db.Transfer, error) {
	s, sh, ok, err := d.SplitShare(ctx, thread, split, user)
	if err != nil || !ok {
		return db.Transfer{}, err
	}
	if err := s.RequireOpen(); err != nil {
		return db.Transfer{}, err
	}
	if sh.Status == db.SharePaid {
		return db.Transfer{}, db.ErrSharePaid.New()
	}
	return d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: user, CollectorID: s.CollectorID, Amount: sh.Left(),
		Token: token, SplitID: split, ShareID: sh.ID, PaidBefore: sh.Paid.Amount, Then: db.SharePaymentHook(s, sh, "card")})
}

// Before any money moved, an edit rewrites amounts and people; after, a
// changed share's payment is given back (card refunded, cash reversed) and
// the share is due at its new amount, an unchanged one keeps its payment;
// every edit is a message and a history row; a payment the collector no
// longer has cannot be given back, and the edit is refused whole.
func TestEditSplitCorrects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Millisecond)
	thread, u, split := editThread(t, d, 4, "10", "10", "10", "10")

	// Nothing moved: people and amounts change freely.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "5", "15", "", "10")); err != nil {
		t.Fatal(err)
	}
	s, _ := d.SplitInThread(ctx, thread, split)
	if len(s.Shares) != 3 || s.Total.String() != "30.00 EUR" {
		t.Fatalf("after the first edit: %d shares, total %s; want 3 and 30.00 EUR", len(s.Shares), s.Total)
	}
	if n := count(t, d, `SELECT count(*) FROM shares WHERE split_id = $1`, split); n != 3 {
		t.Errorf("%d share rows; the untouched share taken out should be gone", n)
	}

	// u1 pays by card, u3 in cash.
	tok := card(t, p, "4242 4242 4242 4242")
	card1, err := payShare(ctx, d, p, tok, thread, split, u[1])
	if err != nil {
		t.Fatal(err)
	}
	sh3 := shareOf(t, d, thread, split, u[3])
	if err := d.ConfirmCash(ctx, thread, split, sh3.ID, u[0]); err != nil {
		t.Fatal(err)
	}

	// A title-only edit touches no money.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza & drinks", "5", "15", "", "10")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'reversal')`); n != 0 {
		t.Fatalf("a title edit gave back %d payments", n)
	}

	// u1's share grows: the card payment stays and the 5 more are due;
	// u3's share is the same: the cash stays; u2 comes back in with 2.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza & drinks", "5", "20", "2", "10")); err != nil {
		t.Fatal(err)
	}
	if got := shareOf(t, d, thread, split, u[1]); got.Status != db.ShareDue || got.Amount.String() != "20.00 EUR" || got.Left().String() != "5.00 EUR" {
		t.Errorf("u1's share: %s %s, %s left; want due 20.00 EUR, 5.00 EUR left", got.Status, got.Amount, got.Left())
	}
	if got := shareOf(t, d, thread, split, u[3]); got.Status != db.SharePaid {
		t.Errorf("u3's unchanged share is %s; want paid", got.Status)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE reverses = $1 OR part_of = $1`, card1.ID); n != 0 {
		t.Errorf("%d refunds of u1's card payment; want none", n)
	}

	// u3 is taken out: the cash is reversed, the share kept emptied (the
	// ledger names it) and no longer listed.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza & drinks", "5", "20", "2", "")); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'reversal'`); n != 1 {
		t.Errorf("%d reversals; want u3's cash reversed", n)
	}
	s, _ = d.SplitInThread(ctx, thread, split)
	if _, in := s.ShareOf(u[3]); in || len(s.Shares) != 3 || s.Total.String() != "27.00 EUR" {
		t.Errorf("after taking u3 out: %d shares, total %s, u3 listed %v", len(s.Shares), s.Total, in)
	}

	// History and messages.
	h, err := d.SplitHistory(ctx, thread, split)
	if err != nil || len(h) != 4 {
		t.Fatalf("history: %d edits, %v; want 4", len(h), err)
	}
	if h[1].Before.Title != "Pizza night" || h[1].After.Title != "Pizza & drinks" || h[2].GivenBack != 0 || h[3].GivenBack != 1 || h[3].Before.Total.Amount != "37" {
		t.Errorf("history: %+v", h)
	}
	var events []string
	if err := d.SQL().Select(&events, `SELECT data->>'event' FROM messages WHERE split_id = $1 AND kind = 'system' ORDER BY id`, split); err != nil {
		t.Fatal(err)
	}
	// Paid in full after the cash, then owing again after the edit, which
	// says what is left for u1 to pay.
	want := `["split_changed","split_closed","split_renamed","split_changed","share_left","split_changed"]`
	if b, _ := json.Marshal(events); string(b) != want {
		t.Errorf("system messages %s, want %s", b, want)
	}
	if s.Status != db.SplitOpen {
		t.Errorf("status %s; a split owing again is open", s.Status)
	}

	// u1 pays the 5 left, both payments settle, the collector spends
	// most of it: taking u1 out cannot refund it, and nothing of the edit
	// is written.
	if _, err := payShare(ctx, d, p, tok, thread, split, u[1]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, _, err := d.SettlePending(ctx, p, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Send(ctx, newID(), u[0], u[2], eur("15")); err != nil {
		t.Fatal(err)
	}
	before := count(t, d, `SELECT count(*) FROM split_edits`)
	err = d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza", "5", "", "2", ""))
	wantCode(t, err, db.ECONFLICT)
	if db.ReasonOf(err) != "split.edit_cannot_refund" {
		t.Errorf("reason %q", db.ReasonOf(err))
	}
	s, _ = d.SplitInThread(ctx, thread, split)
	if s.Title != "Pizza & drinks" || s.Total.String() != "27.00 EUR" || count(t, d, `SELECT count(*) FROM split_edits`) != before {
		t.Errorf("a refused edit wrote something: %s %s", s.Title, s.Total)
	}
	// Lowering u1 to 18 gives back 2 of what is left (5): from the last
	// payment, in part.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza", "5", "18", "2", "")); err != nil {
		t.Fatal(err)
	}
	if got := shareOf(t, d, thread, split, u[1]); got.Status != db.SharePaid || got.Paid.String() != "18.00 EUR" {
		t.Errorf("u1's share: %s, paid %s; want paid 18.00 EUR", got.Status, got.Paid)
	}
	// Not the collector nor an organizer: refused.
	wantCode(t, d.EditSplit(ctx, p, thread, split, u[1], editPlan(t, d, thread, u, "Mine", "5", "20", "2", "")), db.EFORBIDDEN)
	auditClean(t, d)
}

// Edits racing payments, then a cancel racing both: every payment the
// ledger keeps is of its share's amount now, every charge is either such a
// payment or refunded (at the provider too), the shares add up, and once
// cancelled every payment is given back. Real goroutines, real PostgreSQL.
func TestEditSplitRacesPaymentsAndCancel(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	thread, u, split := editThread(t, d, 5, "10", "10", "10", "10", "10")
	tok := card(t, p, "4242 4242 4242 4242")
	plans := [][]string{
		{"10", "12", "8", "11", "9"},
		{"10", "10", "10", "10", "10"},
		{"5", "12", "", "11", "9"},
		{"10", "10", "10", "", "10"},
	}
	race := func(rounds int, cancel bool) {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for _, friend := range u[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, err := payShare(ctx, d, p, tok, thread, split, friend)
					if c := db.ErrorCode(err); err != nil && c != db.ECONFLICT && c != db.ENOTFOUND {
						t.Errorf("pay: %v", err)
						return
					}
				}
			}()
		}
		for i := range rounds {
			// Each plan changes every friend's share: wait for a payment to
			// stand, so that each edit has one to give back.
			for deadline := time.Now().Add(20 * time.Second); !cancel && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if count(t, d, `SELECT count(*) FROM share_payments WHERE undone_by IS NULL`) > 0 {
					break
				}
			}
			err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", plans[i%len(plans)]...))
			if err != nil && !(cancel && db.ReasonOf(err) == "split.cancelled") {
				t.Errorf("edit %d: %v", i, err)
			}
			if cancel && i == rounds/2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := d.CancelSplit(ctx, p, thread, split, u[0]); err != nil {
						t.Errorf("cancel: %v", err)
					}
				}()
			}
		}
		close(stop)
		wg.Wait()
	}
	check := func() {
		t.Helper()
		var bad int
		// A payment standing stands for (its amount less its partial
		// refunds) no more than its share's amount, on a share listed.
		bad = count(t, d, `SELECT count(*) FROM share_payments p JOIN ledger_transfers t ON t.id = p.transfer_id
			JOIN shares sh ON sh.id = p.share_id
			WHERE p.undone_by IS NULL AND (t.amount - p.refunded > sh.amount OR sh.removed_at IS NOT NULL)`)
		if bad != 0 {
			t.Errorf("%d standing payments do not match their share", bad)
		}
		if n := count(t, d, `SELECT count(*) FROM splits s WHERE total <> (SELECT sum(amount) FROM shares WHERE split_id = s.id)`); n != 0 {
			t.Errorf("%d splits whose shares do not add up", n)
		}
		// Every charge is a payment standing in the ledger, or refunded
		// both in the ledger and at the provider.
		var standing, refunded []string
		d.SQL().Select(&standing, `SELECT t.provider_ref FROM ledger_transfers t JOIN share_payments p ON p.transfer_id = t.id WHERE p.undone_by IS NULL`)
		d.SQL().Select(&refunded, `SELECT t.provider_ref FROM ledger_transfers t JOIN share_payments p ON p.transfer_id = t.id WHERE p.undone_by IS NOT NULL`)
		isStanding := map[string]bool{}
		for _, r := range standing {
			isStanding[r] = true
		}
		p.mu.Lock()
		for ch, back := range p.charged {
			if isStanding[ch] == back {
				t.Errorf("charge %s: standing in the ledger %v, refunded at the provider %v", ch, isStanding[ch], back)
			}
		}
		p.mu.Unlock()
		for _, r := range refunded {
			if !p.charged[r] {
				t.Errorf("payment %s given back in the ledger, not at the provider", r)
			}
		}
		// Not a cent lost or doubled: what the provider gave back of each
		// charge is what the ledger gave back of its payment (partial
		// refunds and the whole refund of the rest).
		var back []struct {
			Ref  string          `db:"provider_ref"`
			Back decimal.Decimal `db:"back"`
		}
		if err := d.SQL().Select(&back, `SELECT t.provider_ref, coalesce((SELECT sum(r.amount) FROM ledger_transfers r
			WHERE r.part_of = t.id OR (r.reverses = t.id AND r.kind = 'refund')), 0) AS back
			FROM ledger_transfers t WHERE t.kind = 'card_payment'`); err != nil {
			t.Fatal(err)
		}
		for _, b := range back {
			if got := p.refunded(b.Ref); !got.Equal(b.Back) {
				t.Errorf("charge %s: the provider gave back %s, the ledger %s", b.Ref, got, b.Back)
			}
		}
		auditClean(t, d)
	}
	race(12, false)
	check()
	paid := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'`)
	given := count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind IN ('refund', 'part_refund')`)
	t.Logf("edits racing payments: %d card payments, %d given back by edits", paid, given)
	if paid == 0 || given < 12 {
		t.Errorf("the race did not race: %d payments, %d refunds", paid, given)
	}
	race(8, true)
	check()
	if n := count(t, d, `SELECT count(*) FROM share_payments WHERE undone_by IS NULL`); n != 0 {
		t.Errorf("%d payments still standing on a cancelled split", n)
	}
	if n := count(t, d, `SELECT count(*) FROM splits WHERE status = 'cancelled'`); n != 1 {
		t.Errorf("split not cancelled")
	}
}

// An edit moves the thread's positions with the split: after the
// correction, each member's position is what the edited split says (the
// collector fronted the total; each owes their share, a payment standing
// evens theirs) and the audit, positions included, is clean.
func TestEditSplitMovesPositions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	thread, u, split := editThread(t, d, 3, "10", "10", "10")
	tok := card(t, p, "4242 4242 4242 4242")
	if _, err := payShare(ctx, d, p, tok, thread, split, u[1]); err != nil {
		t.Fatal(err)
	}
	// u1's paid share grows (the payment stays, 5 due); u2's shrinks.
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "10", "15", "5")); err != nil {
		t.Fatal(err)
	}
	ps, err := d.ThreadPositions(ctx, thread)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, pos := range ps["EUR"] {
		got[pos.UserID] = pos.Amount.Amount.StringFixed(2)
	}
	want := map[int64]string{u[0]: "10.00", u[1]: "-5.00", u[2]: "-5.00"}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("position of %d = %q, want %s (all: %v)", id, got[id], w, got)
		}
	}
	auditClean(t, d)
}

// Someone whose share a settle-up covered is taken out of the split: the
// edit succeeds (the share is kept, emptied, since its cover names it),
// the cover stays, and the positions follow the new split. Found by
// TestBalancesProperty: the share's row was deleted under its cover (a
// foreign-key error, a 500).
func TestEditSplitTakesOutCoveredShare(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	thread, u, split := editThread(t, d, 3, "10", "10", "10")
	// u2 pays the collector the 10 they owe another way: their share is covered.
	if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c1", thread, u[0]), PayerID: u[2], CollectorID: u[0],
		ThreadID: thread, Amount: eur("10")}); err != nil {
		t.Fatal(err)
	}
	if sh := shareOf(t, d, thread, split, u[2]); sh.Method != "cover" {
		t.Fatalf("u2's share paid by %q, want cover", sh.Method)
	}
	if err := d.EditSplit(ctx, p, thread, split, u[0], editPlan(t, d, thread, u, "Pizza night", "15", "15", "")); err != nil {
		t.Fatal(err)
	}
	// The split is now u0 15, u1 15: u1 owes 15; u2, who paid 10, is owed it.
	wantPositions(t, d, thread, map[int64]string{u[0]: "5.00", u[1]: "-15.00", u[2]: "10.00"})
	if n := count(t, d, `SELECT count(*) FROM share_payments WHERE kind = 'cover' AND undone_by IS NULL`); n != 1 {
		t.Errorf("%d covers, want the one kept", n)
	}
	auditClean(t, d)
}
