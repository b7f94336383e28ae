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

// Refusals of this file (worded in views/refusals_text.go).
var (
	errCapsRollingMissing = NewReason(EINVALID, "caps.rolling_missing", "currency")
	errCapNotPositive     = NewReason(EINVALID, "caps.not_positive", "currency", "value")
	errCapsPerMissing     = NewReason(EINVALID, "caps.per_missing")
)

// capWindow is the span of the rolling cap.
const capWindow = 30 * 24 * time.Hour

// Limits caps what one payer may pay by card: at most PerTransfer[c] in one
// payment in currency c, and at most Rolling30[CapCurrency] in the 30 days
// up to a payment, that payment included, all currencies counted in the cap
// currency at reference rates (the Rolling30 of other currencies are not
// used). Voided and refunded payments still count.
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
			return errCapsRollingMissing.New(code)
		}
		for _, v := range []decimal.Decimal{p, r} {
			if m, err := money.New(v, code); err != nil || !m.IsPositive() {
				return errCapNotPositive.New(code, v)
			}
		}
		codes, per, rolling = append(codes, code), append(per, p.String()), append(rolling, r.String())
	}
	if len(rolling30) != len(perTransfer) {
		return errCapsPerMissing.New()
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

// capStateColumns are the caps in force, the payer's card payments in the
// window, all currencies, in the cap currency, and the payment currency's
// reference rate: $1 the payer, $2 the currency, $3 the window's start.
// Inside a card payment the payer's caps lock is held (lockCardAccountsSQL), so
// the sum cannot change until the payment commits: racing payments of one
// payer, in any currencies, are counted one after the other.
const capStateColumns = `
	(SELECT per_transfer FROM ledger_limits WHERE currency = $2) AS per_transfer,
	(SELECT rolling_30d FROM ledger_limits WHERE currency = '` + CapCurrency + `') AS rolling_30d,
	coalesce((SELECT sum(coalesce(t.cap_amount, round(t.amount / r.per_eur, 6)))
	          FROM ledger_transfers t LEFT JOIN ledger_rates r ON r.currency = t.currency
	          WHERE t.kind = 'card_payment' AND t.payer_user_id = $1 AND t.created_at > $3), 0) AS spent,
	(SELECT per_eur FROM ledger_rates WHERE currency = $2) AS rate`

const selectCapState = `SELECT ` + capStateColumns

// capState is what the caps of one card payment are checked against, read
// in one round trip (capStateColumns).
type capState struct {
	PerTransfer decimal.NullDecimal `db:"per_transfer"`
	Rolling30   decimal.NullDecimal `db:"rolling_30d"`
	Spent       decimal.Decimal     `db:"spent"`
	Rate        decimal.NullDecimal `db:"rate"`
}

// Refusals of the caps: limit is the cap, amount the payment refused, spent
// what was paid in the window (in the cap currency), counted the payment in
// the cap currency, frees the moment this payment would fit.
var (
	errCapPerPayment      = NewReason(ELIMIT, "cap.per_payment", "limit", "amount")
	errCap30Days          = NewReason(ELIMIT, "cap.30_days", "limit", "spent", "amount", "frees")
	errCap30DaysConverted = NewReason(ELIMIT, "cap.30_days_converted", "limit", "spent", "amount", "counted", "frees")
	errNoRate             = NewReason(ELIMIT, "cap.no_rate", "currency")
)

// checkCaps refuses a card payment of amount by payer at now that would
// cross a cap, with a message that says the cap and when room frees up.
// The per-payment cap is the payment currency's; the rolling cap counts
// every currency, converted into the cap currency at the reference rates. A
// currency without a reference rate cannot be counted, so it is refused.
func (d *DB) checkCaps(ctx context.Context, q sqlx.QueryerContext, payer int64, amount money.Money, now time.Time) (*Error, error) {
	var s capState
	if err := sqlx.GetContext(ctx, q, &s, selectCapState, payer, amount.Currency, now.Add(-capWindow)); err != nil {
		return nil, err
	}
	return capsVerdict(ctx, q, s, payer, amount, now)
}

// capsVerdict is checkCaps on the state already read. It reads the
// window's payments only to say when room frees up, after a refusal.
func capsVerdict(ctx context.Context, q sqlx.QueryerContext, s capState, payer int64, amount money.Money, now time.Time) (*Error, error) {
	since := now.Add(-capWindow)
	per, _ := DefaultLimits().For(amount.Currency)
	if s.PerTransfer.Valid {
		per = s.PerTransfer.Decimal
	}
	_, rolling := DefaultLimits().For(CapCurrency)
	if s.Rolling30.Valid {
		rolling = s.Rolling30.Decimal
	}
	if amount.Amount.GreaterThan(per) {
		return errCapPerPayment.New(atScale(per, amount.Currency), amount), nil
	}
	if !s.Rate.Valid {
		return errNoRate.New(amount.Currency), nil
	}
	counted := toCapCurrency(amount, s.Rate.Decimal)
	if s.Spent.Add(counted).LessThanOrEqual(rolling) {
		return nil, nil
	}
	// Find when enough of the window's payments will have left it: walk
	// them oldest first until what remains leaves room for this one.
	var recent []struct {
		Counted   decimal.Decimal `db:"counted"`
		CreatedAt time.Time       `db:"created_at"`
	}
	err := sqlx.SelectContext(ctx, q, &recent, `
		SELECT coalesce(t.cap_amount, round(t.amount / r.per_eur, 6), 0) AS counted, t.created_at
		FROM ledger_transfers t LEFT JOIN ledger_rates r ON r.currency = t.currency
		WHERE t.kind = 'card_payment' AND t.payer_user_id = $1 AND t.created_at > $2
		ORDER BY t.created_at`, payer, since)
	if err != nil {
		return nil, err
	}
	free, left := now, s.Spent
	for _, p := range recent {
		if left.Add(counted).LessThanOrEqual(rolling) {
			break
		}
		left = left.Sub(p.Counted)
		free = p.CreatedAt.Add(capWindow)
	}
	show := func(v decimal.Decimal) money.Money { return atScale(v, CapCurrency) }
	if amount.Currency == CapCurrency {
		return errCap30Days.New(show(rolling), show(s.Spent), amount, free), nil
	}
	return errCap30DaysConverted.New(show(rolling), show(s.Spent), amount, show(counted), free), nil
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
