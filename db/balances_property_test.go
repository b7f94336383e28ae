package db_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/money"
)

// Random threads (up to 20 members, three currencies) driven through random
// splits (every mode, itemized with tax and tip included, one or several
// payers), card payments, cash, refunds, settlements of plan lines (card
// and another way), edits (amounts, people and payers, before and after
// money moved on the split) and cancels. After every edit, the difference
// rule: a paid share keeps what it paid up to its new amount, exactly the
// rest goes back, a raised one asks only for what is left (which the card
// and cash steps then pay). After every step: the positions of the thread sum to zero per
// currency; executing the settle-up plan brings every position to zero; the
// plan has the fewest transfers (against brute force up to 8 people); no
// share is paid or covered twice; the audit passes.
// BALANCES_SEED=n replays a run.
func TestBalancesProperty(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("BALANCES_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("BALANCES_SEED=%d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ctx := context.Background()
	d := dbtest.New(t)
	setRates(t, d)
	p := newSandbox(t, time.Hour)
	tok := card(t, p, "4242 4242 4242 4242")
	currencies := []string{"EUR", "USD", "JPY"}
	deadline := time.Now().Add(12 * time.Second)
	steps, editsBefore, editsAfter := 0, 0, 0
	modes := map[money.Mode]int{}
	for round := 0; time.Now().Before(deadline) && round < 6; round++ {
		n := 2 + rng.IntN(19)
		if round == 0 {
			n = 20
		}
		people := users(t, d, n)
		th := thread(t, d, people...)
		members, err := d.Members(ctx, th)
		if err != nil {
			t.Fatal(err)
		}
		type splitInfo struct {
			id, collector int64
			currency      string
			draft         db.SplitDraft
		}
		var splits []splitInfo
		var cards []string
		for step := 0; step < 40 && time.Now().Before(deadline); step++ {
			steps++
			what := "split"
			switch r := rng.IntN(100); {
			case len(splits) == 0 || r < 30:
			case r < 45:
				what = "card"
			case r < 55:
				what = "cash"
			case r < 70:
				what = "settle"
			case r < 82:
				what = "edit"
			case r < 90:
				what = "refund"
			default:
				what = "cancel"
			}
			switch what {
			case "split":
				cur := currencies[rng.IntN(len(currencies))]
				draft, plan := randomSplit(t, rng, people, members, cur, 0)
				id, err := d.CreateSplit(ctx, th, people[0], plan)
				if err != nil {
					t.Fatalf("seed %d: create split %+v: %v", seed, draft, err)
				}
				modes[draft.Mode]++
				splits = append(splits, splitInfo{id, plan.CollectorID, cur, draft})
			case "edit":
				// Its amount alone (a mode whose values do not depend on
				// the total, one payer), or anew: people, mode, payers.
				i := rng.IntN(len(splits))
				if rng.IntN(2) == 0 {
					// Half the time one on which money moved, if any.
					var paid []int64
					if err := d.SQL().Select(&paid, `SELECT DISTINCT sh.split_id FROM share_payments p JOIN shares sh ON sh.id = p.share_id
						JOIN splits s ON s.id = sh.split_id WHERE s.group_id = $1 ORDER BY 1`, th); err != nil {
						t.Fatal(err)
					}
					for j, sp := range splits {
						if len(paid) > 0 && sp.id == paid[rng.IntN(len(paid))] {
							i = j
						}
					}
				}
				s := splits[i]
				draft := s.draft
				if m := draft.Mode; rng.IntN(2) == 0 && len(draft.Paid) == 0 && (m == money.ModeEqual || m == money.ModeShares || m == money.ModePercent) {
					draft.Total = randomTotal(rng, s.currency).String()
				} else {
					draft, _ = randomSplit(t, rng, people, members, s.currency, s.collector)
				}
				plan, problems := draft.Plan(members)
				if len(problems) > 0 {
					t.Fatalf("seed %d: edit draft %+v: %v", seed, draft, problems)
				}
				moved := count(t, d, `SELECT count(*) FROM share_payments p JOIN shares sh ON sh.id = p.share_id WHERE sh.split_id = $1`, s.id) > 0
				before, err := d.SplitInThread(ctx, th, s.id)
				if err != nil {
					t.Fatal(err)
				}
				backBefore := givenBackOf(t, d, s.id)
				err = d.EditSplit(ctx, p, th, s.id, s.collector, plan)
				if err == nil {
					checkDifferenceRule(t, d, th, before, plan, backBefore, fmt.Sprintf("seed %d, round %d, step %d (edit)", seed, round, step))
				}
				switch {
				case err == nil && moved:
					editsAfter++
				case err == nil:
					editsBefore++
				case db.ErrorCode(err) == db.ECONFLICT || db.ErrorCode(err) == db.EINSUFFICIENT:
					// Cancelled, or the collector no longer has the money
					// to give back.
				default:
					t.Fatalf("seed %d: edit split %d to %+v: %v", seed, s.id, draft, err)
				}
				if err == nil {
					splits[i].draft = draft
				}
			case "card", "cash":
				s := splits[rng.IntN(len(splits))]
				sp, err := d.SplitInThread(ctx, th, s.id)
				if err != nil {
					t.Fatal(err)
				}
				var due []db.Share // due, or what is left of a share paid in part
				for _, sh := range sp.Owing() {
					if sh.Status == db.ShareDue && sh.Left().IsPositive() {
						due = append(due, sh)
					}
				}
				if len(due) == 0 || sp.Status != db.SplitOpen {
					continue
				}
				sh := due[rng.IntN(len(due))]
				if what == "cash" {
					err = d.ConfirmCash(ctx, th, s.id, sh.ID, s.collector)
				} else {
					var tr db.Transfer
					tr, err = d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: sh.UserID, CollectorID: s.collector,
						Amount: sh.Left(), Token: tok, SplitID: s.id, ShareID: sh.ID, PaidBefore: sh.Paid.Amount,
						Then: db.SharePaymentHook(sp, sh, "card")})
					if err == nil {
						cards = append(cards, tr.ID)
					}
				}
				if err != nil && db.ErrorCode(err) != db.ELIMIT {
					t.Fatalf("seed %d: %s: %v", seed, what, err)
				}
			case "settle":
				b, err := d.ThreadBalances(ctx, th)
				if err != nil {
					t.Fatal(err)
				}
				var lines []db.Debt
				for _, c := range b.Currencies {
					lines = append(lines, b.Plans[c]...)
				}
				if len(lines) == 0 {
					continue
				}
				l := lines[rng.IntN(len(lines))]
				if rng.IntN(2) == 0 {
					tr, err := d.PayByCard(ctx, p, db.CardPayment{ID: db.SettleID(th, l.To), PayerID: l.From, CollectorID: l.To, Amount: l.Amount, Token: tok})
					if err == nil {
						cards = append(cards, tr.ID)
					} else if db.ErrorCode(err) != db.ELIMIT {
						t.Fatalf("seed %d: settle by card: %v", seed, err)
					}
				} else if _, err := d.RecordCash(ctx, db.CashPayment{ID: fmt.Sprintf("settle-g%d-u%d-c%d", th, l.To, steps), PayerID: l.From,
					CollectorID: l.To, ThreadID: th, Amount: l.Amount}); err != nil {
					t.Fatalf("seed %d: settle another way: %v", seed, err)
				}
			case "refund":
				if len(cards) == 0 {
					continue
				}
				i := rng.IntN(len(cards))
				if _, err := d.RefundCardPayment(ctx, p, cards[i]); err != nil && db.ErrorCode(err) != db.ECONFLICT && db.ErrorCode(err) != db.EINSUFFICIENT {
					t.Fatalf("seed %d: refund: %v", seed, err)
				}
				cards = append(cards[:i], cards[i+1:]...)
			case "cancel":
				s := splits[rng.IntN(len(splits))]
				if err := d.CancelSplit(ctx, p, th, s.id, s.collector); err != nil && db.ErrorCode(err) != db.EINSUFFICIENT {
					t.Fatalf("seed %d: cancel: %v", seed, err)
				}
			}
			checkBalances(t, d, th, fmt.Sprintf("seed %d, round %d, step %d (%s)", seed, round, step, what))
		}
	}
	auditClean(t, d)
	t.Logf("%d steps; splits by mode %v; %d edits before money moved on the split, %d after", steps, modes, editsBefore, editsAfter)
	// A run cut short by a slow machine may not get there; a normal one
	// (over 100 steps) always does.
	if steps >= 100 && (editsAfter == 0 || modes[money.ModeItemized] == 0) {
		t.Errorf("no edit after money moved or no itemized split in %d steps: the run proves too little", steps)
	}
	t.Logf("%d shares covered by settlements, %d paid by card or cash, %d position transfers",
		count(t, d, `SELECT count(*) FROM share_payments WHERE kind = 'cover'`),
		count(t, d, `SELECT count(*) FROM share_payments WHERE kind <> 'cover'`),
		count(t, d, `SELECT count(*) FROM ledger_transfers WHERE kind = 'position'`))
}

