package money

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/shopspring/decimal"
)

func balances(t testing.TB, code string, units ...int64) []Money {
	t.Helper()
	out := make([]Money, len(units))
	for i, u := range units {
		m, err := FromMinor(u, code)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = m
	}
	return out
}

// applyTransfers returns the balances after the transfers, in minor units,
// and fails on a transfer that is not positive or not in the currency.
func applyTransfers(t testing.TB, net []Money, transfers []Transfer) []int64 {
	t.Helper()
	left := make([]int64, len(net))
	for i, m := range net {
		left[i] = m.MinorUnits()
	}
	for _, tr := range transfers {
		if !tr.Amount.IsPositive() || tr.Amount.Currency != net[0].Currency || tr.From == tr.To {
			t.Fatalf("bad transfer %+v", tr)
		}
		left[tr.From] += tr.Amount.MinorUnits()
		left[tr.To] -= tr.Amount.MinorUnits()
	}
	return left
}

// bruteForceMinimum is the textbook exhaustive search, independent of the
// subset dynamic program: settle the first open balance against every later
// balance of the opposite sign, in every order, and keep the fewest moves.
func bruteForceMinimum(units []int64) int {
	debt := slices.Clone(units)
	var dfs func(start int) int
	dfs = func(start int) int {
		for start < len(debt) && debt[start] == 0 {
			start++
		}
		if start == len(debt) {
			return 0
		}
		best := len(debt)
		for j := start + 1; j < len(debt); j++ {
			if debt[j]*debt[start] < 0 {
				debt[j] += debt[start]
				best = min(best, 1+dfs(start+1))
				debt[j] -= debt[start]
			}
		}
		return best
	}
	return dfs(0)
}

// sameTransfers compares transfers by value (decimals hold pointers).
func sameTransfers(a, b []Transfer) bool {
	return slices.EqualFunc(a, b, func(x, y Transfer) bool {
		return x.From == y.From && x.To == y.To && x.Amount.Currency == y.Amount.Currency && x.Amount.Amount.Equal(y.Amount.Amount)
	})
}

func TestSettleUp(t *testing.T) {
	type pay struct {
		from, to int
		cents    int64
	}
	tests := []struct {
		name  string
		units []int64
		want  []pay
	}{
		{"nothing", nil, nil},
		{"all settled", []int64{0, 0, 0}, nil},
		{"one debt", []int64{1000, -1000}, []pay{{1, 0, 1000}}},
		{"organizer paid the pizza", []int64{3562, -1188, -1187, -1187}, []pay{{1, 0, 1188}, {2, 0, 1187}, {3, 0, 1187}}},
		{"pairs", []int64{500, -300, 300, -500}, []pay{{1, 2, 300}, {3, 0, 500}}},
		{"chain", []int64{-100, 0, 50, 50}, []pay{{0, 2, 50}, {0, 3, 50}}},
	}
	for _, tt := range tests {
		got, err := SettleUp(balances(t, "EUR", tt.units...))
		if err != nil {
			t.Errorf("%s: SettleUp: %v", tt.name, err)
			continue
		}
		var want []Transfer
		for _, mv := range tt.want {
			want = append(want, Transfer{From: mv.from, To: mv.to, Amount: balances(t, "EUR", mv.cents)[0]})
		}
		if !sameTransfers(got, want) {
			t.Errorf("%s: SettleUp = %+v, want %+v", tt.name, got, want)
		}
	}
}

// TestSettleUpBeatsGreedy uses balances where matching the largest debtor with
// the largest creditor (even after pairing equal amounts) takes 5 transfers,
// while {+3, +4, -7} and {+5, +6, -11} settle separately in 2 + 2.
func TestSettleUpBeatsGreedy(t *testing.T) {
	units := []int64{300, 400, 500, 600, -700, -1100}
	var bs []balance
	for i, u := range units {
		bs = append(bs, balance{who: i, units: u})
	}
	moves, rest := settlePairs(bs)
	if greedy := len(settleGreedy(rest, moves)); greedy != 5 {
		t.Fatalf("greedy takes %d transfers, this example expects 5", greedy)
	}
	net := balances(t, "EUR", units...)
	got, err := SettleUp(net)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Errorf("SettleUp took %d transfers, want 4: %+v", len(got), got)
	}
	for i, left := range applyTransfers(t, net, got) {
		if left != 0 {
			t.Errorf("balance %d left at %d", i, left)
		}
	}
	if want := bruteForceMinimum(units); want != 4 {
		t.Errorf("brute force says %d", want)
	}
}

func TestSettleUpPairsBeforeExactSearch(t *testing.T) {
	// 26 non-zero balances: 10 opposite pairs and the 6 of the greedy example,
	// so 20 + 6 remain for the exact search and 10 + 4 transfers suffice.
	units := []int64{300, 400, 500, 600, -700, -1100}
	for i := range 10 {
		units = append(units, int64(1000+i), -int64(1000+i))
	}
	net := balances(t, "EUR", units...)
	got, err := SettleUp(net)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 14 {
		t.Errorf("SettleUp took %d transfers, want 14", len(got))
	}
	for i, left := range applyTransfers(t, net, got) {
		if left != 0 {
			t.Errorf("balance %d left at %d", i, left)
		}
	}
}

func TestSettleUpMinimalOnRandomInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for k := range 2200 {
		n := 2 + r.IntN(7)
		if k >= 2000 { // fewer of the larger ones: the brute force grows fast
			n = 9 + r.IntN(2)
		}
		units := make([]int64, n)
		var sum int64
		for i := range n - 1 {
			// Small amounts so that zero-sum subgroups are common.
			units[i] = int64(r.IntN(13) - 6)
			sum += units[i]
		}
		units[n-1] = -sum
		net := balances(t, "JPY", units...)
		got, err := SettleUp(net)
		if err != nil {
			t.Fatalf("SettleUp(%v): %v", units, err)
		}
		for i, left := range applyTransfers(t, net, got) {
			if left != 0 {
				t.Fatalf("SettleUp(%v) = %+v leaves %d at %d", units, got, left, i)
			}
		}
		if want := bruteForceMinimum(units); len(got) != want {
			t.Fatalf("SettleUp(%v) took %d transfers, minimum %d: %+v", units, len(got), want, got)
		}
	}
}

func TestSettleUpLarge(t *testing.T) {
	// Above 20 non-zero balances the greedy fallback still settles everything
	// within n-1 transfers, deterministically.
	r := rand.New(rand.NewPCG(3, 5))
	units := make([]int64, 200)
	var sum int64
	for i := range units[1:] {
		units[i+1] = r.Int64N(100000) - 50000
		sum += units[i+1]
	}
	units[0] = -sum
	net := balances(t, "EUR", units...)
	got, err := SettleUp(net)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > len(units)-1 {
		t.Errorf("%d transfers for %d balances", len(got), len(units))
	}
	for i, left := range applyTransfers(t, net, got) {
		if left != 0 {
			t.Fatalf("balance %d left at %d", i, left)
		}
	}
	again, _ := SettleUp(net)
	if !sameTransfers(got, again) {
		t.Error("SettleUp is not deterministic")
	}
}

func TestSettleUpRejects(t *testing.T) {
	eur := balances(t, "EUR", 500, -500)
	usd := balances(t, "USD", 500)
	tests := []struct {
		name string
		net  []Money
		want error
		say  string
	}{
		{"mixed currencies", append(slices.Clone(eur), usd...), ErrCurrencyMismatch, ""},
		{"does not add up", balances(t, "EUR", 500, -250), ErrDoesNotAddUp, "the balances add up to 2.50, 2.50 more than 0.00"},
		{"unknown currency", []Money{{Amount: decimal.Zero, Currency: "XYZ"}}, ErrUnknownCurrency, ""},
		{"fractions of a cent", []Money{{Amount: dec("0.001"), Currency: "EUR"}, {Amount: dec("-0.001"), Currency: "EUR"}}, ErrTooManyDecimals, ""},
		{"absurd", []Money{{Amount: dec("1e14"), Currency: "EUR"}, {Amount: dec("-1e14"), Currency: "EUR"}}, ErrTooLarge, ""},
	}
	for _, tt := range tests {
		_, err := SettleUp(tt.net)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.want)
			continue
		}
		if tt.say != "" && err.Error() != tt.say {
			t.Errorf("%s: error %q, want %q", tt.name, err, tt.say)
		}
	}
}

// FuzzSettleUp checks that the transfers settle every balance, never exceed
// n-1, and are the brute-force minimum for up to 8 balances. The first byte
// picks the size class: mostly up to 8 balances, where the brute force can
// check optimality, and otherwise up to 40, which reaches the exact search's
// 2^20 subsets (tens of ms per run) and the greedy fallback.
func FuzzSettleUp(f *testing.F) {
	f.Add([]byte{1, 3, 4, 5, 6, 249}, false)
	f.Add([]byte{1, 1, 255, 2, 254, 3}, true)
	f.Add([]byte{0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200, 210, 220, 230, 240}, false)
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}, true)
	f.Fuzz(func(t *testing.T, data []byte, wide bool) {
		if len(data) == 0 {
			return
		}
		limit := 7
		if data[0]%4 == 0 {
			limit = 39
		}
		data = data[1:]
		if len(data) > limit {
			data = data[:limit]
		}
		units := make([]int64, len(data)+1)
		var sum int64
		for i, b := range data {
			u := int64(int8(b)) // small values make zero-sum groups likely
			if wide {
				u *= 1000003
			}
			units[i] = u
			sum += u
		}
		units[len(data)] = -sum
		net := balances(t, "EUR", units...)
		got, err := SettleUp(net)
		if err != nil {
			t.Fatalf("SettleUp(%v): %v", units, err)
		}
		for i, left := range applyTransfers(t, net, got) {
			if left != 0 {
				t.Fatalf("SettleUp(%v) leaves %d at %d", units, left, i)
			}
		}
		nonZero := 0
		for _, u := range units {
			if u != 0 {
				nonZero++
			}
		}
		if nonZero > 0 && len(got) > nonZero-1 {
			t.Fatalf("%d transfers for %d non-zero balances", len(got), nonZero)
		}
		if len(units) <= 8 {
			if want := bruteForceMinimum(units); len(got) != want {
				t.Fatalf("SettleUp(%v) took %d transfers, minimum %d", units, len(got), want)
			}
			again, _ := SettleUp(net)
			if !sameTransfers(got, again) {
				t.Fatal("SettleUp is not deterministic")
			}
		}
	})
}

