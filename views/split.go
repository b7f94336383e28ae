package views

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Person is a member as a form lists them.
type Person struct {
	ID   int64
	Name string
}

// SplitForm is the currency button's form.
type SplitForm struct {
	ThreadID   int64
	ThreadName string
	Currencies []string
	Members    []Person
	Form       Form           // title, total, currency, collector, mode, value_<id>, tax, tip
	People     map[int64]bool // who takes part
	Items      []ItemRow
	Preview    SplitPreview
	// Editing an existing split (0: a new one). Its currency and collector
	// stay; MoneyMoved says some share is paid or claimed, so changing its
	// amount gives that payment back; CanDelete offers the cancel page.
	EditSplitID   int64
	CollectorName string
	MoneyMoved    bool
	CanDelete     bool
	// Paid in another currency (orig_amount, orig_currency, rate): where
	// the rate came from, or that none is known.
	RateHint string
}

// HistoryEntry is one edit of a split, as its page lists it.
type HistoryEntry struct {
	At      string
	Who     string
	Changes []string
}

// ItemRow is one line of an itemized bill in the form.
type ItemRow struct {
	Index  int
	Name   string
	Amount string
	People map[int64]bool
}

// SplitPreview shows each person's share as the form is edited.
type SplitPreview struct {
	Converted string // "¥5,000 at 0.0061 = €30.50", when paid in another currency
	Lines     []PreviewLine
	Total     string
	Problem   string
}

// PreviewLine is one person's share in the preview.
type PreviewLine struct {
	Name   string
	Amount string
}

// ItemRows is how many item lines the form offers.
const ItemRows = 6

// Modes in the order the form offers them.
var Modes = []money.Mode{money.ModeEqual, money.ModeExact, money.ModePercent, money.ModeShares, money.ModeItemized}