// randomTotal is a random amount of currency cur.
func randomTotal(rng *rand.Rand, cur string) decimal.Decimal {
	c, _ := money.LookupCurrency(cur)
	units := int64(100 + rng.IntN(20000))
	if c.Minor == 0 {
		return decimal.NewFromInt(units * 10)
	}
	return decimal.New(units, -c.Minor)
}

// randomSplit is a split among a random subset of people, in a random mode
// (itemized: one to three items, each for some of them, with a tax and a
// tip or not), collected by collector (0: one of them at random), with one
// to three payers.
func randomSplit(t *testing.T, rng *rand.Rand, people []int64, members []db.Member, cur string, collector int64) (db.SplitDraft, db.SplitPlan) {
	t.Helper()
	total := randomTotal(rng, cur)
	perm := rng.Perm(len(people))
	k := 1 + rng.IntN(len(people))
	var who []int64
	for _, i := range perm[:k] {
		who = append(who, people[i])
	}
	if collector == 0 {
		collector = people[rng.IntN(len(people))]
	}
	draft := db.SplitDraft{Title: "Bill", Total: total.String(), Currency: cur, CollectorID: collector, People: who,
		Values: map[int64]string{}, Paid: map[int64]string{}}
	totalMoney := money.Money{Amount: total, Currency: cur}
	switch rng.IntN(5) {
	case 0:
		draft.Mode = money.ModeEqual
	case 1:
		draft.Mode = money.ModeShares
		for _, id := range who {
			draft.Values[id] = strconv.Itoa(1 + rng.IntN(3))
		}
	case 2:
		draft.Mode = money.ModeExact
		w := make([]decimal.Decimal, len(who))
		for i := range w {
			w[i] = decimal.NewFromInt(int64(rng.IntN(4)))
		}
		w[0] = w[0].Add(decimal.NewFromInt(1))
		parts, err := money.Allocate(totalMoney, money.Spec{Mode: money.ModeShares, People: len(who), Values: w})
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range who {
			draft.Values[id] = parts[i].Amount.String()
		}
	case 3:
		// The items, tax and tip make the total.
		draft.Mode = money.ModeItemized
		sum := decimal.Zero
		for range 1 + rng.IntN(3) {
			a := randomTotal(rng, cur)
			var on []int64
			for _, id := range who {
				if rng.IntN(2) == 0 {
					on = append(on, id)
				}
			}
			if len(on) == 0 {
				on = who[:1]
			}
			draft.Items = append(draft.Items, db.DraftItem{Name: "Item", Amount: a.String(), People: on})
			sum = sum.Add(a)
		}
		if rng.IntN(2) == 0 {
			tax := randomTotal(rng, cur).Div(decimal.NewFromInt(10)).Round(0)
			if tax.IsPositive() {
				draft.Tax = tax.String()
				sum = sum.Add(tax)
			}
		}
		if rng.IntN(2) == 0 {
			tip := decimal.NewFromInt(int64(1 + rng.IntN(9)))
			draft.Tip = tip.String()
			sum = sum.Add(tip)
		}
		total = sum
		totalMoney = money.Money{Amount: total, Currency: cur}
		draft.Total = total.String()
	default:
		draft.Mode = money.ModePercent
		left := 100
		for i, id := range who {
			v := left
			if i < len(who)-1 {
				v = rng.IntN(left + 1)
			}
			draft.Values[id] = strconv.Itoa(v)
			left -= v
		}
	}
	if rng.IntN(3) == 0 && len(people) > 1 {
		other := people[rng.IntN(len(people))]
		if other != collector {
			parts, err := money.Allocate(totalMoney, money.Spec{Mode: money.ModeShares, People: 2,
				Values: []decimal.Decimal{decimal.NewFromInt(int64(1 + rng.IntN(3))), decimal.NewFromInt(int64(1 + rng.IntN(3)))}})
			if err != nil {
				t.Fatal(err)
			}
			draft.Paid[collector], draft.Paid[other] = parts[0].Amount.String(), parts[1].Amount.String()
		}
	}
	plan, problems := draft.Plan(members)
	if len(problems) > 0 {
		t.Fatalf("random split %+v: %v", draft, problems)
	}
	return draft, plan
}

