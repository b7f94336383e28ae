package db

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// SplitDraft is a split form as typed: amounts and values are text, the way
// people type them ("47,50", "12.5 €", "25%"). Plan checks it and computes
// the shares with money.Allocate — the same code for the live preview and
// for saving, so what people see is what is saved.
type SplitDraft struct {
	Title       string
	Note        string
	Date        string // the day the money was spent, as a date field sends it (2006-01-02); empty: today
	Total       string // may be empty in itemized mode: the items make it
	Currency    string
	CollectorID int64
	People      []int64 // participants, in the order shares are listed
	Mode        money.Mode
	Values      map[int64]string // exact amounts, percentages or weights per person
	Items       []DraftItem
	Tax, Tip    string // an amount, or a percentage of the items ("10%")
	// Paid in another currency: the amount as paid and its currency, and
	// the rate (units of Currency per unit of OrigCurrency). When
	// OrigAmount is set, the total is OrigAmount at Rate, not Total.
	OrigAmount, OrigCurrency, Rate string
	// Paid is what each payer fronted, when several people paid the bill
	// (empty: the collector paid it all). The collector must be one of
	// them, and the amounts must add up to the total.
	Paid map[int64]string
}

// DraftItem is one line of an itemized bill.
type DraftItem struct {
	Name   string
	Amount string
	People []int64
}

// SplitPlan is a checked draft, ready to save.
type SplitPlan struct {
	Title       string
	Note        string
	SpentOn     *time.Time // nil: the day it is posted
	Total       money.Money
	CollectorID int64
	Mode        money.Mode
	Shares      []ShareAmount
	Payers      []ShareAmount   // several payers and what each fronted; empty: the collector paid it all
	Spec        json.RawMessage // the draft, to re-allocate when someone joins later
	// Paid in another currency: the amount as paid and the rate used; nil
	// when paid in the split's currency.
	Original *money.Money
	Rate     decimal.Decimal
	Request  bool // a request: one share, nobody added (see CreateRequest)
}

// ShareAmount is one person's part of a split.
type ShareAmount struct {
	UserID int64
	Amount money.Money
}

// Problem keys of a split form; the views translate them. Money problems are
// the errors of package money (a *money.MismatchError carries the figures).
var (
	errTitleRequired = Errorf(EINVALID, "title_required")
	errTitleLong     = Errorf(EINVALID, "title_long")
	errNoPeople      = Errorf(EINVALID, "people_required")
	errBadMode       = Errorf(EINVALID, "mode_unknown")
	errBadCollector  = Errorf(EINVALID, "collector_invalid")
	errBadNumber     = Errorf(EINVALID, "number_invalid")
	errNoItems       = Errorf(EINVALID, "items_required")
	errItemPeople    = Errorf(EINVALID, "item_people_required")
	errNoteLong      = Errorf(EINVALID, "note_long")
	errBadDate       = Errorf(EINVALID, "date_invalid")
	errRateRequired  = Errorf(EINVALID, "rate_required")
	errBadRate       = Errorf(EINVALID, "rate_invalid")
	errOrigSame      = Errorf(EINVALID, "orig_same_currency")
	errOrigTooSmall  = Errorf(EINVALID, "orig_too_small")
	errPayerMember   = Errorf(EINVALID, "payers_members")
	errPayerCollects = Errorf(EINVALID, "payers_collector")
)

// MaxNoteLength is the longest note of a split, in characters.
const MaxNoteLength = 500

