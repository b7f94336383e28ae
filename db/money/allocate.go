package money

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
)

// Mode is how a split divides its total.
type Mode string

// The split modes.
const (
	ModeEqual    Mode = "equal"    // everyone pays the same
	ModeExact    Mode = "exact"    // Values are each person's amount
	ModePercent  Mode = "percent"  // Values are percentages summing to 100
	ModeShares   Mode = "shares"   // Values are weights ("2 shares for Sam")
	ModeItemized Mode = "itemized" // Items, each shared by some people, plus Tax and Tip
)

// Limits of a split. They keep the arithmetic cheap and the int64 minor units
// far from overflow, while no real bill comes close.
const (
	MaxPeople = 1000 // people in one split
	MaxItems  = 1000 // items in one itemized split
	// Percentages and weights may have at most this many decimals
	// (33.3333333333 is fine) and be at most maxValue.
	maxValueDecimals = 10
)

var maxValue = decimal.New(1, 12)

// Item is a line of an itemized bill.
type Item struct {
	Name   string
	Amount decimal.Decimal
	People []int // participant indexes sharing this item equally
}

// Extra is a tax or tip: a money amount, or a percentage of the item subtotal
// when Percent.
type Extra struct {
	Amount  decimal.Decimal
	Percent bool
}

// Spec describes how to split a total.
type Spec struct {
	Mode   Mode
	People int               // number of participants, indexes 0..People-1
	Values []decimal.Decimal // per participant: amounts (exact), percentages (percent), weights (shares); unused otherwise
	Items  []Item            // itemized
	Tax    Extra             // itemized
	Tip    Extra             // itemized
}

// Allocate splits total into one share per participant, exact in minor units:
// the shares always add up to total, none is negative, and the same input
// always gives the same shares.
//
// Every proportional mode (equal, percent, shares, and the items and the
// tax+tip of itemized) computes each person's exact share in minor units,
// rounds it down, and hands the units left over one at a time to the largest
// remainders. Equal remainders go to the lowest participant index first, so
// 47.50 EUR among 4 is 11.88, 11.88, 11.87, 11.87. People with zero weight
// get zero.
//
// Errors: ErrNoParticipants, ErrTooManyParticipants, ErrInvalidSplit (wrong
// number of Values, unknown mode, bad item), ErrNegative or ErrZero for a
// total that is not positive or a negative value, ErrTooManyDecimals, and a
// *MismatchError (errors.Is ErrDoesNotAddUp) when exact amounts, percentages
// or itemized lines do not add up to what they must.
func Allocate(total Money, spec Spec) ([]Money, error) {
	c, err := checkTotal(total)
	if err != nil {
		return nil, err
	}
	if err := checkPeople(spec.People); err != nil {
		return nil, err
	}
	units := total.MinorUnits()
	var shares []int64
	switch spec.Mode {
	case ModeEqual:
		shares = largestRemainder(units, ones(spec.People))
	case ModeExact:
		shares, err = exactShares(total, c, spec)
	case ModePercent:
		var w []*big.Int
		if w, err = weights(spec, "percentage"); err == nil {
			if sum := decimal.Sum(decimal.Zero, spec.Values...); !sum.Equal(decimal.NewFromInt(100)) {
				return nil, newMismatch("percentages", "", decimal.NewFromInt(100), sum)
			}
			shares = largestRemainder(units, w)
		}
	case ModeShares:
		var w []*big.Int
		if w, err = weights(spec, "share"); err == nil {
			if decimal.Sum(decimal.Zero, spec.Values...).IsZero() {
				return nil, fmt.Errorf("%w: give at least one person a share above zero", ErrInvalidSplit)
			}
			shares = largestRemainder(units, w)
		}
	case ModeItemized:
		shares, err = itemizedShares(units, total, c, spec)
	default:
		return nil, fmt.Errorf("%w: unknown split mode %q", ErrInvalidSplit, spec.Mode)
	}
	if err != nil {
		return nil, err
	}
	out := make([]Money, len(shares))
	for i, u := range shares {
		out[i] = Money{Amount: decimal.New(u, -c.Minor), Currency: c.Code}
	}
	return out, nil
}

// ItemizedTotal returns what an itemized spec adds up to: the items, plus tax
// and tip, each percentage taken of the item subtotal and rounded half-up to
// the minor unit. A form shows it, or checks it against the typed total,
// before calling Allocate.
func ItemizedTotal(spec Spec, currency string) (Money, error) {
	c, ok := LookupCurrency(currency)
	if !ok {
		return Money{}, fmt.Errorf("%w %q", ErrUnknownCurrency, currency)
	}
	if err := checkPeople(spec.People); err != nil {
		return Money{}, err
	}
	_, subtotal, extras, err := itemizedParts(spec, c)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: decimal.New(subtotal+extras, -c.Minor), Currency: c.Code}, nil
}

