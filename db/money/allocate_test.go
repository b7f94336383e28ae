package money

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func decs(ss ...string) []decimal.Decimal {
	out := make([]decimal.Decimal, len(ss))
	for i, s := range ss {
		out[i] = dec(s)
	}
	return out
}

func amounts(ms []Money) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Amount.StringFixed(minorOf(m.Currency))
	}
	return out
}

// dinner: two pizzas shared by 0 and 1, a salad for 2, drinks for everyone.
var dinner = []Item{
	{Name: "Pizzas", Amount: dec("20"), People: []int{1, 0}},
	{Name: "Salad", Amount: dec("9.50"), People: []int{2}},
	{Name: "Drinks", Amount: dec("12"), People: []int{0, 1, 2, 3}},
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name        string
		total, code string
		spec        Spec
		want        []string
	}{
		{"equal with leftover cents", "47.50", "EUR", Spec{Mode: ModeEqual, People: 4}, []string{"11.88", "11.88", "11.87", "11.87"}},
		{"equal thirds", "100", "EUR", Spec{Mode: ModeEqual, People: 3}, []string{"33.34", "33.33", "33.33"}},
		{"equal one person", "47.50", "EUR", Spec{Mode: ModeEqual, People: 1}, []string{"47.50"}},
		{"equal less than a cent each", "0.02", "EUR", Spec{Mode: ModeEqual, People: 3}, []string{"0.01", "0.01", "0.00"}},
		{"equal yen", "1000", "JPY", Spec{Mode: ModeEqual, People: 3}, []string{"334", "333", "333"}},
		{"equal CFA", "5000", "XOF", Spec{Mode: ModeEqual, People: 6}, []string{"834", "834", "833", "833", "833", "833"}},
		{"equal ignores values", "10", "EUR", Spec{Mode: ModeEqual, People: 2, Values: decs("9")}, []string{"5.00", "5.00"}},
		{"exact", "47.50", "EUR", Spec{Mode: ModeExact, People: 3, Values: decs("20", "27.5", "0")}, []string{"20.00", "27.50", "0.00"}},
		{"percent", "47.50", "EUR", Spec{Mode: ModePercent, People: 3, Values: decs("50", "30", "20")}, []string{"23.75", "14.25", "9.50"}},
		{"percent with decimals", "100", "EUR", Spec{Mode: ModePercent, People: 3, Values: decs("33.33", "33.33", "33.34")}, []string{"33.33", "33.33", "33.34"}},
		{"percent thirds", "10", "EUR", Spec{Mode: ModePercent, People: 3, Values: decs("33.3333333333", "33.3333333334", "33.3333333333")}, []string{"3.33", "3.34", "3.33"}},
		{"percent yen", "1001", "JPY", Spec{Mode: ModePercent, People: 2, Values: decs("50", "50")}, []string{"501", "500"}},
		{"shares", "10", "EUR", Spec{Mode: ModeShares, People: 3, Values: decs("2", "1", "1")}, []string{"5.00", "2.50", "2.50"}},
		{"shares largest remainder", "0.10", "EUR", Spec{Mode: ModeShares, People: 3, Values: decs("1", "1", "1")}, []string{"0.04", "0.03", "0.03"}},
		// 4 cents by 1:1.5:0.5 is 1.33, 2 and 0.67 cents: the leftover cent goes to
		// the largest remainder, person 3, not to the lowest index.
		{"shares remainder not index", "0.04", "EUR", Spec{Mode: ModeShares, People: 3, Values: decs("1", "1.5", "0.5")}, []string{"0.01", "0.02", "0.01"}},
		{"shares zero weight", "10", "EUR", Spec{Mode: ModeShares, People: 3, Values: decs("0", "1", "1")}, []string{"0.00", "5.00", "5.00"}},
		{"shares fractional weights", "9", "USD", Spec{Mode: ModeShares, People: 2, Values: decs("0.5", "1")}, []string{"3.00", "6.00"}},
		{"itemized", "41.50", "EUR", Spec{Mode: ModeItemized, People: 5, Items: dinner}, []string{"13.00", "13.00", "12.50", "3.00", "0.00"}},
		{"itemized with 10% tip", "45.65", "EUR", Spec{Mode: ModeItemized, People: 4, Items: dinner, Tip: Extra{Amount: dec("10"), Percent: true}}, []string{"14.30", "14.30", "13.75", "3.30"}},
		// Tax 3.00 + tip 4.15 = 7.15 by 1300:1300:1250:300 leaves 3 cents for the largest remainders: 0, 1 and 3.
		{"itemized with tax and % tip", "48.65", "EUR", Spec{Mode: ModeItemized, People: 4, Items: dinner, Tax: Extra{Amount: dec("3")}, Tip: Extra{Amount: dec("10"), Percent: true}}, []string{"15.24", "15.24", "14.65", "3.52"}},
		{"itemized item split unevenly", "10", "EUR", Spec{Mode: ModeItemized, People: 3, Items: []Item{{Amount: dec("10"), People: []int{2, 1, 0}}}}, []string{"3.34", "3.33", "3.33"}},
	}
	for _, tt := range tests {
		total := mustNew(t, tt.total, tt.code)
		got, err := Allocate(total, tt.spec)
		if err != nil {
			t.Errorf("%s: Allocate: %v", tt.name, err)
			continue
		}
		if !slices.Equal(amounts(got), tt.want) {
			t.Errorf("%s: Allocate = %v, want %v", tt.name, amounts(got), tt.want)
		}
		for _, m := range got {
			if m.Currency != total.Currency {
				t.Errorf("%s: share %v in another currency", tt.name, m)
			}
		}
	}
}

