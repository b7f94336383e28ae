package money

import (
	"cmp"
	"container/heap"
	"fmt"
	"math/bits"
	"slices"

	"github.com/shopspring/decimal"
)

// Transfer is one payment that settles balances: From pays To.
type Transfer struct {
	From, To int
	Amount   Money
}

// maxExact is how many non-zero balances, once opposite pairs are settled,
// SettleUp settles with the provably minimal number of transfers; the search
// takes at most n·2^n steps and 2^n bytes (about 15 ms and 1 MiB at 20).
const maxExact = 20

// maxBalanceUnits bounds each balance (10^15 minor units, ten trillion euros)
// so that sums of balances can never overflow int64.
const maxBalanceUnits = 1_000_000_000_000_000

// SettleUp returns transfers that bring every net balance to zero. net[i] > 0:
// i is owed money; net[i] < 0: i owes. The balances must share one currency
// (else ErrCurrencyMismatch) and add up to zero (else a *MismatchError).
//
// Every transfer zeroes at least one balance, so n non-zero balances never
// need more than n-1 transfers; they need exactly n-g, where g is the largest
// number of disjoint groups, each adding up to zero, that the balances can be
// cut into (each group of k settles inside itself with k-1 transfers).
// SettleUp first pairs exactly opposite balances (one transfer each, which an
// optimal solution can always do too). If at most 20 balances remain, it
// finds g for them exactly with a dynamic program over their subsets, so the
// result is the minimum number of transfers; otherwise it has the largest
// debtor pay the largest creditor until all are settled, which is usually but
// not always minimal. The output is deterministic, sorted by From then To.
func SettleUp(net []Money) ([]Transfer, error) {
	if len(net) == 0 {
		return nil, nil
	}
	c, ok := LookupCurrency(net[0].Currency)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownCurrency, net[0].Currency)
	}
	var nonZero []balance
	sum := decimal.Zero
	for i, m := range net {
		if m.Currency != c.Code {
			return nil, fmt.Errorf("%w: balance %d is in %s, not %s", ErrCurrencyMismatch, i+1, m.Currency, c.Code)
		}
		if decimals(m.Amount) > int64(c.Minor) {
			return nil, fmt.Errorf("%w: %s; balance %d (%s) has %d", ErrTooManyDecimals, allowedDecimals(c), i+1, show(m.Amount), decimals(m.Amount))
		}
		if !fitsMinor(m.Amount, c) || m.Amount.Abs().Shift(c.Minor).Cmp(decimal.NewFromInt(maxBalanceUnits)) > 0 {
			return nil, fmt.Errorf("%w: balance %d (%s)", ErrTooLarge, i+1, show(m.Amount))
		}
		sum = sum.Add(m.Amount)
		if u := m.MinorUnits(); u != 0 {
			nonZero = append(nonZero, balance{who: i, units: u})
		}
	}
	if !sum.IsZero() {
		return nil, newMismatch("balances", c.Code, decimal.Zero, sum)
	}

	moves, rest := settlePairs(nonZero)
	if len(rest) <= maxExact {
		for _, g := range zeroSumGroups(rest) {
			moves = settleGreedy(g, moves)
		}
	} else {
		moves = settleGreedy(rest, moves)
	}
	slices.SortFunc(moves, func(a, b move) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	out := make([]Transfer, len(moves))
	for i, mv := range moves {
		out[i] = Transfer{From: mv.from, To: mv.to, Amount: Money{Amount: decimal.New(mv.units, -c.Minor), Currency: c.Code}}
	}
	return out, nil
}

type balance struct {
	who   int   // index in net
	units int64 // minor units, > 0 owed, < 0 owes
}

type move struct {
	from, to int
	units    int64
}

// zeroSumGroups cuts the balances (which add up to zero, at most maxExact of
// them) into the largest possible number of groups that each add up to zero.
func zeroSumGroups(bs []balance) [][]balance {
	n := len(bs)
	if n == 0 {
		return nil
	}
	// Every zero-sum group holds at least one creditor and one debtor, so
	// there are never more groups than the smaller side has people. With
	// one creditor (a collector everybody owes) or one debtor, the answer
	// is the whole, which the search over every subset would take 2^n steps
	// to find: 80-100 ms at n = 20, on every change of a thread's balances.
	var creditors, debtors int
	for _, b := range bs {
		if b.units > 0 {
			creditors++
		} else {
			debtors++
		}
	}
	if min(creditors, debtors) <= 1 {
		return [][]balance{bs}
	}
	if groups, ok := chainZeroSumGroups(bs); ok {
		return groups
	}
	return searchZeroSumGroups(bs)
}

