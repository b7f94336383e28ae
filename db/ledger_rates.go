package db

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// CapCurrency is the currency of the rolling 30-day cap: a payer's card
// payments in every currency count against it, each converted at the
// reference rate of its day (ledger_rates, migrations/072_ledger_rates.sql).
const CapCurrency = "EUR"

// Rate is a reference rate: PerEUR units of Currency are worth one euro.
type Rate struct {
	Currency  string
	PerEUR    decimal.Decimal
	Source    string // "ecb", "operator" or "peg"
	AsOf      time.Time
	UpdatedAt time.Time
}

// Rates returns the reference rates known, by currency.
func (d *DB) Rates(ctx context.Context) ([]Rate, error) {
	var rows []struct {
		Currency  string          `db:"currency"`
		PerEUR    decimal.Decimal `db:"per_eur"`
		Source    string          `db:"source"`
		AsOf      time.Time       `db:"as_of"`
		UpdatedAt time.Time       `db:"updated_at"`
	}
	if err := d.x.SelectContext(ctx, &rows, `SELECT currency, per_eur, source, as_of, updated_at FROM ledger_rates ORDER BY currency`); err != nil {
		return nil, err
	}
	out := make([]Rate, len(rows))
	for i, r := range rows {
		out[i] = Rate{Currency: r.Currency, PerEUR: r.PerEUR, Source: r.Source, AsOf: r.AsOf, UpdatedAt: r.UpdatedAt.UTC()}
	}
	return out, nil
}

// ReferenceRate returns how many units of to one unit of from is worth at
// the reference rates known (both against the euro), to 6 significant
// digits, and the day of the older of the two; false when either is
// unknown.
func (d *DB) ReferenceRate(ctx context.Context, from, to string) (decimal.Decimal, time.Time, bool, error) {
	var rows []struct {
		Currency string          `db:"currency"`
		PerEUR   decimal.Decimal `db:"per_eur"`
		AsOf     time.Time       `db:"as_of"`
	}
	if err := d.x.SelectContext(ctx, &rows, `SELECT currency, per_eur, as_of FROM ledger_rates WHERE currency IN ($1, $2)`, from, to); err != nil {
		return decimal.Zero, time.Time{}, false, err
	}
	per := map[string]decimal.Decimal{}
	var asOf time.Time
	for _, r := range rows {
		per[r.Currency] = r.PerEUR
		// A peg's day says nothing: the other rate's day is the one.
		if r.Currency != CapCurrency && r.Currency != "XOF" && r.Currency != "XAF" && (asOf.IsZero() || r.AsOf.Before(asOf)) {
			asOf = r.AsOf
		}
	}
	f, okFrom := per[from]
	t, okTo := per[to]
	if !okFrom || !okTo || from == to {
		return decimal.Zero, time.Time{}, false, nil
	}
	return significant(t.DivRound(f, 16), 6), asOf, true, nil
}

// significant rounds a positive q to n significant digits (one yen is
// 0.00631672 euros, one euro 158.310 yen).
func significant(q decimal.Decimal, n int32) decimal.Decimal {
	ten, one := decimal.NewFromInt(10), decimal.NewFromInt(1)
	places := n - 1
	for x := q; x.GreaterThanOrEqual(ten) && places > 0; x = x.Div(ten) {
		places--
	}
	for x := q; x.LessThan(one) && places < 16; x = x.Mul(ten) {
		places++
	}
	return q.Round(places)
}

var (
	errRateCurrency = NewReason(EINVALID, "rates.currency", "currency")
	errRateValue    = NewReason(EINVALID, "rates.value", "currency")
)

// SetRates records reference rates (units per euro) from source ("ecb" or
// "operator") as of a day, replacing the ones before. Currencies Divvy does
// not know are skipped, as are the euro and the pegged CFA francs, whose
// rates never change; it returns how many rates it set.
func (d *DB) SetRates(ctx context.Context, source string, asOf time.Time, rates map[string]decimal.Decimal) (int, error) {
	if source != "ecb" && source != "operator" {
		return 0, fmt.Errorf("rates: unknown source %q", source)
	}
	var codes, values []string
	for code, v := range rates {
		code = strings.ToUpper(strings.TrimSpace(code))
		if _, ok := money.LookupCurrency(code); !ok {
			if source == "operator" {
				return 0, errRateCurrency.New(code)
			}
			continue
		}
		if code == CapCurrency || code == "XOF" || code == "XAF" {
			if source == "operator" {
				return 0, errRateCurrency.New(code)
			}
			continue
		}
		if !v.IsPositive() {
			return 0, errRateValue.New(code)
		}
		codes, values = append(codes, code), append(values, v.String())
	}
	if len(codes) == 0 {
		return 0, nil
	}
	_, err := d.x.ExecContext(ctx, `
		INSERT INTO ledger_rates (currency, per_eur, source, as_of, updated_at)
		SELECT * FROM unnest($1::text[], $2::numeric[]) AS r (currency, per_eur), (VALUES ($3, $4::date, $5::timestamptz)) AS s
		ON CONFLICT (currency) DO UPDATE SET per_eur = EXCLUDED.per_eur, source = EXCLUDED.source,
			as_of = EXCLUDED.as_of, updated_at = EXCLUDED.updated_at`,
		pq.Array(codes), pq.Array(values), source, asOf.Format("2006-01-02"), d.ledgerTime())
	return len(codes), err
}

// ParseECBRates reads the European Central Bank's daily reference rates
// (eurofxref-daily.xml): the day and, per currency, units per euro.
func ParseECBRates(r io.Reader) (time.Time, map[string]decimal.Decimal, error) {
	var doc struct {
		Days []struct {
			Time  string `xml:"time,attr"`
			Rates []struct {
				Currency string `xml:"currency,attr"`
				Rate     string `xml:"rate,attr"`
			} `xml:"Cube"`
		} `xml:"Cube>Cube"`
	}
	if err := xml.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&doc); err != nil {
		return time.Time{}, nil, fmt.Errorf("ECB rates: %w", err)
	}
	if len(doc.Days) == 0 {
		return time.Time{}, nil, fmt.Errorf("ECB rates: no day in the file")
	}
	day := doc.Days[0]
	asOf, err := time.Parse("2006-01-02", day.Time)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("ECB rates: the day %q: %w", day.Time, err)
	}
	out := map[string]decimal.Decimal{}
	for _, c := range day.Rates {
		v, err := decimal.NewFromString(c.Rate)
		if err != nil || !v.IsPositive() || len(c.Currency) != 3 {
			return time.Time{}, nil, fmt.Errorf("ECB rates: %q at %q is not a rate", c.Currency, c.Rate)
		}
		out[strings.ToUpper(c.Currency)] = v
	}
	return asOf, out, nil
}

// toCapCurrency converts amount at rate (units per euro) into the cap
// currency, to a millionth of a euro.
func toCapCurrency(amount money.Money, rate decimal.Decimal) decimal.Decimal {
	return amount.Amount.DivRound(rate, 6)
}

// RateList is rates for people: "GBP 0.8571 per EUR (ecb, 2026-11-30)".
func RateList(rates []Rate) []string {
	sort.Slice(rates, func(i, j int) bool { return rates[i].Currency < rates[j].Currency })
	out := make([]string, len(rates))
	for i, r := range rates {
		out[i] = fmt.Sprintf("%s %s per EUR (%s, %s)", r.Currency, r.PerEUR, r.Source, r.AsOf.Format("2006-01-02"))
	}
	return out
}