func TestAllocateRejects(t *testing.T) {
	tests := []struct {
		name        string
		total, code string
		spec        Spec
		want        error
		say         string
	}{
		{"no people", "10", "EUR", Spec{Mode: ModeEqual, People: 0}, ErrNoParticipants, ""},
		{"too many people", "10", "EUR", Spec{Mode: ModeEqual, People: 1001}, ErrTooManyParticipants, ""},
		{"zero total", "0", "EUR", Spec{Mode: ModeEqual, People: 2}, ErrZero, ""},
		{"negative total", "-10", "EUR", Spec{Mode: ModeEqual, People: 2}, ErrNegative, ""},
		{"huge total", "1000000001", "EUR", Spec{Mode: ModeEqual, People: 2}, ErrTooLarge, ""},
		{"unknown mode", "10", "EUR", Spec{Mode: "random", People: 2}, ErrInvalidSplit, `"random"`},
		{"exact short", "47.50", "EUR", Spec{Mode: ModeExact, People: 2, Values: decs("20", "25")}, ErrDoesNotAddUp, "the amounts add up to 45.00, 2.50 short of 47.50"},
		{"exact over", "47.50", "EUR", Spec{Mode: ModeExact, People: 2, Values: decs("20", "30")}, ErrDoesNotAddUp, "2.50 more than 47.50"},
		{"exact cents", "47.50", "EUR", Spec{Mode: ModeExact, People: 2, Values: decs("20.005", "27.495")}, ErrTooManyDecimals, "person 1"},
		{"exact negative", "10", "EUR", Spec{Mode: ModeExact, People: 2, Values: decs("15", "-5")}, ErrNegative, "person 2"},
		{"exact wrong count", "10", "EUR", Spec{Mode: ModeExact, People: 3, Values: decs("5", "5")}, ErrInvalidSplit, "2 values for 3 people"},
		{"percent not 100", "10", "EUR", Spec{Mode: ModePercent, People: 2, Values: decs("50", "40")}, ErrDoesNotAddUp, "the percentages add up to 90, 10 short of 100"},
		{"percent negative", "10", "EUR", Spec{Mode: ModePercent, People: 2, Values: decs("110", "-10")}, ErrNegative, ""},
		{"percent too precise", "10", "EUR", Spec{Mode: ModePercent, People: 2, Values: decs("50.00000000001", "49.99999999999")}, ErrTooManyDecimals, ""},
		{"shares all zero", "10", "EUR", Spec{Mode: ModeShares, People: 2, Values: decs("0", "0")}, ErrInvalidSplit, ""},
		{"shares negative", "10", "EUR", Spec{Mode: ModeShares, People: 2, Values: decs("2", "-1")}, ErrNegative, ""},
		{"shares missing", "10", "EUR", Spec{Mode: ModeShares, People: 2}, ErrInvalidSplit, ""},
		{"itemized mismatch", "47.50", "EUR", Spec{Mode: ModeItemized, People: 4, Items: dinner}, ErrDoesNotAddUp, "the items, tax and tip add up to 41.50, 6.00 short of 47.50"},
		{"itemized no items", "10", "EUR", Spec{Mode: ModeItemized, People: 2}, ErrInvalidSplit, ""},
		{"itemized nobody", "10", "EUR", Spec{Mode: ModeItemized, People: 2, Items: []Item{{Name: "Wine", Amount: dec("10")}}}, ErrInvalidSplit, `"Wine" is shared by nobody`},
		{"itemized out of range", "10", "EUR", Spec{Mode: ModeItemized, People: 2, Items: []Item{{Amount: dec("10"), People: []int{2}}}}, ErrInvalidSplit, ""},
		{"itemized negative index", "10", "EUR", Spec{Mode: ModeItemized, People: 2, Items: []Item{{Amount: dec("10"), People: []int{-1}}}}, ErrInvalidSplit, ""},
		{"itemized twice", "10", "EUR", Spec{Mode: ModeItemized, People: 2, Items: []Item{{Amount: dec("10"), People: []int{1, 1}}}}, ErrInvalidSplit, "twice"},
		{"itemized free item", "10", "EUR", Spec{Mode: ModeItemized, People: 2, Items: []Item{{Amount: dec("0"), People: []int{1}}}}, ErrZero, ""},
		{"itemized cents", "10", "JPY", Spec{Mode: ModeItemized, People: 2, Items: []Item{{Amount: dec("9.5"), People: []int{1}}}}, ErrTooManyDecimals, ""},
		{"itemized negative tip", "10", "EUR", Spec{Mode: ModeItemized, People: 1, Items: []Item{{Amount: dec("10"), People: []int{0}}}, Tip: Extra{Amount: dec("-1")}}, ErrNegative, ""},
		{"itemized absurd tip", "10", "EUR", Spec{Mode: ModeItemized, People: 1, Items: []Item{{Amount: dec("10"), People: []int{0}}}, Tip: Extra{Amount: dec("5000"), Percent: true}}, ErrTooLarge, ""},
	}
	for _, tt := range tests {
		got, err := Allocate(mustNew(t, tt.total, tt.code), tt.spec)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: Allocate = %v, %v; want error %v", tt.name, got, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.say) {
			t.Errorf("%s: error %q does not say %q", tt.name, err, tt.say)
		}
	}
	if _, err := Allocate(Money{Amount: dec("10"), Currency: "XYZ"}, Spec{Mode: ModeEqual, People: 2}); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("Allocate in XYZ: %v, want ErrUnknownCurrency", err)
	}
}