// maxChainSubsets bounds the zero-sum subsets chainZeroSumGroups works
// through (its chain search is quadratic in them); past it the search over
// every subset, whose cost does not depend on them, is cheaper.
const maxChainSubsets = 1500

// chainZeroSumGroups is zeroSumGroups by way of the zero-sum subsets alone,
// and says false when there are too many of them. A cut into g zero-sum
// groups is a chain of g zero-sum subsets, each inside the next, ending at
// the whole (the union of the first k groups), and every such chain gives
// such a cut (the differences between its links): the most groups is the
// longest chain. Amounts in cents seldom add up to zero by chance, so a
// thread's balances have few zero-sum subsets, found by matching the sums
// of the two halves' subsets (2 x 2^(n/2) sums), and the chain among them
// takes far fewer steps than the 2^n of the search.
func chainZeroSumGroups(bs []balance) ([][]balance, bool) {
	n := len(bs)
	half := n / 2
	low, high := subsetSums(bs[:half]), subsetSums(bs[half:])
	byLow := make(map[int64][]int, len(low))
	for m, s := range low {
		byLow[s] = append(byLow[s], m)
	}
	var zs []int // the non-empty zero-sum subsets, the whole among them
	for hm, s := range high {
		for _, lm := range byLow[-s] {
			if z := lm | hm<<half; z != 0 {
				if zs = append(zs, z); len(zs) > maxChainSubsets {
					return nil, false
				}
			}
		}
	}
	// Smaller subsets first (a subset's proper subsets come before it),
	// ties by mask: the same chain every time.
	slices.SortFunc(zs, func(a, b int) int {
		return cmp.Or(cmp.Compare(bits.OnesCount(uint(a)), bits.OnesCount(uint(b))), cmp.Compare(a, b))
	})
	length, prev := make([]int, len(zs)), make([]int, len(zs))
	for i, z := range zs {
		length[i], prev[i] = 1, -1
		for j, y := range zs[:i] {
			if y&^z == 0 && y != z && length[j]+1 > length[i] {
				length[i], prev[i] = length[j]+1, j
			}
		}
	}
	// The whole is the largest subset, so it sorts last.
	var groups [][]balance
	for i := len(zs) - 1; i >= 0; i = prev[i] {
		inner := 0
		if prev[i] >= 0 {
			inner = zs[prev[i]]
		}
		var g []balance
		for m := zs[i] &^ inner; m != 0; m &= m - 1 {
			g = append(g, bs[bits.TrailingZeros(uint(m))])
		}
		groups = append(groups, g)
	}
	return groups, true
}

// searchZeroSumGroups is zeroSumGroups by a search over every subset.
//
// best[mask] is the most zero-sum prefixes an ordering of the subset mask can
// have; cutting an ordering at its zero-sum prefixes gives that many zero-sum
// groups and vice versa, so best[full] is the number of groups we want. It is
// the best over the last element added, plus one when mask itself sums to
// zero. Walking back along the choices recovers an optimal ordering, and the
// differences between its zero-sum prefixes are the groups.
func searchZeroSumGroups(bs []balance) [][]balance {
	n := len(bs)
	// The sum of a subset is the sum of its low half plus the sum of its high
	// half: two tables of 2^(n/2) entries instead of one of 2^n keep the
	// working set to best, 1 MiB at n = 20, which stays in cache.
	half := n / 2
	low, high := subsetSums(bs[:half]), subsetSums(bs[half:])
	lowMask := 1<<half - 1
	sumOf := func(mask int) int64 { return low[mask&lowMask] + high[mask>>half] }

	size := 1 << n
	best := make([]uint8, size)
	for mask := 1; mask < size; mask++ {
		// Dropping one element loses at most the one group it belongs to, so
		// best[mask] is best[rest]+1 or best[rest] for any rest = mask minus
		// one element. When mask sums to zero it is always +1 (whatever is
		// left over in an optimal packing sums to zero too, so the packing
		// covers mask); otherwise it is +1 if some element can go, which the
		// loop stops at as soon as it sees.
		rest := best[mask&(mask-1)]
		if sumOf(mask) == 0 {
			best[mask] = rest + 1
			continue
		}
		b := rest
		for m := mask & (mask - 1); m != 0; m &= m - 1 {
			if best[mask&^(m&-m)] > rest {
				b = rest + 1
				break
			}
		}
		best[mask] = b
	}

	var groups [][]balance
	top, cur := size-1, size-1
	for cur != 0 {
		want := best[cur]
		if sumOf(cur) == 0 {
			want--
		}
		// The lowest element that keeps the optimum, for a deterministic walk.
		for m := cur; m != 0; m &= m - 1 {
			if next := cur &^ (m & -m); best[next] == want {
				cur = next
				break
			}
		}
		if sumOf(cur) == 0 {
			var g []balance
			for m := top &^ cur; m != 0; m &= m - 1 {
				g = append(g, bs[bits.TrailingZeros(uint(m))])
			}
			groups = append(groups, g)
			top = cur
		}
	}
	return groups
}