func checkTotal(total Money) (Currency, error) {
	c, ok := LookupCurrency(total.Currency)
	if !ok {
		return Currency{}, fmt.Errorf("%w %q", ErrUnknownCurrency, total.Currency)
	}
	if err := checkAmount(total.Amount, c, "the total"); err != nil {
		return Currency{}, err
	}
	if total.Amount.IsZero() {
		return Currency{}, fmt.Errorf("%w: the total is zero", ErrZero)
	}
	return c, nil
}

// checkAmount accepts d >= 0 in whole minor units of c, up to MaxMajorUnits.
func checkAmount(d decimal.Decimal, c Currency, what string) error {
	switch {
	case d.IsNegative():
		return fmt.Errorf("%w: %s is below zero", ErrNegative, what)
	case decimals(d) > int64(c.Minor):
		return fmt.Errorf("%w: %s; %s (%s) has %d", ErrTooManyDecimals, allowedDecimals(c), what, show(d), decimals(d))
	case !fitsMinor(d, c) || d.Cmp(decimal.NewFromInt(MaxMajorUnits)) > 0:
		return fmt.Errorf("%w: %s is more than %d %s", ErrTooLarge, what, MaxMajorUnits, c.Code)
	}
	return nil
}

func checkPeople(n int) error {
	switch {
	case n < 1:
		return fmt.Errorf("%w: a split needs at least one person", ErrNoParticipants)
	case n > MaxPeople:
		return fmt.Errorf("%w: %d people, %d at most", ErrTooManyParticipants, n, MaxPeople)
	}
	return nil
}

func checkValueCount(spec Spec) error {
	if len(spec.Values) != spec.People {
		return fmt.Errorf("%w: %d values for %d people", ErrInvalidSplit, len(spec.Values), spec.People)
	}
	return nil
}

func exactShares(total Money, c Currency, spec Spec) ([]int64, error) {
	if err := checkValueCount(spec); err != nil {
		return nil, err
	}
	shares := make([]int64, len(spec.Values))
	for i, v := range spec.Values {
		if err := checkAmount(v, c, fmt.Sprintf("the amount of person %d", i+1)); err != nil {
			return nil, err
		}
		shares[i] = v.Shift(c.Minor).IntPart()
	}
	if sum := decimal.Sum(decimal.Zero, spec.Values...); !sum.Equal(total.Amount) {
		return nil, newMismatch("amounts", c.Code, total.Amount, sum)
	}
	return shares, nil
}

// weights checks percentages or weights and scales them to integers, so that
// proportions are computed exactly.
func weights(spec Spec, what string) ([]*big.Int, error) {
	if err := checkValueCount(spec); err != nil {
		return nil, err
	}
	var scale int64
	for i, v := range spec.Values {
		switch n := decimals(v); {
		case v.IsNegative():
			return nil, fmt.Errorf("%w: the %s of person %d is below zero", ErrNegative, what, i+1)
		case n > maxValueDecimals:
			return nil, fmt.Errorf("%w: the %s of person %d has %d decimals, %d at most", ErrTooManyDecimals, what, i+1, n, maxValueDecimals)
		case v.Cmp(maxValue) > 0:
			return nil, fmt.Errorf("%w: the %s of person %d is more than %s", ErrTooLarge, what, i+1, maxValue)
		default:
			scale = max(scale, n)
		}
	}
	w := make([]*big.Int, len(spec.Values))
	for i, v := range spec.Values {
		w[i] = v.Shift(int32(scale)).BigInt()
	}
	return w, nil
}

func itemizedShares(units int64, total Money, c Currency, spec Spec) ([]int64, error) {
	perPerson, subtotal, extras, err := itemizedParts(spec, c)
	if err != nil {
		return nil, err
	}
	if got := subtotal + extras; got != units {
		return nil, newMismatch("items, tax and tip", c.Code, total.Amount, decimal.New(got, -c.Minor))
	}
	// Tax and tip follow what each person ordered.
	w := make([]*big.Int, len(perPerson))
	for i, u := range perPerson {
		w[i] = big.NewInt(u)
	}
	spread := largestRemainder(extras, w)
	for i := range perPerson {
		perPerson[i] += spread[i]
	}
	return perPerson, nil
}