func TestMismatchErrorFields(t *testing.T) {
	_, err := Allocate(mustNew(t, "47.50", "EUR"), Spec{Mode: ModeExact, People: 2, Values: decs("20", "25")})
	var mm *MismatchError
	if !errors.As(err, &mm) {
		t.Fatalf("error %v is not a *MismatchError", err)
	}
	if !mm.Want.Equal(dec("47.50")) || !mm.Got.Equal(dec("45")) || !mm.Diff.Equal(dec("-2.50")) || mm.What != "amounts" || mm.Currency != "EUR" {
		t.Errorf("MismatchError = %+v", mm)
	}
}

func TestItemizedTotal(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		code string
		want string
	}{
		{"items only", Spec{People: 4, Items: dinner}, "EUR", "41.50 EUR"},
		{"10% tip", Spec{People: 4, Items: dinner, Tip: Extra{Amount: dec("10"), Percent: true}}, "EUR", "45.65 EUR"},
		{"fixed tax and % tip", Spec{People: 4, Items: dinner, Tax: Extra{Amount: dec("3")}, Tip: Extra{Amount: dec("10"), Percent: true}}, "EUR", "48.65 EUR"},
		// 12.5% of 41.50 is 5.1875: half-up gives 5.19; 5.5% is 2.2825 -> 2.28.
		{"rounded percentages", Spec{People: 4, Items: dinner, Tax: Extra{Amount: dec("5.5"), Percent: true}, Tip: Extra{Amount: dec("12.5"), Percent: true}}, "EUR", "48.97 EUR"},
		// 15% of 1 yen is 0.15: rounds to 0.
		{"yen", Spec{People: 1, Items: []Item{{Amount: dec("1"), People: []int{0}}}, Tip: Extra{Amount: dec("15"), Percent: true}}, "JPY", "1 JPY"},
		// Half-up exactly at the half: 50% of 0.01 is 0.005 -> 0.01.
		{"half up", Spec{People: 1, Items: []Item{{Amount: dec("0.01"), People: []int{0}}}, Tip: Extra{Amount: dec("50"), Percent: true}}, "EUR", "0.02 EUR"},
	}
	for _, tt := range tests {
		got, err := ItemizedTotal(tt.spec, tt.code)
		if err != nil {
			t.Errorf("%s: ItemizedTotal: %v", tt.name, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("%s: ItemizedTotal = %s, want %s", tt.name, got, tt.want)
		}
		// What ItemizedTotal says is exactly what Allocate accepts.
		spec := tt.spec
		spec.Mode = ModeItemized
		shares, err := Allocate(got, spec)
		if err != nil {
			t.Errorf("%s: Allocate(ItemizedTotal): %v", tt.name, err)
			continue
		}
		checkShares(t, got, shares)
	}
	if _, err := ItemizedTotal(Spec{People: 1, Items: dinner[:1]}, "ABC"); !errors.Is(err, ErrUnknownCurrency) {
		t.Errorf("ItemizedTotal in ABC: %v", err)
	}
	if _, err := ItemizedTotal(Spec{Items: dinner}, "EUR"); !errors.Is(err, ErrNoParticipants) {
		t.Errorf("ItemizedTotal without people: %v", err)
	}
}

