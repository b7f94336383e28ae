package db

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errCurrencyUnknown = NewReason(EINVALID, "currency.unknown", "currency")
	errAccountKind     = NewReason(EINVALID, "account.kind", "kind")
	errAccountOwner    = NewReason(EINVALID, "account.owner", "kind")
	errAccountGroup    = NewReason(EINVALID, "account.group")
	errAccountOpen     = NewReason(EUNAVAILABLE, "account.open")
	errAccountMemo     = NewReason(EINVALID, "account.memo")
)

// The ledger is double-entry and append-only: a transfer moves an amount
// from one account to another as two entries that sum to zero, and nothing
// is ever updated or deleted (a mistake is fixed by a reversing transfer).
// The invariants live in PostgreSQL (migrations/002_ledger.sql); this file
// has the accounts, ledger_transfer.go the transfers.

// AccountKind says what an account holds, who owns it, and whether it may
// go negative.
type AccountKind string

// The account kinds.
const (
	// AccountAvailable is a user's money, which they may pay out.
	AccountAvailable AccountKind = "user_available"
	// AccountPending holds a user's card receipts until the provider settles them.
	AccountPending AccountKind = "user_pending"
	// AccountMemo records, per user and thread, cash paid outside Divvy; it
	// may go negative (the payer's side).
	AccountMemo AccountKind = "user_memo"
	// AccountClearing is, per payer, what their card brought in: it goes
	// negative by what the card paid.
	AccountClearing AccountKind = "provider_clearing"
	// AccountPayouts is the system account of money sent out to banks.
	AccountPayouts AccountKind = "payouts"
	// AccountEquity is the system source of deposits and adjustments; it may
	// go negative.
	AccountEquity AccountKind = "equity"
	// AccountPosition is a member's position in a thread (per currency): what
	// they fronted minus what they owe, plus what they paid others minus what
	// they received. No money: a record the balances are read from; it may go
	// negative. Moved only by position transfers (positions.go).
	AccountPosition AccountKind = "thread_position"
)

// valid reports whether k is a known kind.
func (k AccountKind) valid() bool {
	switch k {
	case AccountAvailable, AccountPending, AccountMemo, AccountClearing, AccountPayouts, AccountEquity, AccountPosition:
		return true
	}
	return false
}

// mayGoNegative mirrors the CHECK of ledger_accounts.
func (k AccountKind) mayGoNegative() bool {
	return k == AccountMemo || k == AccountClearing || k == AccountEquity || k == AccountPosition
}

// ownedByUser reports kinds that belong to a user rather than to the system.
func (k AccountKind) ownedByUser() bool {
	return k == AccountAvailable || k == AccountPending || k == AccountMemo || k == AccountClearing || k == AccountPosition
}

// Account is one ledger account and its current balance.
type Account struct {
	ID            int64
	Kind          AccountKind
	UserID        int64 // 0 for system accounts
	ThreadID      int64 // memo accounts only
	Currency      string
	MayGoNegative bool
	Balance       decimal.Decimal
}

type accountRow struct {
	ID            int64           `db:"id"`
	Kind          string          `db:"kind"`
	UserID        sql.NullInt64   `db:"user_id"`
	ThreadID      sql.NullInt64   `db:"group_id"`
	Currency      string          `db:"currency"`
	MayGoNegative bool            `db:"may_go_negative"`
	Balance       decimal.Decimal `db:"balance"`
}

func (r accountRow) account() Account {
	return Account{ID: r.ID, Kind: AccountKind(r.Kind), UserID: r.UserID.Int64, ThreadID: r.ThreadID.Int64,
		Currency: r.Currency, MayGoNegative: r.MayGoNegative, Balance: r.Balance}
}

// money returns m as Money in the account's currency, at its scale.
func (a Account) money(m decimal.Decimal) money.Money {
	return atScale(m, a.Currency)
}

const accountColumns = `id, kind, user_id, group_id, currency, may_go_negative, balance`

// The owner is matched with "= $2 OR ($2 IS NULL AND ...)" rather than IS NOT
// DISTINCT FROM, which no index serves; the parameters are known when the
// statement is planned, so the planner keeps only the branch that applies.
const selectAccountByOwner = `
	SELECT ` + accountColumns + ` FROM ledger_accounts
	WHERE kind = $1 AND currency = $4
	  AND (user_id = $2 OR ($2::bigint IS NULL AND user_id IS NULL))
	  AND (group_id = $3 OR ($3::bigint IS NULL AND group_id IS NULL))`

const insertAccount = `
	INSERT INTO ledger_accounts (kind, user_id, group_id, currency, minor, may_go_negative)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT ON CONSTRAINT ledger_accounts_owner DO NOTHING
	RETURNING ` + accountColumns