// checkBalances checks the thread's positions and plan, and the ledger.
func checkBalances(t *testing.T, d *db.DB, th int64, where string) {
	t.Helper()
	ctx := context.Background()
	b, err := d.ThreadBalances(ctx, th)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, c := range b.Currencies {
		sum := decimal.Zero
		pos := map[int64]decimal.Decimal{}
		var nonZero []decimal.Decimal
		for _, p := range b.Positions[c] {
			sum = sum.Add(p.Amount.Amount)
			pos[p.UserID] = p.Amount.Amount
			nonZero = append(nonZero, p.Amount.Amount)
		}
		if !sum.IsZero() {
			t.Fatalf("%s: %s positions sum to %s", where, c, sum)
		}
		for _, l := range b.Plans[c] {
			if !l.Amount.Amount.IsPositive() {
				t.Fatalf("%s: plan line %+v", where, l)
			}
			pos[l.From] = pos[l.From].Add(l.Amount.Amount)
			pos[l.To] = pos[l.To].Sub(l.Amount.Amount)
		}
		for u, v := range pos {
			if !v.IsZero() {
				t.Fatalf("%s: after the %s plan, user %d stands at %s", where, c, u, v)
			}
		}
		if len(nonZero) <= 8 {
			if want := minTransfers(nonZero); len(b.Plans[c]) != want {
				t.Fatalf("%s: %s plan of %d transfers for %v, brute force finds %d", where, c, len(b.Plans[c]), nonZero, want)
			}
		}
	}
	// Paid at most once part by part; a cover alone; and what the payments
	// of a share stand for never above it.
	if n := count(t, d, `SELECT count(*) FROM (SELECT share_id FROM share_payments WHERE undone_by IS NULL
		GROUP BY share_id HAVING count(DISTINCT part) <> count(*) OR (bool_or(kind = 'cover') AND count(*) > 1)) x`); n != 0 {
		t.Fatalf("%s: %d shares paid or covered twice", where, n)
	}
	if n := count(t, d, `SELECT count(*) FROM (SELECT sh.id FROM shares sh JOIN share_payments p ON p.share_id = sh.id
		WHERE p.undone_by IS NULL AND p.kind <> 'cover' GROUP BY sh.id, sh.amount HAVING sum(p.amount - p.refunded) > sh.amount) x`); n != 0 {
		t.Fatalf("%s: %d shares paid beyond their amount", where, n)
	}
	checks, err := d.Audit(ctx)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Fatalf("%s: audit %s: %d violations", where, c.Name, c.Violations)
		}
	}
}