// subsetSums returns the sum of every subset of bs, indexed by bit mask.
func subsetSums(bs []balance) []int64 {
	sums := make([]int64, 1<<len(bs))
	for mask := 1; mask < len(sums); mask++ {
		sums[mask] = sums[mask&(mask-1)] + bs[bits.TrailingZeros(uint(mask))].units
	}
	return sums
}

// settlePairs settles, with one transfer each, a debtor and a creditor whose
// balances are exactly opposite, matched in index order. That never costs
// optimality: in a best cut into zero-sum groups, if +a and -a sit in
// different groups A and B, then {+a, -a} and the rest of A∪B are as many
// groups (and if they sit in one larger group, splitting it would beat the
// best). It also shrinks the exact search, and greedy matching often misses
// such pairs.
func settlePairs(bs []balance) (moves []move, rest []balance) {
	debtors := map[int64][]int{} // amount owed -> positions in bs, ascending
	for k, b := range bs {
		if b.units < 0 {
			debtors[-b.units] = append(debtors[-b.units], k)
		}
	}
	done := make([]bool, len(bs))
	for k, b := range bs {
		if b.units <= 0 || len(debtors[b.units]) == 0 {
			continue
		}
		d := debtors[b.units][0]
		debtors[b.units] = debtors[b.units][1:]
		moves = append(moves, move{from: bs[d].who, to: b.who, units: b.units})
		done[k], done[d] = true, true
	}
	for k, b := range bs {
		if !done[k] {
			rest = append(rest, b)
		}
	}
	return moves, rest
}

// settleGreedy settles balances that add up to zero by having the largest
// debtor pay the largest creditor until all are zero (ties: lowest index).
// Each transfer zeroes one of the two, and the last zeroes both, so n
// balances take at most n-1 transfers.
func settleGreedy(bs []balance, moves []move) []move {
	var owed, owing balanceHeap // both hold positive amounts
	for _, b := range bs {
		switch {
		case b.units > 0:
			owed = append(owed, b)
		case b.units < 0:
			owing = append(owing, balance{who: b.who, units: -b.units})
		}
	}
	heap.Init(&owed)
	heap.Init(&owing)
	for len(owed) > 0 && len(owing) > 0 {
		cr, db := heap.Pop(&owed).(balance), heap.Pop(&owing).(balance)
		amount := min(cr.units, db.units)
		moves = append(moves, move{from: db.who, to: cr.who, units: amount})
		if cr.units -= amount; cr.units > 0 {
			heap.Push(&owed, cr)
		}
		if db.units -= amount; db.units > 0 {
			heap.Push(&owing, db)
		}
	}
	return moves
}

// balanceHeap pops the largest amount first, the lowest index among equals.
type balanceHeap []balance

func (h balanceHeap) Len() int { return len(h) }
func (h balanceHeap) Less(i, j int) bool {
	if h[i].units != h[j].units {
		return h[i].units > h[j].units
	}
	return h[i].who < h[j].who
}
func (h balanceHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *balanceHeap) Push(x any)   { *h = append(*h, x.(balance)) }
func (h *balanceHeap) Pop() any {
	old := *h
	b := old[len(old)-1]
	*h = old[:len(old)-1]
	return b
}