// BenchmarkSettleUp20 measures the exact search at its limit: 20 non-zero
// balances, 2^20 subsets.
func BenchmarkSettleUp20(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	units := make([]int64, 20)
	var sum int64
	for i := range 19 {
		units[i] = r.Int64N(20000) - 10000
		if units[i] == 0 {
			units[i] = 1
		}
		sum += units[i]
	}
	units[19] = -sum
	benchSettleUp(b, units)
}

// With one creditor (everybody owes the collector) or one debtor the
// balances make one zero-sum group: zeroSumGroups says so without the
// search, and says what the search says.
func TestZeroSumGroupsOneSided(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	for k := range 300 {
		n := 2 + r.IntN(maxExact-1)
		bs := make([]balance, n)
		var sum int64
		for i := range n - 1 {
			bs[i] = balance{who: i, units: -1 - r.Int64N(5000)}
			sum += bs[i].units
		}
		bs[n-1] = balance{who: n - 1, units: -sum}
		if k%2 == 1 { // one debtor, the others owed
			for i := range bs {
				bs[i].units = -bs[i].units
			}
		}
		r.Shuffle(n, func(i, j int) { bs[i], bs[j] = bs[j], bs[i] })
		got, want := zeroSumGroups(bs), searchZeroSumGroups(bs)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("zeroSumGroups(%v) = %v; the search says %v", bs, got, want)
		}
	}
}

// BenchmarkSettleUpOneCollector: 19 people owe one collector, the usual
// shape of a thread's balances while a split is being paid.
func BenchmarkSettleUpOneCollector(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	units := make([]int64, 20)
	var sum int64
	for i := range 19 {
		units[i] = -1 - r.Int64N(10000)
		sum += units[i]
	}
	units[19] = -sum
	benchSettleUp(b, units)
}

// The chain over the zero-sum subsets finds as many groups as the search
// over every subset, and its groups cut the balances exactly, each adding
// up to zero: on inputs of 4 to 20 balances, from amounts small enough that
// many subsets add up to zero (where it may give up) to cents, where few do.
func TestChainZeroSumGroups(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 4))
	chained := 0
	for k := range 600 {
		n := 4 + r.IntN(maxExact-3)
		spread := []int64{4, 20, 300, 100000}[k%4]
		bs := make([]balance, n)
		var sum int64
		for i := range n - 1 {
			u := 1 + r.Int64N(spread)
			if r.IntN(2) == 0 {
				u = -u
			}
			bs[i] = balance{who: i, units: u}
			sum += u
		}
		if sum == 0 {
			continue
		}
		bs[n-1] = balance{who: n - 1, units: -sum}
		got, ok := chainZeroSumGroups(bs)
		if !ok {
			continue
		}
		chained++
		if want := searchZeroSumGroups(bs); len(got) != len(want) {
			t.Fatalf("chain cut %v into %d groups, the search into %d", bs, len(got), len(want))
		}
		seen := map[int]bool{}
		for _, g := range got {
			var s int64
			for _, b := range g {
				if seen[b.who] {
					t.Fatalf("chain cut %v: %d in two groups", bs, b.who)
				}
				seen[b.who] = true
				s += b.units
			}
			if s != 0 || len(g) == 0 {
				t.Fatalf("chain cut %v: group %v adds up to %d", bs, g, s)
			}
		}
		if len(seen) != n {
			t.Fatalf("chain cut %v: %d of %d balances in a group", bs, len(seen), n)
		}
	}
	if chained < 300 {
		t.Errorf("the chain took only %d of 600 inputs", chained)
	}
}

// BenchmarkSettleUp20TwoCollectors: 20 members, two of whom are owed (two
// splits being paid in one thread), amounts in cents.
func BenchmarkSettleUp20TwoCollectors(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	units := make([]int64, 20)
	var sum int64
	for i := range 18 {
		units[i] = -1 - r.Int64N(10000)
		sum += units[i]
	}
	units[18] = -sum / 3
	units[19] = -sum - units[18]
	benchSettleUp(b, units)
}

// benchSettleUp measures SettleUp on these balances, in euro cents.
func benchSettleUp(b *testing.B, units []int64) {
	net := balances(b, "EUR", units...)
	for b.Loop() {
		if _, err := SettleUp(net); err != nil {
			b.Fatal(err)
		}
	}
}
