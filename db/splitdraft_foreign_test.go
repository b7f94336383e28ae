package db_test

import (
	"testing"

	"divvy/db"
	"divvy/db/money"
)

// A total paid in another currency is the amount at the rate, in decimal,
// rounded half away from zero to the split currency's minor unit.
func TestPlanInAnotherCurrency(t *testing.T) {
	members := []db.Member{{UserID: 1}, {UserID: 2}}
	for _, c := range []struct {
		amount, from, rate, to string
		want                   string // the total; "" for a refusal
		field                  string
	}{
		{"5 000", "JPY", "0.0061", "EUR", "30.50 EUR", ""},
		{"19.99", "USD", "0.9513", "EUR", "19.02 EUR", ""}, // 19.016487
		{"1", "USD", "0.125", "EUR", "0.13 EUR", ""},       // a half cent: away from zero
		{"0,1", "USD", "0.35", "EUR", "0.04 EUR", ""},      // 0.035, which 0.1*0.35 in float64 rounds down
		{"10", "EUR", "158.31", "JPY", "1583 JPY", ""},
		{"5000", "JPY", "", "EUR", "", "rate"},
		{"5000", "JPY", "abc", "EUR", "", "rate"},
		{"5000", "JPY", "0", "EUR", "", "rate"},
		{"5000", "EUR", "1", "EUR", "", "orig_currency"},
		{"5000", "XYZ", "1", "EUR", "", "orig_currency"},
		{"-5", "JPY", "0.0061", "EUR", "", "orig_amount"},
		{"1", "JPY", "0.001", "EUR", "", "orig_amount"}, // rounds to nothing
	} {
		d := db.SplitDraft{Title: "Ramen", Currency: c.to, CollectorID: 1, People: []int64{1, 2}, Mode: money.ModeEqual,
			OrigAmount: c.amount, OrigCurrency: c.from, Rate: c.rate}
		plan, problems := d.Plan(members)
		if c.want == "" {
			if problems[c.field] == nil {
				t.Errorf("%s %s at %q: problems %v, want one on %s", c.amount, c.from, c.rate, problems, c.field)
			}
			continue
		}
		if len(problems) > 0 || plan.Original == nil {
			t.Errorf("%s %s at %s: %v", c.amount, c.from, c.rate, problems)
			continue
		}
		if got := plan.Total.String(); got != c.want {
			t.Errorf("%s %s at %s = %s, want %s", c.amount, c.from, c.rate, got, c.want)
		}
	}
}
