package db_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/db/money"
	"divvy/db/sandbox"
)

func newSandbox(t testing.TB, settleAfter time.Duration) *countingProvider {
	t.Helper()
	p, err := sandbox.New([]byte("divvy-test-sandbox-key"), settleAfter)
	if err != nil {
		t.Fatal(err)
	}
	return &countingProvider{PaymentProvider: p}
}

// countingProvider records the charges made and refunded.
type countingProvider struct {
	db.PaymentProvider
	charges atomic.Int64 // calls
	mu      sync.Mutex
	charged map[string]bool // charge id -> refunded whole
	// refunds: charge id -> idempotency key -> amount, partial refunds
	// (an edit's, keyed "part<n>:...") included; a key asked twice counts once.
	refunds map[string]map[string]money.Money
}

// refunded is what the provider gave back of a charge, partial refunds
// included.
func (c *countingProvider) refunded(charge string) decimal.Decimal {
	c.mu.Lock()
	defer c.mu.Unlock()
	sum := decimal.Zero
	for _, m := range c.refunds[charge] {
		sum = sum.Add(m.Amount)
	}
	return sum
}

func (c *countingProvider) Charge(ctx context.Context, token string, amount money.Money, key string) (db.Charge, error) {
	c.charges.Add(1)
	ch, err := c.PaymentProvider.Charge(ctx, token, amount, key)
	if err == nil {
		c.mu.Lock()
		if c.charged == nil {
			c.charged = map[string]bool{}
		}
		c.charged[ch.ID] = false
		c.mu.Unlock()
	}
	return ch, err
}

func (c *countingProvider) Refund(ctx context.Context, charge string, amount money.Money, key string) error {
	err := c.PaymentProvider.Refund(ctx, charge, amount, key)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if !strings.HasPrefix(key, "part") {
		c.charged[charge] = true
	}
	if c.refunds == nil {
		c.refunds = map[string]map[string]money.Money{}
	}
	if c.refunds[charge] == nil {
		c.refunds[charge] = map[string]money.Money{}
	}
	c.refunds[charge][key] = amount
	c.mu.Unlock()
	return nil
}

// checkKept fails the test unless the charges not refunded are exactly the
// card payments in the ledger: no one pays for nothing, and nothing is
// recorded that was not paid.
func (c *countingProvider) checkKept(t testing.TB, d *db.DB) {
	t.Helper()
	var refs []string
	if err := d.SQL().Select(&refs, `SELECT provider_ref FROM ledger_transfers WHERE kind = 'card_payment' ORDER BY provider_ref`); err != nil {
		t.Fatal(err)
	}
	var kept []string
	c.mu.Lock()
	for id, refunded := range c.charged {
		if !refunded {
			kept = append(kept, id)
		}
	}
	c.mu.Unlock()
	slices.Sort(kept)
	if !slices.Equal(kept, refs) {
		t.Errorf("%d charges kept, %d card payments recorded:\n kept %v\n recorded %v", len(kept), len(refs), kept, refs)
	}
}

func card(t testing.TB, p db.PaymentProvider, number string) string {
	t.Helper()
	c, err := p.Tokenize(context.Background(), db.CardInput{Number: number, ExpMonth: "12",
		ExpYear: itoa(int64(time.Now().Year() + 2)), CVC: "123", Name: "Sam Payer"})
	if err != nil {
		t.Fatalf("tokenize %s: %v", number, err)
	}
	return c.Token
}

func TestCapPerPayment(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	setRates(t, d)
	u := users(t, d, 2)
	tok := card(t, p, "4242424242424242")
	_, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[0], CollectorID: u[1], Amount: eur("500.01"), Token: tok})
	wantCode(t, err, db.ELIMIT)
	if !strings.Contains(english(err), "€500.00") {
		t.Errorf("message %q should name the limit", english(err))
	}
	if p.charges.Load() != 0 {
		t.Errorf("the card was charged %d times for a refused payment", p.charges.Load())
	}
	if _, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[0], CollectorID: u[1], Amount: eur("500"), Token: tok}); err != nil {
		t.Fatalf("a payment at the limit: %v", err)
	}
	// Limits set per currency: JPY has its own default, USD gets EUR's numbers.
	if err := d.CheckCaps(ctx, u[0], money.Money{Amount: decimal.NewFromInt(75_001), Currency: "JPY"}); db.ErrorCode(err) != db.ELIMIT {
		t.Errorf("75 001 JPY: %v, want the cap", err)
	}
	if err := d.CheckCaps(ctx, u[0], money.Money{Amount: decimal.NewFromInt(500), Currency: "USD"}); err != nil {
		t.Errorf("500 USD: %v", err)
	}
	if err := d.SetLimits(ctx, db.Limits{
		PerTransfer: map[string]decimal.Decimal{"usd": decimal.NewFromInt(20)},
		Rolling30:   map[string]decimal.Decimal{"USD": decimal.NewFromInt(50)},
	}); err != nil {
		t.Fatal(err)
	}
	err = d.CheckCaps(ctx, u[0], money.Money{Amount: decimal.NewFromInt(21), Currency: "USD"})
	if db.ErrorCode(err) != db.ELIMIT || !strings.Contains(english(err), "$20.00") {
		t.Errorf("21 USD under a 20 USD cap: %v", err)
	}
	if err := d.SetLimits(ctx, db.Limits{PerTransfer: map[string]decimal.Decimal{"EUR": decimal.NewFromInt(1)}}); err == nil {
		t.Error("a per-payment cap without its 30-day cap was accepted")
	}
	auditClean(t, d)
}