// Plan checks the draft against the thread's members and computes the
// shares. Problems are keyed by form field: title, total, people, mode,
// collector, value_<user id>, item_<n>, tax, tip, note, date, and split for a problem of the
// whole (parts that do not add up).
func (s SplitDraft) Plan(members []Member) (SplitPlan, map[string]error) {
	p := map[string]error{}
	s.Title = strings.TrimSpace(s.Title)
	switch n := utf8.RuneCountInString(s.Title); {
	case n == 0:
		p["title"] = errTitleRequired
	case n > 80:
		p["title"] = errTitleLong
	}
	s.Note = strings.TrimSpace(s.Note)
	if utf8.RuneCountInString(s.Note) > MaxNoteLength {
		p["note"] = errNoteLong
	}
	var spentOn *time.Time
	if s.Date = strings.TrimSpace(s.Date); s.Date != "" {
		// A bill from the future or from before anyone used Divvy is a typo.
		t, err := time.Parse(time.DateOnly, s.Date)
		if err != nil || t.Year() < 2000 || t.After(time.Now().AddDate(0, 0, 2)) {
			p["date"] = errBadDate
		} else {
			spentOn = &t
		}
	}
	if _, ok := money.LookupCurrency(s.Currency); !ok {
		p["total"] = money.ErrUnknownCurrency
		return SplitPlan{}, p
	}
	isMember := map[int64]bool{}
	for _, m := range members {
		isMember[m.UserID] = true
	}
	if !isMember[s.CollectorID] {
		p["collector"] = errBadCollector
	}
	people := dedupe(s.People)
	for _, id := range people {
		if !isMember[id] {
			p["people"] = errPeopleNotMembers.New()
		}
	}
	if len(people) == 0 {
		p["people"] = errNoPeople
	}
	index := map[int64]int{}
	for i, id := range people {
		index[id] = i
	}
	spec := money.Spec{Mode: s.Mode, People: len(people)}

	var total money.Money
	var err error
	var original *money.Money
	var rate decimal.Decimal
	if strings.TrimSpace(s.OrigAmount) != "" {
		original, rate, total = s.convert(p)
		if original != nil {
			s.Total = money.FormatPlain(total, "en")
		}
	} else if s.Mode == money.ModeItemized && strings.TrimSpace(s.Total) == "" {
		// The items make the total; checked below once they are parsed.
	} else if total, err = money.Parse(s.Total, s.Currency); err != nil {
		p["total"] = err
	} else if total.Currency != s.Currency {
		p["total"] = money.ErrCurrencyMismatch
	}

	switch s.Mode {
	case money.ModeEqual:
	case money.ModeExact, money.ModePercent, money.ModeShares:
		spec.Values = make([]decimal.Decimal, len(people))
		for i, id := range people {
			v, err := parseValue(s.Values[id], s.Mode, s.Currency)
			if err != nil {
				p["value_"+itoa(id)] = err
				continue
			}
			spec.Values[i] = v
		}
	case money.ModeItemized:
		s.planItems(&spec, index, s.Currency, p)
		if strings.TrimSpace(s.Total) == "" && len(p) == 0 {
			if total, err = money.ItemizedTotal(spec, s.Currency); err != nil {
				p["split"] = err
			}
		}
	default:
		p["mode"] = errBadMode
	}
	if len(p) > 0 {
		return SplitPlan{}, p
	}
	payers := s.planPayers(total, isMember, p)
	if len(p) > 0 {
		return SplitPlan{}, p
	}
	amounts, err := money.Allocate(total, spec)
	if err != nil {
		p["split"] = err
		return SplitPlan{}, p
	}
	if original == nil {
		s.OrigAmount, s.OrigCurrency, s.Rate = "", "", ""
	}
	plan := SplitPlan{Original: original, Rate: rate, Title: s.Title, Note: s.Note, SpentOn: spentOn, Total: total, CollectorID: s.CollectorID, Mode: s.Mode, Payers: payers}
	for i, id := range people {
		plan.Shares = append(plan.Shares, ShareAmount{UserID: id, Amount: amounts[i]})
	}
	s.People = people
	plan.Spec, _ = json.Marshal(s)
	return plan, nil
}

// original is the plan's amount in another currency as columns: amount,
// currency and rate, or three NULLs.
func (p SplitPlan) original() (amount, currency, rate any) {
	if p.Original == nil {
		return nil, nil, nil
	}
	return p.Original.Amount, p.Original.Currency, p.Rate
}

// convert reads an amount paid in another currency and its rate, and
// returns it with the total in the split's currency: the amount times the
// rate, rounded to the split currency's minor unit (half away from zero),
// in decimal. Problems go to orig_amount, orig_currency and rate.
func (s SplitDraft) convert(p map[string]error) (*money.Money, decimal.Decimal, money.Money) {
	cur := strings.ToUpper(strings.TrimSpace(s.OrigCurrency))
	c, ok := money.LookupCurrency(cur)
	switch {
	case !ok:
		p["orig_currency"] = money.ErrUnknownCurrency
		return nil, decimal.Zero, money.Money{}
	case c.Code == s.Currency:
		p["orig_currency"] = errOrigSame
		return nil, decimal.Zero, money.Money{}
	}
	orig, err := money.Parse(s.OrigAmount, c.Code)
	if err == nil && orig.Currency != c.Code {
		err = money.ErrCurrencyMismatch
	}
	if err != nil {
		p["orig_amount"] = err
	}
	var rate decimal.Decimal
	if strings.TrimSpace(s.Rate) == "" {
		p["rate"] = errRateRequired
	} else if rate, err = money.ParseNumber(s.Rate); err != nil || !rate.IsPositive() {
		p["rate"] = errBadRate
	}
	if p["orig_amount"] != nil || p["rate"] != nil {
		return nil, decimal.Zero, money.Money{}
	}
	to, _ := money.LookupCurrency(s.Currency)
	total, err := money.New(orig.Amount.Mul(rate).Round(to.Minor), to.Code)
	if err != nil || !total.IsPositive() {
		p["orig_amount"] = errOrigTooSmall
		return nil, decimal.Zero, money.Money{}
	}
	return &orig, rate, total
}

