package db_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/money"
)

// Racing first uses of an account all get the same one; kinds keep their
// rules.
func TestAccountsGetOrCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 1)[0]

	ids := make([]int64, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			a, err := d.UserAccount(ctx, u, db.AccountAvailable, "eur")
			ids[i], errs[i] = a.ID, err
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("account %d = %d, %v; want %d", i, ids[i], errs[i], ids[0])
		}
	}
	a, err := d.AccountByID(ctx, ids[0])
	if err != nil || a.Currency != "EUR" || a.MayGoNegative || !a.Balance.IsZero() || a.UserID != u {
		t.Fatalf("account = %+v, %v", a, err)
	}
	c, err := d.UserAccount(ctx, u, db.AccountClearing, "EUR")
	if err != nil || !c.MayGoNegative || c.ID == a.ID {
		t.Fatalf("clearing = %+v, %v", c, err)
	}
	e1, err1 := d.SystemAccount(ctx, db.AccountEquity, "EUR")
	e2, err2 := d.SystemAccount(ctx, db.AccountEquity, "EUR")
	if err1 != nil || err2 != nil || e1.ID != e2.ID || e1.UserID != 0 {
		t.Fatalf("equity = %+v %+v, %v %v", e1, e2, err1, err2)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"unknown currency", func() error { _, err := d.UserAccount(ctx, u, db.AccountAvailable, "XXX"); return err }()},
		{"memo without thread", func() error { _, err := d.UserAccount(ctx, u, db.AccountMemo, "EUR"); return err }()},
		{"system kind for a user", func() error { _, err := d.UserAccount(ctx, u, db.AccountPayouts, "EUR"); return err }()},
		{"user kind for the system", func() error { _, err := d.SystemAccount(ctx, db.AccountAvailable, "EUR"); return err }()},
		{"no such user", func() error { _, err := d.UserAccount(ctx, u+1000, db.AccountAvailable, "EUR"); return err }()},
	} {
		if tc.err == nil || db.ErrorCode(tc.err) == db.EINTERNAL {
			t.Errorf("%s: error = %v, want a refusal", tc.name, tc.err)
		}
	}
}

func TestDepositSendAndBalances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 2)
	fund(t, d, u[0], eur("100"))
	tr, err := d.Send(ctx, newID(), u[0], u[1], eur("30.5"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.Kind != db.TransferSend || tr.Amount.String() != "30.50 EUR" || tr.PayerID != u[0] || tr.CreatedAt.IsZero() {
		t.Fatalf("transfer = %+v", tr)
	}
	got, err := d.TransferByID(ctx, tr.ID)
	if err != nil || !sameTransfer(got, tr) {
		t.Fatalf("read back %+v, %v; want %+v", got, err, tr)
	}
	if a := available(t, d, u[0], "EUR"); a.String() != "69.50 EUR" {
		t.Errorf("sender has %s, want 69.50 EUR", a)
	}
	bs, err := d.Balances(ctx, u[1])
	if err != nil || len(bs) != 1 || bs[0].Available.String() != "30.50 EUR" || !bs[0].Pending.IsZero() {
		t.Fatalf("balances = %+v, %v", bs, err)
	}
	if b, err := d.Balance(ctx, u[1], "JPY"); err != nil || !b.Available.IsZero() || b.Currency != "JPY" {
		t.Fatalf("JPY balance = %+v, %v", b, err)
	}
	auditClean(t, d)
}

// The same transfer id sent ten times at once is applied once, and every
// caller gets the same answer.
func TestDoubleSubmit(t *testing.T) {
	t.Parallel()
	doubleSubmit(t, dbtest.New(t))
}

func doubleSubmit(t *testing.T, d *db.DB) {
	ctx := context.Background()
	u := users(t, d, 2)
	fund(t, d, u[0], eur("100"))
	id := newID()
	const n = 10
	got := make([]db.Transfer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = d.Send(ctx, id, u[0], u[1], eur("10")) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("submit %d: %v", i, errs[i])
		}
		if !sameTransfer(got[i], got[0]) {
			t.Fatalf("submit %d got %+v, submit 0 got %+v", i, got[i], got[0])
		}
	}
	var count int
	if err := d.SQL().Get(&count, `SELECT count(*) FROM ledger_transfers WHERE kind = 'transfer'`); err != nil || count != 1 {
		t.Fatalf("transfers = %d, %v; want 1", count, err)
	}
	if a := available(t, d, u[0], "EUR"); a.String() != "90.00 EUR" {
		t.Errorf("sender has %s, want 90.00 EUR", a)
	}
	auditClean(t, d)
}