// ensureAccount returns the account of kind owned by userID (and threadID,
// for memo accounts) in currency, creating it on first use. Concurrent
// callers get the same account.
func ensureAccount(ctx context.Context, q sqlx.ExtContext, kind AccountKind, userID, threadID int64, currency string) (Account, error) {
	c, ok := money.LookupCurrency(currency)
	if !ok {
		return Account{}, errCurrencyUnknown.New(currency)
	}
	switch {
	case !kind.valid():
		return Account{}, errAccountKind.New(kind)
	case kind.ownedByUser() != (userID != 0):
		return Account{}, errAccountOwner.New(kind)
	case (kind == AccountMemo || kind == AccountPosition) != (threadID != 0):
		return Account{}, errAccountGroup.New()
	}
	args := []any{string(kind), nullID(userID), nullID(threadID), c.Code}
	// Three tries: a row deleted between our insert and select is impossible
	// (accounts are never deleted), but a conflict with an uncommitted insert
	// that then rolls back leaves neither, so look again.
	for range 3 {
		var r accountRow
		err := sqlx.GetContext(ctx, q, &r, selectAccountByOwner, args...)
		if err == nil {
			return r.account(), nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Account{}, err
		}
		err = sqlx.GetContext(ctx, q, &r, insertAccount, append(args, c.Minor, kind.mayGoNegative())...)
		if err == nil {
			return r.account(), nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Account{}, mapErr(err, "owner")
		}
	}
	return Account{}, errAccountOpen.New()
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

// UserAccount returns the user's account of kind (AccountAvailable,
// AccountPending or AccountClearing) in currency, creating it on first use.
func (d *DB) UserAccount(ctx context.Context, userID int64, kind AccountKind, currency string) (Account, error) {
	if kind == AccountMemo {
		return Account{}, errAccountMemo.New()
	}
	return ensureAccount(ctx, d.x, kind, userID, 0, currency)
}

// MemoAccount returns the user's cash memo account in a thread, creating it
// on first use.
func (d *DB) MemoAccount(ctx context.Context, userID, threadID int64, currency string) (Account, error) {
	return ensureAccount(ctx, d.x, AccountMemo, userID, threadID, currency)
}

// SystemAccount returns the system account of kind (AccountPayouts or
// AccountEquity) in currency, creating it on first use.
func (d *DB) SystemAccount(ctx context.Context, kind AccountKind, currency string) (Account, error) {
	return ensureAccount(ctx, d.x, kind, 0, 0, currency)
}

// AccountByID returns one account with its current balance.
func (d *DB) AccountByID(ctx context.Context, id int64) (Account, error) {
	var r accountRow
	err := d.x.GetContext(ctx, &r, `SELECT `+accountColumns+` FROM ledger_accounts WHERE id = $1`, id)
	return r.account(), mapErr(err, "account")
}

// Balance is what a user holds in one currency.
type Balance struct {
	Currency  string
	Available money.Money // may be paid out
	Pending   money.Money // card payments received, not yet settled
}

const selectBalances = `
	SELECT currency, kind, balance FROM ledger_accounts
	WHERE user_id = $1 AND kind IN ('user_available', 'user_pending')`

// Balances returns the user's balances, one per currency they have held,
// sorted by currency.
func (d *DB) Balances(ctx context.Context, userID int64) ([]Balance, error) {
	var rows []struct {
		Currency string          `db:"currency"`
		Kind     string          `db:"kind"`
		Balance  decimal.Decimal `db:"balance"`
	}
	if err := d.x.SelectContext(ctx, &rows, selectBalances, userID); err != nil {
		return nil, err
	}
	by := map[string]*Balance{}
	for _, r := range rows {
		b := by[r.Currency]
		if b == nil {
			b = &Balance{Currency: r.Currency, Available: money.Zero(r.Currency), Pending: money.Zero(r.Currency)}
			by[r.Currency] = b
		}
		if AccountKind(r.Kind) == AccountAvailable {
			b.Available = atScale(r.Balance, r.Currency)
		} else {
			b.Pending = atScale(r.Balance, r.Currency)
		}
	}
	out := make([]Balance, 0, len(by))
	for _, b := range by {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out, nil
}

// Balance returns the user's balance in one currency (zero if they never
// held any).
func (d *DB) Balance(ctx context.Context, userID int64, currency string) (Balance, error) {
	currency = strings.ToUpper(currency)
	if _, ok := money.LookupCurrency(currency); !ok {
		return Balance{}, errCurrencyUnknown.New(currency)
	}
	all, err := d.Balances(ctx, userID)
	if err != nil {
		return Balance{}, err
	}
	for _, b := range all {
		if b.Currency == currency {
			return b, nil
		}
	}
	return Balance{Currency: currency, Available: money.Zero(currency), Pending: money.Zero(currency)}, nil
}

// atScale returns amount in currency at the currency's scale, so that equal
// amounts print and compare the same whatever the database returned.
func atScale(amount decimal.Decimal, currency string) money.Money {
	c, ok := money.LookupCurrency(currency)
	if !ok {
		return money.Money{Amount: amount, Currency: currency}
	}
	units := amount.Shift(c.Minor).Round(0)
	return money.Money{Amount: decimal.NewFromBigInt(units.BigInt(), -c.Minor), Currency: c.Code}
}

// ledgerTime is the clock of the ledger, at PostgreSQL's precision, so a
// time returned by a use case equals the one read back later.
func (d *DB) ledgerTime() time.Time {
	return d.now().UTC().Truncate(time.Microsecond)
}
