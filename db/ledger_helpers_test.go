package db_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/money"
)

// newID returns a fresh transfer id, as a browser would make one.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

func eur(s string) money.Money {
	m, err := money.New(decimal.RequireFromString(s), "EUR")
	if err != nil {
		panic(err)
	}
	return m
}

// users creates n guests and returns their ids.
func users(t testing.TB, d *db.DB, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		u, err := d.CreateGuest(context.Background(), fmt.Sprintf("user %d", i), "en")
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = u.ID
	}
	return ids
}

// fund deposits amount into the user's available balance and returns the
// account.
func fund(t testing.TB, d *db.DB, user int64, amount money.Money) db.Account {
	t.Helper()
	ctx := context.Background()
	if _, err := d.Deposit(ctx, newID(), user, amount); err != nil {
		t.Fatalf("deposit %s: %v", amount, err)
	}
	a, err := d.UserAccount(ctx, user, db.AccountAvailable, amount.Currency)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func available(t testing.TB, d *db.DB, user int64, currency string) money.Money {
	t.Helper()
	b, err := d.Balance(context.Background(), user, currency)
	if err != nil {
		t.Fatal(err)
	}
	return b.Available
}

// auditClean fails the test if the audit finds any violation.
func auditClean(t testing.TB, d *db.DB) []db.AuditCheck {
	t.Helper()
	checks, err := d.Audit(context.Background())
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Errorf("audit %s: %d violations in %d checked", c.Name, c.Violations, c.Checked)
		}
	}
	return checks
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if db.ErrorCode(err) != code {
		t.Fatalf("error = %v (code %q), want code %q", err, db.ErrorCode(err), code)
	}
}

// sameTransfer reports whether two results are identical.
func sameTransfer(a, b db.Transfer) bool {
	return a.ID == b.ID && a.Kind == b.Kind && a.From == b.From && a.To == b.To &&
		a.Amount.Amount.Equal(b.Amount.Amount) && a.Amount.String() == b.Amount.String() &&
		a.PayerID == b.PayerID && a.SplitID == b.SplitID && a.ShareID == b.ShareID &&
		a.PendingOf == b.PendingOf && a.Reverses == b.Reverses && a.ProviderRef == b.ProviderRef &&
		a.CreatedAt.Equal(b.CreatedAt)
}

// newSplit creates, straight in SQL, a thread and a split collected by collector
// with one share of amount per payer, and returns the thread, the split and
// the share ids (the ledger's share_id and split_id refer to them).
func newSplit(t testing.TB, d *db.DB, collector int64, payers []int64, amount string) (thread, split int64, shares []int64) {
	t.Helper()
	tx, err := d.SQL().Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.Get(&thread, `INSERT INTO groups (name, currency, created_by) VALUES ('Pizza Friday', 'EUR', $1) RETURNING id`, collector); err != nil {
		t.Fatal(err)
	}
	total := decimal.RequireFromString(amount).Mul(decimal.NewFromInt(int64(len(payers))))
	var nonce [16]byte
	rand.Read(nonce[:])
	if err := tx.Get(&split, `INSERT INTO splits (group_id, title, currency, total, payee_id, created_by, mode, pay_nonce, pay_token_hash)
		VALUES ($1, 'Pizza night', 'EUR', $2, $3, $3, 'equal', $4, $4) RETURNING id`, thread, total.String(), collector, nonce[:]); err != nil {
		t.Fatal(err)
	}
	for i, p := range payers {
		var id int64
		if err := tx.Get(&id, `INSERT INTO shares (group_id, split_id, user_id, position, amount) VALUES ($5, $1, $2, $3, $4) RETURNING id`, split, p, i, amount, thread); err != nil {
			t.Fatal(err)
		}
		shares = append(shares, id)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncSplitPositions(context.Background(), d, split); err != nil {
		t.Fatal(err)
	}
	return thread, split, shares
}

// activePayments gives user an activated payment setup, as the setup and
// activation steps would, so that money may leave their balance.
func activePayments(t testing.TB, d *db.DB, user int64) {
	t.Helper()
	_, err := d.SQL().Exec(`
		INSERT INTO payment_profiles (user_id, legal_name, contact_email, card_token, card_brand, card_last4,
			card_exp_month, card_exp_year, pin_hash, active, activated_at)
		VALUES ($1, 'Test Person', 'test@example.com', 'tok_test', 'visa', '4242', 12, 2035, 'x', true, now())
		ON CONFLICT (user_id) DO NOTHING`, user)
	if err != nil {
		t.Fatal(err)
	}
}

// count runs a query that returns one number.
func count(t testing.TB, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.SQL().Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// setRates gives d reference rates (units per euro) for the caps.
func setRates(t testing.TB, d *db.DB) {
	t.Helper()
	_, err := d.SetRates(context.Background(), "operator", time.Now(), map[string]decimal.Decimal{
		"GBP": decimal.RequireFromString("0.85"), "USD": decimal.RequireFromString("1.05"),
		"CHF": decimal.RequireFromString("0.94"), "JPY": decimal.RequireFromString("160"),
	})
	if err != nil {
		t.Fatal(err)
	}
}