func TestSameIDOtherParametersConflicts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 3)
	fund(t, d, u[0], eur("100"))
	id := newID()
	if _, err := d.Send(ctx, id, u[0], u[1], eur("10")); err != nil {
		t.Fatal(err)
	}
	// The same request again, with the amount written otherwise: a retry.
	if _, err := d.Send(ctx, id, u[0], u[1], money.Money{Amount: decimal.RequireFromString("10.0"), Currency: "eur"}); err != nil {
		t.Fatalf("retry: %v", err)
	}
	_, err := d.Send(ctx, id, u[0], u[1], eur("11"))
	wantCode(t, err, db.ECONFLICT)
	_, err = d.Send(ctx, id, u[0], u[2], eur("10"))
	wantCode(t, err, db.ECONFLICT)
	_, err = d.Deposit(ctx, id, u[0], eur("10"))
	wantCode(t, err, db.ECONFLICT)
	if a := available(t, d, u[0], "EUR"); a.String() != "90.00 EUR" {
		t.Errorf("sender has %s, want 90.00 EUR", a)
	}
}

// A refused id stays refused, even once the refusal no longer applies.
func TestFailedIDStaysFailed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 2)
	fund(t, d, u[0], eur("5"))
	id := newID()
	_, err := d.Send(ctx, id, u[0], u[1], eur("8"))
	wantCode(t, err, db.EINSUFFICIENT)
	first := english(err)
	if !strings.Contains(first, "Insufficient funds") || !strings.Contains(first, "€5.00") {
		t.Errorf("message %q should say insufficient funds and the balance", first)
	}
	fund(t, d, u[0], eur("10"))
	_, err = d.Send(ctx, id, u[0], u[1], eur("8"))
	wantCode(t, err, db.EINSUFFICIENT)
	if english(err) != first {
		t.Errorf("retry message %q, want the first one %q", err, first)
	}
	_, err = d.Send(ctx, id, u[0], u[1], eur("1"))
	wantCode(t, err, db.ECONFLICT)
	// An invalid request stays failed too.
	bad := newID()
	_, err = d.Send(ctx, bad, u[0], u[0], eur("1"))
	wantCode(t, err, db.EINVALID)
	_, err = d.Send(ctx, bad, u[0], u[0], eur("1"))
	wantCode(t, err, db.EINVALID)
	if _, err := d.Send(ctx, newID(), u[0], u[1], eur("8")); err != nil {
		t.Fatalf("a new id: %v", err)
	}
	if a := available(t, d, u[0], "EUR"); a.String() != "7.00 EUR" {
		t.Errorf("sender has %s, want 7.00 EUR", a)
	}
	auditClean(t, d)
}