// planPayers checks what several payers fronted: each a member, each
// amount a positive amount of the currency, the collector among them, the
// whole adding up to the total. Problems go under paid_<user id> and
// "payers". No amount typed: nil, the collector paid it all.
func (s SplitDraft) planPayers(total money.Money, isMember map[int64]bool, p map[string]error) []ShareAmount {
	ids := make([]int64, 0, len(s.Paid))
	for id, v := range s.Paid {
		if strings.TrimSpace(v) != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	var out []ShareAmount
	sum := decimal.Zero
	collects := false
	for _, id := range ids {
		if !isMember[id] {
			p["payers"] = errPayerMember
			continue
		}
		a, err := parseAmount(s.Paid[id], total.Currency)
		if err != nil {
			p["paid_"+itoa(id)] = err
			continue
		}
		if a.IsZero() {
			continue // "0": not a payer
		}
		collects = collects || id == s.CollectorID
		sum = sum.Add(a)
		out = append(out, ShareAmount{UserID: id, Amount: atScale(a, total.Currency)})
	}
	if len(p) > 0 {
		return nil
	}
	if !sum.Equal(total.Amount) {
		p["payers"] = &money.MismatchError{Want: total.Amount, Got: sum, Diff: sum.Sub(total.Amount), What: "paid", Currency: total.Currency}
		return nil
	}
	if !collects {
		p["payers"] = errPayerCollects
		return nil
	}
	if len(out) == 1 {
		return nil // the collector alone: as if nothing was typed
	}
	return out
}

func (s SplitDraft) planItems(spec *money.Spec, index map[int64]int, currency string, p map[string]error) {
	n := 0
	for i, it := range s.Items {
		if strings.TrimSpace(it.Name) == "" && strings.TrimSpace(it.Amount) == "" {
			continue // an empty row of the form
		}
		field := "item_" + itoa(int64(i))
		amount, err := money.Parse(it.Amount, currency)
		if err != nil {
			p[field] = err
			continue
		}
		var idx []int
		for _, id := range dedupe(it.People) {
			if j, ok := index[id]; ok {
				idx = append(idx, j)
			}
		}
		if len(idx) == 0 {
			p[field] = errItemPeople
			continue
		}
		spec.Items = append(spec.Items, money.Item{Name: strings.TrimSpace(it.Name), Amount: amount.Amount, People: idx})
		n++
	}
	if n == 0 && len(p) == 0 {
		p["items"] = errNoItems
	}
	var err error
	if spec.Tax, err = parseExtra(s.Tax, currency); err != nil {
		p["tax"] = err
	}
	if spec.Tip, err = parseExtra(s.Tip, currency); err != nil {
		p["tip"] = err
	}
}

// parseExtra reads a tax or tip: empty or zero is none, "10%" a percentage,
// else an amount.
func parseExtra(s, currency string) (money.Extra, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return money.Extra{}, nil
	}
	if strings.HasSuffix(s, "%") {
		v, err := money.ParseNumber(strings.TrimSuffix(s, "%"))
		if err != nil {
			return money.Extra{}, errBadNumber
		}
		return money.Extra{Amount: v, Percent: true}, nil
	}
	m, err := parseAmount(s, currency)
	return money.Extra{Amount: m}, err
}

// parseValue reads a per-person value: an amount (exact; zero allowed), a
// percentage ("25", "25%", "33,33") or a weight ("1", "1,5").
func parseValue(s string, mode money.Mode, currency string) (decimal.Decimal, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if mode == money.ModeShares {
			return decimal.NewFromInt(1), nil // one share each unless told
		}
		return decimal.Zero, nil
	}
	if mode == money.ModeExact {
		return parseAmount(s, currency)
	}
	v, err := money.ParseNumber(strings.TrimSuffix(s, "%"))
	switch {
	case errors.Is(err, money.ErrNegative):
		return decimal.Zero, money.ErrNegative
	case err != nil:
		return decimal.Zero, errBadNumber
	}
	return v, nil
}

// parseAmount reads an amount of the split's currency, where zero is
// allowed (someone who owes nothing, no tax).
func parseAmount(s, currency string) (decimal.Decimal, error) {
	m, err := money.Parse(s, currency)
	switch {
	case errors.Is(err, money.ErrZero):
		return decimal.Zero, nil
	case err != nil:
		return decimal.Zero, err
	case m.Currency != currency:
		return decimal.Zero, money.ErrCurrencyMismatch
	}
	return m.Amount, nil
}

func dedupe(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