// itemizedParts returns each person's share of the items, the item subtotal
// and the tax plus tip, all in minor units.
func itemizedParts(spec Spec, c Currency) (perPerson []int64, subtotal, extras int64, err error) {
	switch {
	case len(spec.Items) == 0:
		return nil, 0, 0, fmt.Errorf("%w: add at least one item", ErrInvalidSplit)
	case len(spec.Items) > MaxItems:
		return nil, 0, 0, fmt.Errorf("%w: %d items, %d at most", ErrInvalidSplit, len(spec.Items), MaxItems)
	}
	perPerson = make([]int64, spec.People)
	for n, it := range spec.Items {
		name := fmt.Sprintf("item %d", n+1)
		if it.Name != "" {
			name = fmt.Sprintf("%q", it.Name)
		}
		if err := checkAmount(it.Amount, c, "the price of "+name); err != nil {
			return nil, 0, 0, err
		}
		if it.Amount.IsZero() {
			return nil, 0, 0, fmt.Errorf("%w: %s has no price", ErrZero, name)
		}
		if len(it.People) == 0 {
			return nil, 0, 0, fmt.Errorf("%w: %s is shared by nobody", ErrInvalidSplit, name)
		}
		// Sorted, so that leftover units go to the lowest indexes.
		people := slices.Clone(it.People)
		slices.Sort(people)
		for k, p := range people {
			if p < 0 || p >= spec.People {
				return nil, 0, 0, fmt.Errorf("%w: %s names person %d of %d", ErrInvalidSplit, name, p+1, spec.People)
			}
			if k > 0 && people[k-1] == p {
				return nil, 0, 0, fmt.Errorf("%w: %s names person %d twice", ErrInvalidSplit, name, p+1)
			}
		}
		u := it.Amount.Shift(c.Minor).IntPart()
		subtotal += u
		for k, share := range largestRemainder(u, ones(len(people))) {
			perPerson[people[k]] += share
		}
	}
	tax, err := extraUnits(spec.Tax, subtotal, c, "tax")
	if err != nil {
		return nil, 0, 0, err
	}
	tip, err := extraUnits(spec.Tip, subtotal, c, "tip")
	if err != nil {
		return nil, 0, 0, err
	}
	return perPerson, subtotal, tax + tip, nil
}

// extraUnits returns a tax or tip in minor units.
func extraUnits(e Extra, subtotal int64, c Currency, what string) (int64, error) {
	if !e.Percent {
		if err := checkAmount(e.Amount, c, "the "+what); err != nil {
			return 0, err
		}
		return e.Amount.Shift(c.Minor).IntPart(), nil
	}
	switch n := decimals(e.Amount); {
	case e.Amount.IsNegative():
		return 0, fmt.Errorf("%w: the %s is below zero", ErrNegative, what)
	case n > maxValueDecimals:
		return 0, fmt.Errorf("%w: the %s percentage has %d decimals, %d at most", ErrTooManyDecimals, what, n, maxValueDecimals)
	case e.Amount.Cmp(decimal.NewFromInt(1000)) > 0:
		return 0, fmt.Errorf("%w: a %s of %s%% is more than 1000%%", ErrTooLarge, what, e.Amount)
	}
	// Half-up to the minor unit; Round rounds half away from zero, the same
	// thing for a positive amount.
	return decimal.NewFromInt(subtotal).Mul(e.Amount).Shift(-2).Round(0).IntPart(), nil
}

func ones(n int) []*big.Int {
	w := make([]*big.Int, n)
	for i := range w {
		w[i] = big.NewInt(1)
	}
	return w
}

// largestRemainder divides total (>= 0) in proportion to weights (>= 0, not
// all zero): everyone gets the floor of their exact share, then the units left
// over go one each to the largest remainders, equal remainders to the lowest
// index. Remainders are compared exactly, as numerators over the common
// denominator sum(weights). Fewer units are left over than there are non-zero
// remainders, so a zero weight never receives one.
func largestRemainder(total int64, weights []*big.Int) []int64 {
	shares := make([]int64, len(weights))
	sum := new(big.Int)
	for _, w := range weights {
		sum.Add(sum, w)
	}
	if sum.Sign() == 0 {
		return shares
	}
	t := big.NewInt(total)
	rems := make([]*big.Int, len(weights))
	left := total
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(t, w), sum, new(big.Int))
		shares[i] = q.Int64()
		rems[i] = r
		left -= shares[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := rems[b].Cmp(rems[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	for _, i := range order[:left] {
		shares[i]++
	}
	return shares
}