func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 2)
	a := fund(t, d, u[0], eur("100"))
	b, _ := d.UserAccount(ctx, u[1], db.AccountAvailable, "EUR")
	p, _ := d.UserAccount(ctx, u[1], db.AccountPending, "EUR")
	jpy, _ := d.UserAccount(ctx, u[1], db.AccountAvailable, "JPY")
	send := db.TransferRequest{Kind: db.TransferSend, From: a.ID, To: b.ID, Amount: eur("1"), PayerID: u[0]}
	for _, tc := range []struct {
		name string
		edit func(r *db.TransferRequest)
	}{
		{"id too short", func(r *db.TransferRequest) { r.ID = "abc" }},
		{"id with spaces", func(r *db.TransferRequest) { r.ID = "abc def ghi" }},
		{"id too long", func(r *db.TransferRequest) { r.ID = strings.Repeat("a", 129) }},
		{"id in the settlements' namespace", func(r *db.TransferRequest) { r.ID = "settle:pay:u1:abcdefgh" }},
		{"id in a payer's namespace", func(r *db.TransferRequest) { r.ID = db.CardPaymentID(u[0], "abcdefgh") }},
		{"unknown kind", func(r *db.TransferRequest) { r.Kind = "gift" }},
		{"zero", func(r *db.TransferRequest) { r.Amount = eur("0") }},
		{"negative", func(r *db.TransferRequest) { r.Amount = eur("-1") }},
		{"too many decimals", func(r *db.TransferRequest) { r.Amount.Amount = decimal.RequireFromString("1.001") }},
		{"unknown currency", func(r *db.TransferRequest) { r.Amount.Currency = "XXX" }},
		{"same account", func(r *db.TransferRequest) { r.To = r.From }},
		{"no such account", func(r *db.TransferRequest) { r.To = 1 << 40 }},
		{"other currency account", func(r *db.TransferRequest) { r.To = jpy.ID }},
		{"wrong account kind", func(r *db.TransferRequest) { r.To = p.ID }},
		{"someone else's money", func(r *db.TransferRequest) { r.PayerID = u[1] }},
		{"share on a send", func(r *db.TransferRequest) { r.ShareID = 7 }},
		{"pending_of on a send", func(r *db.TransferRequest) { r.PendingOf = "whatever-id" }},
	} {
		r := send
		r.ID = newID()
		tc.edit(&r)
		_, err := d.RecordTransfer(ctx, r)
		if c := db.ErrorCode(err); c != db.EINVALID && c != db.ENOTFOUND {
			t.Errorf("%s: error = %v (%s), want a refusal", tc.name, err, c)
		}
	}
	if got := available(t, d, u[0], "EUR"); got.String() != "100.00 EUR" {
		t.Errorf("balance %s after refusals, want 100.00 EUR", got)
	}
	auditClean(t, d)
}

// Fifty payments race for a balance that covers k of them: exactly k pass.
func TestOverSubscription(t *testing.T) {
	t.Parallel()
	overSubscription(t, dbtest.New(t))
}

func overSubscription(t *testing.T, d *db.DB) {
	ctx := context.Background()
	u := users(t, d, 2)
	const n, k = 50, 17
	a := fund(t, d, u[0], eur("170")) // k times 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = d.Send(ctx, newID(), u[0], u[1], eur("10")) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch db.ErrorCode(err) {
		case "":
			ok++
		case db.EINSUFFICIENT:
			if !strings.Contains(english(err), "Insufficient funds") {
				t.Errorf("message %q", english(err))
			}
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != k {
		t.Errorf("%d payments passed, want %d", ok, k)
	}
	got, err := d.AccountByID(ctx, a.ID)
	if err != nil || !got.Balance.IsZero() {
		t.Errorf("balance = %s, %v; want 0", got.Balance, err)
	}
	auditClean(t, d)
}

// Transfers A->B and B->A at once never surface a deadlock.
func TestReverseDirectionNoDeadlock(t *testing.T) {
	t.Parallel()
	reverseDirectionNoDeadlock(t, dbtest.New(t))
}

func reverseDirectionNoDeadlock(t *testing.T, d *db.DB) {
	ctx := context.Background()
	u := users(t, d, 2)
	fund(t, d, u[0], eur("1000"))
	fund(t, d, u[1], eur("1000"))
	const each = 100
	var wg sync.WaitGroup
	errs := make(chan error, 8*each)
	for g := range 8 {
		wg.Go(func() {
			from, to := u[g%2], u[1-g%2]
			for range each / 4 {
				if _, err := d.Send(ctx, newID(), from, to, eur("1")); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("transfer: %v", err)
	}
	total := available(t, d, u[0], "EUR").Amount.Add(available(t, d, u[1], "EUR").Amount)
	if !total.Equal(decimal.NewFromInt(2000)) {
		t.Errorf("total = %s, want 2000", total)
	}
	auditClean(t, d)
}