// Payments racing past the 30-day cap: exactly as many pass as fit.
func TestCapRollingUnderRace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	u := users(t, d, 3)
	tok := card(t, p, "4242424242424242")
	amounts := make([]money.Money, 30)
	for i := range amounts {
		amounts[i] = eur(decimal.New(int64(5_000+rand.IntN(25_000)), -2).String()) // 50 to 300 EUR
	}
	errs := make([]error, len(amounts))
	var wg sync.WaitGroup
	for i := range amounts {
		wg.Go(func() {
			_, errs[i] = d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[0], CollectorID: u[1+i%2],
				Amount: amounts[i], Token: tok})
		})
	}
	wg.Wait()
	limit := decimal.NewFromInt(1500)
	accepted := decimal.Zero
	var refused []decimal.Decimal
	for i, err := range errs {
		switch db.ErrorCode(err) {
		case "":
			accepted = accepted.Add(amounts[i].Amount)
		case db.ELIMIT:
			refused = append(refused, amounts[i].Amount)
			if !strings.Contains(english(err), "€1,500.00 over 30 days") {
				t.Errorf("message %q should name the 30-day limit", english(err))
			}
		default:
			t.Fatalf("payment %d: %v", i, err)
		}
	}
	if accepted.GreaterThan(limit) {
		t.Fatalf("accepted %s, over the cap of %s", accepted, limit)
	}
	// Nothing refused would have fitted: the cap was filled as far as it goes.
	for _, a := range refused {
		if accepted.Add(a).LessThanOrEqual(limit) {
			t.Errorf("refused %s although %s + %s fits under %s", a, accepted, a, limit)
		}
	}
	var spent decimal.Decimal
	d.SQL().Get(&spent, `SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE kind = 'card_payment'`)
	if !spent.Equal(accepted) {
		t.Errorf("ledger holds %s of card payments, callers were told %s", spent, accepted)
	}
	// Every charge that did not become a payment was refunded.
	p.checkKept(t, d)
	auditClean(t, d)
}

// Equal payments racing: exactly cap/amount of them pass.
func TestCapRollingExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	u := users(t, d, 2)
	clearing, _ := d.UserAccount(ctx, u[0], db.AccountClearing, "EUR")
	pending, _ := d.UserAccount(ctx, u[1], db.AccountPending, "EUR")
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = d.RecordTransfer(ctx, db.TransferRequest{ID: db.CardPaymentID(u[0], newID()), Kind: db.TransferCardPayment,
				From: clearing.ID, To: pending.ID, Amount: eur("100"), PayerID: u[0], ProviderRef: "ch_test"})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if db.ErrorCode(err) != db.ELIMIT {
			t.Fatal(err)
		}
	}
	if ok != 15 {
		t.Errorf("%d payments of 100 EUR passed under a 1500 EUR cap, want 15", ok)
	}
	auditClean(t, d)
}

// The refusal says when the oldest payments leave the window, and they do.
func TestCapRollingFreesUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	var now atomic.Pointer[time.Time]
	set := func(t time.Time) { now.Store(&t) }
	d.SetSettlementWindow(365 * 24 * time.Hour) // the payments here are never settled
	db.SetClock(d, func() time.Time { return *now.Load() })
	u := users(t, d, 2)
	clearing, _ := d.UserAccount(ctx, u[0], db.AccountClearing, "EUR")
	pending, _ := d.UserAccount(ctx, u[1], db.AccountPending, "EUR")
	pay := func(amount string) error {
		_, err := d.RecordTransfer(ctx, db.TransferRequest{ID: db.CardPaymentID(u[0], newID()), Kind: db.TransferCardPayment,
			From: clearing.ID, To: pending.ID, Amount: eur(amount), PayerID: u[0], ProviderRef: "ch_test"})
		return err
	}
	base := time.Date(2031, 3, 10, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, p := range []struct {
		at     time.Duration
		amount string
	}{{-40 * day, "500"}, {-29 * day, "500"}, {-28 * day, "500"}, {-day, "400"}} {
		set(base.Add(p.at))
		if err := pay(p.amount); err != nil {
			t.Fatalf("payment %s at %v: %v", p.amount, p.at, err)
		}
	}
	set(base)
	err := pay("200")
	wantCode(t, err, db.ELIMIT)
	for _, want := range []string{"€1,500.00 over 30 days", "€1,400.00 were paid", "March 11, 2031 at 12:00 PM"} {
		if !strings.Contains(english(err), want) {
			t.Errorf("message %q should say %q", english(err), want)
		}
	}
	set(base.Add(day - time.Microsecond))
	wantCode(t, pay("200"), db.ELIMIT)
	set(base.Add(day))
	if err := pay("200"); err != nil {
		t.Fatalf("once the oldest payment left the window: %v", err)
	}
	auditClean(t, d)
}