// Region ids of the split form.
const (
	PreviewID   = "split-preview"
	RateFieldID = "rate-field"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// RateText writes an exchange rate for the reader: "0.0061", "0,0061".
func RateText(ctx context.Context, d decimal.Decimal) string {
	if Locale(ctx) == "fr" {
		return strings.Replace(d.String(), ".", ",", 1)
	}
	return d.String()
}

// Converted says how a total came from an amount in another currency:
// "¥5,000 at 0.0061 = €30.50".
func Converted(ctx context.Context, orig money.Money, rate decimal.Decimal, total money.Money) string {
	return T(ctx, "split.converted", Money(ctx, orig), RateText(ctx, rate), Money(ctx, total))
}

// Money formats an amount for the reader's locale.
func Money(ctx context.Context, m money.Money) string { return money.Format(m, Locale(ctx)) }

// ErrorText turns a problem (a refusal from db, a message key, a package
// money error, or a sentence) into the reader's language.
func ErrorText(ctx context.Context, err error) string {
	if s, ok := Refusal(ctx, err); ok {
		return s
	}
	var mm *money.MismatchError
	if errors.As(err, &mm) {
		what := T(ctx, "mismatch.what."+mm.What)
		if mm.Currency != "" {
			want, _ := money.New(mm.Want, mm.Currency)
			got, _ := money.New(mm.Got, mm.Currency)
			diff, _ := money.New(mm.Diff.Abs(), mm.Currency)
			if mm.Diff.IsNegative() {
				return T(ctx, "mismatch.short_money", what, Money(ctx, got), Money(ctx, diff), Money(ctx, want))
			}
			return T(ctx, "mismatch.over_money", what, Money(ctx, got), Money(ctx, diff), Money(ctx, want))
		}
		if mm.Diff.IsNegative() {
			return T(ctx, "mismatch.short", what, mm.Got.String(), mm.Diff.Abs().String(), mm.Want.String())
		}
		return T(ctx, "mismatch.over", what, mm.Got.String(), mm.Diff.String(), mm.Want.String())
	}
	for sentinel, key := range moneyErrorKeys {
		if errors.Is(err, sentinel) {
			return T(ctx, key)
		}
	}
	return problemText(ctx, err.Error())
}

var moneyErrorKeys = map[error]string{
	money.ErrEmpty:               "amount.empty",
	money.ErrMalformed:           "amount.malformed",
	money.ErrNegative:            "amount.negative",
	money.ErrZero:                "amount.zero",
	money.ErrTooManyDecimals:     "amount.decimals",
	money.ErrTooLarge:            "amount.large",
	money.ErrUnknownCurrency:     "amount.currency",
	money.ErrCurrencyMismatch:    "amount.currency_mismatch",
	money.ErrNoParticipants:      "people_required",
	money.ErrTooManyParticipants: "people_too_many",
	money.ErrInvalidSplit:        "split_invalid",
}

func modeText(ctx context.Context, m money.Mode) string { return T(ctx, "mode."+string(m)) }

func checked(m map[int64]bool, id int64) bool { return m[id] }

// splitCount is "2 of 3 paid"; French agrees "payé" with the count (0 and
// 1 are singular).
func splitCount(ctx context.Context, paid, of int) string {
	if paid <= 1 {
		return T(ctx, "split.count_one", paid, of)
	}
	return T(ctx, "split.count", paid, of)
}

// progressText says what is left to collect and from how many people (the
// collector's own share is not collected, so it is not counted).
func progressText(ctx context.Context, c SplitCard) string {
	left := c.Of - c.Paid
	switch {
	case left <= 0:
		return T(ctx, "split.collected", c.Collected)
	case c.Paid == 0 && left == 1:
		return T(ctx, "split.to_collect_one", c.Remaining)
	case c.Paid == 0:
		return T(ctx, "split.to_collect", c.Remaining, left)
	case left == 1:
		return T(ctx, "split.collected_left_one", c.Collected, c.Remaining)
	}
	return T(ctx, "split.collected_left", c.Collected, c.Remaining, left)
}

// A card with more shares than bigCard shows the first showOpen that are
// not paid, and folds the others and the paid ones.
const (
	bigCard  = 8
	showOpen = 5
)

func openShares(c SplitCard) []ShareLine {
	var out []ShareLine
	for _, s := range c.Shares {
		if s.Status != "paid" {
			out = append(out, s)
		}
	}
	return out
}

func firstOpen(c SplitCard) []ShareLine {
	o := openShares(c)
	if len(o) > showOpen {
		return o[:showOpen]
	}
	return o
}

func moreOpen(c SplitCard) []ShareLine {
	o := openShares(c)
	if len(o) > showOpen {
		return o[showOpen:]
	}
	return nil
}

func paidShares(c SplitCard) []ShareLine {
	var out []ShareLine
	for _, s := range c.Shares {
		if s.Status == "paid" {
			out = append(out, s)
		}
	}
	return out
}

// remindable counts the shares a "remind everyone" would remind now.
func remindable(c SplitCard) int {
	n := 0
	for _, s := range c.Shares {
		if s.Status == "due" && !s.Reminded {
			n++
		}
	}
	return n
}

// countText is key's sentence for n, or key_one's when n is 1.
func countText(ctx context.Context, key string, n int) string {
	if n == 1 {
		return T(ctx, key+"_one")
	}
	return T(ctx, key, n)
}

// PayerText is one of several people who paid a split's bill, as a card
// shows them.
type PayerText struct {
	Name, Amount string
	IsViewer     bool
}

// PaidBy says who paid a bill several people paid: "Paid by Sam €30.00
// and Léa €17.50", "Payé par vous 30,00 € et Léa 17,50 €".
func PaidBy(ctx context.Context, ps []PayerText) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		name := p.Name
		if p.IsViewer {
			name = T(ctx, "split.paid_by_you")
		}
		parts[i] = T(ctx, "split.payer", name, p.Amount)
	}
	list := strings.Join(parts, "")
	if n := len(parts); n > 1 {
		list = strings.Join(parts[:n-1], ", ") + T(ctx, "list.and") + parts[n-1]
	}
	return T(ctx, "split.paid_by", list)
}
