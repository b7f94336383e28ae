package views

import (
	"context"
	"sort"
	"strings"

	"divvy/db/money"
)

// Balances is where a thread's members stand, as one viewer sees it: the
// compact summary at the top of the thread and the Balances page.
type Balances struct {
	ThreadID int64
	Settled  bool      // nobody owes anything
	Mine     []OweLine // plan lines where the viewer pays or is paid
	Others   []OweLine // plan lines between other members
	Standing []Standing
	Claims   []ClaimLine
	// The form "record a payment": the other members and the thread's
	// currency; typed values and problems when it was refused.
	Members  []Person
	Currency string
	Record   Form
}

// OweLine is one transfer of the settle-up plan.
type OweLine struct {
	From, To         int64
	FromName, ToName string
	Amount           money.Money
	FromMe, ToMe     bool
}

// Standing is one member's net in one currency.
type Standing struct {
	Name   string
	IsYou  bool
	Amount money.Money // positive: is owed
}

// AmountValue is the amount as a form sends it back ("12.50").
func (o OweLine) AmountValue() string {
	return o.Amount.Amount.StringFixed(int32(minorOf(o.Amount.Currency)))
}

func minorOf(code string) int {
	if c, ok := money.LookupCurrency(code); ok {
		return int(c.Minor)
	}
	return 2
}

// Text is the line as its reader says it.
func (o OweLine) Text(ctx context.Context) string {
	switch {
	case o.FromMe:
		return T(ctx, "balances.you_owe", o.ToName, Money(ctx, o.Amount))
	case o.ToMe:
		return T(ctx, "balances.owes_you", o.FromName, Money(ctx, o.Amount))
	}
	return T(ctx, "balances.owes", o.FromName, o.ToName, Money(ctx, o.Amount))
}

// Text says where a member stands.
func (s Standing) Text(ctx context.Context) string {
	if s.Amount.Amount.IsPositive() {
		return T(ctx, "balances.is_owed", Money(ctx, s.Amount))
	}
	return T(ctx, "balances.owes_total", Money(ctx, money.Money{Amount: s.Amount.Amount.Neg(), Currency: s.Amount.Currency}))
}

// Region ids of the balances, swapped live.
const (
	BalancesID     = "balances"
	BalancesPageID = "balances-page"
)

// HasPaid reports a split form where someone typed what a payer paid.
func (f Form) HasPaid() bool {
	for k, v := range f.Values {
		if strings.HasPrefix(k, "paid_") && strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ClaimLine is a payment made another way, waiting for its receiver.
type ClaimLine struct {
	ID                int64
	PayerName, ToName string
	Amount            money.Money
	ForMe             bool // the viewer received it: confirm or reject
	Mine              bool // the viewer paid it: waiting
}

// Text says the claim to its reader.
func (c ClaimLine) Text(ctx context.Context) string {
	switch {
	case c.ForMe:
		return T(ctx, "balances.claim_for_me", c.PayerName, Money(ctx, c.Amount))
	case c.Mine:
		return T(ctx, "balances.waiting", c.ToName, Money(ctx, c.Amount))
	}
	return T(ctx, "balances.claim_other", c.PayerName, c.ToName, Money(ctx, c.Amount))
}
