package views

import (
	"context"
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