// checkShares asserts the invariants of every allocation: shares in the
// total's currency and scale, none negative, adding up exactly to the total.
func checkShares(t *testing.T, total Money, shares []Money) {
	t.Helper()
	sum := Zero(total.Currency)
	for i, s := range shares {
		if s.IsNegative() {
			t.Fatalf("share %d of %s is negative: %s", i, total, s)
		}
		if decimals(s.Amount) > int64(minorOf(total.Currency)) {
			t.Fatalf("share %d of %s has too many decimals: %s", i, total, s)
		}
		var err error
		if sum, err = sum.Add(s); err != nil {
			t.Fatalf("share %d of %s: %v", i, total, err)
		}
	}
	if !sum.Amount.Equal(total.Amount) {
		t.Fatalf("shares of %s add up to %s: %v", total, sum, amounts(shares))
	}
}

// FuzzAllocate checks the invariants of Allocate in every mode on arbitrary
// specs built from the fuzzer's bytes.
func FuzzAllocate(f *testing.F) {
	f.Add(int64(4750), uint8(4), uint8(0), uint8(0), []byte{})
	f.Add(int64(10000), uint8(3), uint8(1), uint8(4), []byte{1, 2, 3, 4, 5, 6})
	f.Add(int64(1), uint8(7), uint8(2), uint8(2), []byte{50, 30, 20})
	f.Add(int64(999), uint8(5), uint8(3), uint8(4), []byte{0, 0, 3, 1})
	f.Add(int64(0), uint8(4), uint8(4), uint8(0), []byte{200, 3, 17, 5, 80, 12, 9, 9, 10})
	codes := Currencies()
	f.Fuzz(func(t *testing.T, totalUnits int64, people, mode, cur uint8, data []byte) {
		c := codes[int(cur)%len(codes)]
		n := int(people)%12 + 1
		spec := Spec{People: n}
		next := func() int64 { // the fuzzer's bytes, then zeros
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int64(b)
		}
		units := totalUnits
		switch mode % 5 {
		case 0:
			spec.Mode = ModeEqual
		case 1: // exact: the total is what the values add up to
			spec.Mode = ModeExact
			units = 0
			for range n {
				v := next()*next() + next()
				spec.Values = append(spec.Values, decimal.New(v, -c.Minor))
				units += v
			}
		case 2: // percent: quarters of a percent, the last one makes 100
			spec.Mode = ModePercent
			left := decimal.NewFromInt(100)
			for range n - 1 {
				p := decimal.New(next(), 0).Div(decimal.NewFromInt(4))
				spec.Values = append(spec.Values, p)
				left = left.Sub(p)
			}
			spec.Values = append(spec.Values, left)
		case 3:
			spec.Mode = ModeShares
			for range n {
				spec.Values = append(spec.Values, decimal.New(next(), -int32(next()%3)))
			}
		case 4:
			spec.Mode = ModeItemized
			for k := next()%6 + 1; k > 0; k-- {
				it := Item{Amount: decimal.New(next()*next()+1, -c.Minor)}
				mask := next()
				for p := range n {
					if mask&(1<<(p%8)) != 0 {
						it.People = append(it.People, p)
					}
				}
				if len(it.People) == 0 {
					it.People = []int{int(mask) % n}
				}
				spec.Items = append(spec.Items, it)
			}
			spec.Tax = Extra{Amount: decimal.New(next(), -c.Minor)}
			spec.Tip = Extra{Amount: decimal.New(next(), -1), Percent: true}
			sum, err := ItemizedTotal(spec, c.Code)
			if err != nil {
				t.Fatalf("ItemizedTotal(%+v): %v", spec, err)
			}
			units = sum.MinorUnits()
		}
		limit := int64(MaxMajorUnits)
		for range c.Minor {
			limit *= 10
		}
		if spec.Mode != ModeExact && spec.Mode != ModeItemized {
			units = int64(uint64(units)%uint64(limit)) + 1 // fold any int64 onto 1..limit
		}
		total, err := FromMinor(units, c.Code)
		if err != nil {
			t.Fatal(err)
		}
		shares, err := Allocate(total, spec)
		if err != nil {
			switch {
			case spec.Mode == ModePercent && errors.Is(err, ErrNegative),
				spec.Mode == ModeShares && errors.Is(err, ErrInvalidSplit),
				spec.Mode == ModeExact && (errors.Is(err, ErrZero) || errors.Is(err, ErrDoesNotAddUp) || errors.Is(err, ErrTooLarge)),
				spec.Mode == ModeItemized && (errors.Is(err, ErrDoesNotAddUp) || errors.Is(err, ErrTooLarge)):
				return // inputs the fuzzer made invalid on purpose
			}
			t.Fatalf("Allocate(%s, %+v): %v", total, spec, err)
		}
		if len(shares) != n {
			t.Fatalf("Allocate gave %d shares for %d people", len(shares), n)
		}
		checkShares(t, total, shares)
		again, _ := Allocate(total, spec)
		if !slices.Equal(amounts(again), amounts(shares)) {
			t.Fatalf("Allocate not deterministic: %v then %v", amounts(shares), amounts(again))
		}
		switch spec.Mode {
		case ModeEqual:
			lo, hi := shares[0].MinorUnits(), shares[0].MinorUnits()
			for _, s := range shares {
				lo, hi = min(lo, s.MinorUnits()), max(hi, s.MinorUnits())
			}
			if hi-lo > 1 {
				t.Fatalf("equal shares differ by %d units: %v", hi-lo, amounts(shares))
			}
		case ModeExact:
			for i, s := range shares {
				if !s.Amount.Equal(spec.Values[i]) {
					t.Fatalf("exact share %d = %s, want %s", i, s, spec.Values[i])
				}
			}
		case ModePercent, ModeShares:
			// Within one unit of the exact proportion, and nothing for a zero weight.
			sum := decimal.Sum(decimal.Zero, spec.Values...)
			for i, s := range shares {
				exact := decimal.NewFromInt(units).Mul(spec.Values[i]).Div(sum)
				if d := decimal.NewFromInt(s.MinorUnits()).Sub(exact).Abs(); d.GreaterThanOrEqual(decimal.NewFromInt(1)) {
					t.Fatalf("share %d = %d units, exact %s", i, s.MinorUnits(), exact)
				}
				if spec.Values[i].IsZero() && !s.IsZero() {
					t.Fatalf("zero weight %d got %s", i, s)
				}
			}
		case ModeItemized:
			ordered := make([]bool, n)
			for _, it := range spec.Items {
				for _, p := range it.People {
					ordered[p] = true
				}
			}
			for i, s := range shares {
				if !ordered[i] && !s.IsZero() {
					t.Fatalf("person %d ordered nothing but pays %s", i, s)
				}
			}
		}
	})
}