// givenBackOf is, per person, what refunds, reversals and partial refunds
// gave back so far of the payments of their share of split.
func givenBackOf(t *testing.T, d *db.DB, split int64) map[int64]decimal.Decimal {
	t.Helper()
	var rows []struct {
		UserID int64           `db:"user_id"`
		Back   decimal.Decimal `db:"back"`
	}
	if err := d.SQL().Select(&rows, `SELECT sh.user_id, sum(r.amount) AS back FROM ledger_transfers r
		JOIN share_payments p ON p.transfer_id = coalesce(r.part_of, r.reverses) AND p.kind <> 'cover'
		JOIN shares sh ON sh.id = p.share_id
		WHERE sh.split_id = $1 AND r.kind IN ('refund', 'reversal', 'part_refund') GROUP BY sh.user_id`, split); err != nil {
		t.Fatal(err)
	}
	out := map[int64]decimal.Decimal{}
	for _, r := range rows {
		out[r.UserID] = r.Back
	}
	return out
}

// checkDifferenceRule checks an edit of a split on which money moved
// against the rule: every share keeps what its payments paid up to its new
// amount; exactly what they paid beyond it went back to its payer (all of
// it for a person taken out), and nothing more; a share covered by a
// settlement stays covered.
func checkDifferenceRule(t *testing.T, d *db.DB, th int64, before db.Split, plan db.SplitPlan, backBefore map[int64]decimal.Decimal, where string) {
	t.Helper()
	after, err := d.SplitInThread(context.Background(), th, before.ID)
	if err != nil {
		t.Fatal(err)
	}
	backAfter := givenBackOf(t, d, before.ID)
	wanted := map[int64]decimal.Decimal{}
	for _, sh := range plan.Shares {
		wanted[sh.UserID] = sh.Amount.Amount
	}
	for _, old := range before.Shares {
		if old.Status == db.ShareSelf {
			continue
		}
		now, in := after.ShareOf(old.UserID)
		if old.Method == "cover" && old.Status == db.SharePaid {
			if in && (now.Status != db.SharePaid || now.Method != "cover") {
				t.Fatalf("%s: user %d's covered share is %s/%s after the edit", where, old.UserID, now.Status, now.Method)
			}
			continue
		}
		keep := decimal.Min(old.Paid.Amount, wanted[old.UserID]) // 0 when taken out
		paidNow := decimal.Zero
		if in {
			paidNow = now.Paid.Amount
		}
		back := backAfter[old.UserID].Sub(backBefore[old.UserID])
		if !paidNow.Equal(keep) || !back.Equal(old.Paid.Amount.Sub(keep)) {
			t.Fatalf("%s: user %d had paid %s of %s, now %s wanted: paid %s and %s given back; want %s paid and %s given back",
				where, old.UserID, old.Paid.Amount, old.Amount, wanted[old.UserID], paidNow, back, keep, old.Paid.Amount.Sub(keep))
		}
		if in && now.Status == db.SharePaid && !paidNow.Equal(now.Amount.Amount) {
			t.Fatalf("%s: user %d's share of %s is paid with %s", where, old.UserID, now.Amount, paidNow)
		}
	}
}

// minTransfers is the fewest transfers that settle balances summing to
// zero, by brute force: n minus the most disjoint zero-sum groups they can
// be cut into, tried over every way of cutting (n <= 8).
func minTransfers(bal []decimal.Decimal) int {
	n := len(bal)
	full := uint(1)<<n - 1
	zero := make([]bool, full+1)
	for m := uint(1); m <= full; m++ {
		s := decimal.Zero
		for i := 0; i < n; i++ {
			if m&(1<<i) != 0 {
				s = s.Add(bal[i])
			}
		}
		zero[m] = s.IsZero()
	}
	var most func(rest uint) int
	memo := map[uint]int{}
	most = func(rest uint) int {
		if rest == 0 {
			return 0
		}
		if v, ok := memo[rest]; ok {
			return v
		}
		low := rest & -rest
		best := -1 << 30
		// The group holding the lowest member left: any zero-sum subset of
		// rest that has it.
		for sub := rest; sub > 0; sub = (sub - 1) & rest {
			if sub&low != 0 && zero[sub] && zero[rest] {
				if g := 1 + most(rest&^sub); g > best {
					best = g
				}
			}
		}
		memo[rest] = best
		return best
	}
	return n - most(full)
}