func money2(amount, currency string) money.Money {
	m, err := money.New(decimal.RequireFromString(amount), currency)
	if err != nil {
		panic(err)
	}
	return m
}

// The 30-day cap is the payer's, across currencies: after 1 216,87 EUR,
// 400 GBP (470,59 EUR at the reference rate) is refused, as the probe's
// 400 GBP + 400 USD + 400 CHF were not. A currency without a reference
// rate cannot be counted, so it is refused.
func TestCapAcrossCurrencies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	p := newSandbox(t, time.Hour)
	setRates(t, d)
	u := users(t, d, 2)
	tok := card(t, p, "4242424242424242")
	pay := func(amount, currency string) error {
		_, err := d.PayByCard(ctx, p, db.CardPayment{ID: newID(), PayerID: u[0], CollectorID: u[1], Amount: money2(amount, currency), Token: tok})
		return err
	}
	for _, a := range []string{"500", "500", "216.87"} {
		if err := pay(a, "EUR"); err != nil {
			t.Fatal(err)
		}
	}
	err := pay("400", "GBP")
	wantCode(t, err, db.ELIMIT)
	for _, want := range []string{"€1,500.00 over 30 days, all currencies counted in euros", "€1,216.87 were paid", "£400.00 (€470.59 at the reference rate)"} {
		if !strings.Contains(english(err), want) {
			t.Errorf("refusal %q lacks %q", english(err), want)
		}
	}
	wantCode(t, pay("400", "USD"), db.ELIMIT)
	wantCode(t, pay("400", "CHF"), db.ELIMIT)
	if err := pay("250", "CHF"); err != nil { // 265.96 EUR: 1 482.83 in all
		t.Fatalf("250 CHF within the cap: %v", err)
	}
	wantCode(t, pay("20", "USD"), db.ELIMIT) // 19.05 EUR more is 1 501.88
	err = pay("400", "NGN")
	wantCode(t, err, db.ELIMIT)
	if db.ReasonOf(err) != "cap.no_rate" {
		t.Errorf("a currency without a rate: %v; want cap.no_rate", err)
	}
	var total decimal.Decimal
	if err := d.SQL().Get(&total, `SELECT sum(cap_amount) FROM ledger_transfers WHERE kind = 'card_payment'`); err != nil {
		t.Fatal(err)
	}
	if total.String() != "1482.827447" {
		t.Errorf("counted %s EUR in all; want 1482.827447", total)
	}
	auditClean(t, d)
}

// Payments of one payer racing in different currencies are counted one
// after the other: the cap holds whatever the currencies.
func TestCapAcrossCurrenciesRacing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	setRates(t, d)
	for round := range 4 {
		u := users(t, d, 2)
		payer := u[0]
		pay := func(amount, currency string) error {
			clearing, _ := d.UserAccount(ctx, payer, db.AccountClearing, currency)
			pending, _ := d.UserAccount(ctx, u[1], db.AccountPending, currency)
			_, err := d.RecordTransfer(ctx, db.TransferRequest{ID: db.CardPaymentID(payer, newID()), Kind: db.TransferCardPayment,
				From: clearing.ID, To: pending.ID, Amount: money2(amount, currency), PayerID: payer, ProviderRef: "ch_test"})
			return err
		}
		for _, a := range []string{"500", "500", "480"} {
			if err := pay(a, "EUR"); err != nil {
				t.Fatal(err)
			}
		}
		// 20 EUR of room; each payment below is worth 16 to 19 EUR.
		var start, wg sync.WaitGroup
		start.Add(1)
		var passed atomic.Int64
		for _, c := range []struct{ amount, currency string }{{"16", "GBP"}, {"20", "USD"}, {"17", "CHF"}, {"3000", "JPY"}} {
			for range 3 {
				wg.Go(func() {
					start.Wait()
					err := pay(c.amount, c.currency)
					switch db.ErrorCode(err) {
					case "":
						passed.Add(1)
					case db.ELIMIT:
					default:
						t.Error(err)
					}
				})
			}
		}
		start.Done()
		wg.Wait()
		if n := passed.Load(); n != 1 {
			t.Errorf("round %d: %d racing payments passed with room for one", round, n)
		}
	}
	auditClean(t, d)
}
