package db

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// capWindow is the span of the rolling cap.
const capWindow = 30 * 24 * time.Hour

// Limits caps what one payer may pay by card, per currency (ISO code): at
// most PerTransfer in one payment, and at most Rolling30 in the 30 days up to
// a payment, that payment included. Voided and refunded payments still count.
type Limits struct {
	PerTransfer map[string]decimal.Decimal
	Rolling30   map[string]decimal.Decimal
}

// DefaultLimits returns the caps that apply when none are set: 500 and
// 1 500 in major units (500 EUR, 500 USD, ...), 75 000 and 225 000 JPY, and
// 325 000 and 975 000 for the CFA francs (about 500 and 1 500 EUR).
func DefaultLimits() Limits {
	return Limits{
		PerTransfer: map[string]decimal.Decimal{
			"EUR": decimal.NewFromInt(500), "JPY": decimal.NewFromInt(75_000),
			"XOF": decimal.NewFromInt(325_000), "XAF": decimal.NewFromInt(325_000),
		},
		Rolling30: map[string]decimal.Decimal{
			"EUR": decimal.NewFromInt(1_500), "JPY": decimal.NewFromInt(225_000),
			"XOF": decimal.NewFromInt(975_000), "XAF": decimal.NewFromInt(975_000),
		},
	}
}

// For returns the caps of currency: the entry in l, else the default.
func (l Limits) For(currency string) (perTransfer, rolling30 decimal.Decimal) {
	currency = strings.ToUpper(currency)
	def := DefaultLimits()
	perTransfer, ok := l.PerTransfer[currency]
	if !ok {
		if perTransfer, ok = def.PerTransfer[currency]; !ok {
			perTransfer = decimal.NewFromInt(500)
		}
	}
	rolling30, ok = l.Rolling30[currency]
	if !ok {
		if rolling30, ok = def.Rolling30[currency]; !ok {
			rolling30 = decimal.NewFromInt(1_500)
		}
	}
	return perTransfer, rolling30
}

// SetLimits replaces the card payment caps. They are kept in the database,
// so every app process and the audit apply the same numbers; a currency
// missing from l gets its default. Both caps of a currency must be set
// together, positive and at its scale.
func (d *DB) SetLimits(ctx context.Context, l Limits) error {
	upper := func(m map[string]decimal.Decimal) map[string]decimal.Decimal {
		out := make(map[string]decimal.Decimal, len(m))
		for k, v := range m {
			out[strings.ToUpper(k)] = v
		}
		return out
	}
	perTransfer, rolling30 := upper(l.PerTransfer), upper(l.Rolling30)
	var codes, per, rolling []string
	for code, p := range perTransfer {
		r, ok := rolling30[code]
		if !ok {
			return Errorf(EINVALID, "The %s caps must be set together: the 30-day cap is missing.", code)
		}
		for _, v := range []decimal.Decimal{p, r} {
			if m, err := money.New(v, code); err != nil || !m.IsPositive() {
				return Errorf(EINVALID, "The %s cap %s is not a positive amount of %s.", code, v, code)
			}
		}
		codes, per, rolling = append(codes, code), append(per, p.String()), append(rolling, r.String())
	}
	if len(rolling30) != len(perTransfer) {
		return Errorf(EINVALID, "The caps of a currency must be set together: a per-payment cap is missing.")
	}
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM ledger_limits`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO ledger_limits (currency, per_transfer, rolling_30d)
			SELECT * FROM unnest($1::text[], $2::numeric[], $3::numeric[])`,
			pq.Array(codes), pq.Array(per), pq.Array(rolling))
		return err
	})
}

// Limits returns the caps in force: those set, and the defaults.
func (d *DB) Limits(ctx context.Context) (Limits, error) {
	var rows []struct {
		Currency    string          `db:"currency"`
		PerTransfer decimal.Decimal `db:"per_transfer"`
		Rolling30   decimal.Decimal `db:"rolling_30d"`
	}
	if err := d.x.SelectContext(ctx, &rows, `SELECT currency, per_transfer, rolling_30d FROM ledger_limits`); err != nil {
		return Limits{}, err
	}
	l := DefaultLimits()
	for _, r := range rows {
		l.PerTransfer[r.Currency] = r.PerTransfer
		l.Rolling30[r.Currency] = r.Rolling30
	}
	return l, nil
}

// The caps in force and the payer's card payments in the window, in one
// round trip. Inside a transfer the payer's clearing account is locked, so
// this sum cannot change until the transfer commits: racing payments of one
// payer are counted one after the other.
const selectCapState = `
	SELECT (SELECT per_transfer FROM ledger_limits WHERE currency = $2) AS per_transfer,
	       (SELECT rolling_30d FROM ledger_limits WHERE currency = $2) AS rolling_30d,
	       coalesce((SELECT sum(amount) FROM ledger_transfers
	                 WHERE kind = 'card_payment' AND payer_user_id = $1 AND currency = $2
	                   AND created_at > $3), 0) AS spent`

// Refusals of the caps: limit is the cap, amount the payment refused, spent
// what was paid in the window, frees the moment this payment would fit.
var (
	errCapPerPayment = NewReason(ELIMIT, "cap.per_payment", "limit", "amount")
	errCap30Days     = NewReason(ELIMIT, "cap.30_days", "limit", "spent", "amount", "frees")
)

// checkCaps refuses a card payment of amount by payer at now that would
// cross a cap, with a message that says the cap and when room frees up.
func (d *DB) checkCaps(ctx context.Context, q sqlx.QueryerContext, payer int64, amount money.Money, now time.Time) (*Error, error) {
	var s struct {
		PerTransfer decimal.NullDecimal `db:"per_transfer"`
		Rolling30   decimal.NullDecimal `db:"rolling_30d"`
		Spent       decimal.Decimal     `db:"spent"`
	}
	since := now.Add(-capWindow)
	if err := sqlx.GetContext(ctx, q, &s, selectCapState, payer, amount.Currency, since); err != nil {
		return nil, err
	}
	per, rolling := DefaultLimits().For(amount.Currency)
	if s.PerTransfer.Valid {
		per, rolling = s.PerTransfer.Decimal, s.Rolling30.Decimal
	}
	show := func(v decimal.Decimal) money.Money { return atScale(v, amount.Currency) }
	if amount.Amount.GreaterThan(per) {
		return errCapPerPayment.New(show(per), amount), nil
	}
	if s.Spent.Add(amount.Amount).LessThanOrEqual(rolling) {
		return nil, nil
	}
	// Find when enough of the window's payments will have left it: walk
	// them oldest first until what remains leaves room for this one.
	var recent []struct {
		Amount    decimal.Decimal `db:"amount"`
		CreatedAt time.Time       `db:"created_at"`
	}
	err := sqlx.SelectContext(ctx, q, &recent, `
		SELECT amount, created_at FROM ledger_transfers
		WHERE kind = 'card_payment' AND payer_user_id = $1 AND currency = $2 AND created_at > $3
		ORDER BY created_at`, payer, amount.Currency, since)
	if err != nil {
		return nil, err
	}
	free, left := now, s.Spent
	for _, p := range recent {
		if left.Add(amount.Amount).LessThanOrEqual(rolling) {
			break
		}
		left = left.Sub(p.Amount)
		free = p.CreatedAt.Add(capWindow)
	}
	return errCap30Days.New(show(rolling), show(s.Spent), amount, free), nil
}

// CheckCaps says whether a card payment of amount by payer would cross a
// cap now, without paying: it returns the ELIMIT refusal, or nil. It lets a
// pay form warn before the card is charged; the payment itself checks again.
func (d *DB) CheckCaps(ctx context.Context, payer int64, amount money.Money) error {
	if e, err := d.checkCaps(ctx, d.x, payer, amount, d.ledgerTime()); err != nil || e != nil {
		if err != nil {
			return err
		}
		return e
	}
	return nil
}
