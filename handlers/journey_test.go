package handlers_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"divvy/db/dbtest"
)

// The pizza night, end to end through the real router: Olivia posts 47,50 €
// among four (a third friend joins later from the pay link), Sam pays by
// card with his PIN, Léa pays cash and Olivia confirms, Olivia reminds Nina,
// Nina pays, the split closes, the money settles, and the ledger audit finds
// nothing wrong.
func TestPizzaNightJourney(t *testing.T) { pizzaNightJourney(t, newApp(t)) }

// The same journey on a Citus cluster (coordinator and two workers): the
// thread's data distributed by thread id, the ledger on the coordinator.
// Skipped when no cluster runs, except in CI (see dbtest.CitusURL).
func TestPizzaNightJourneyOnCitus(t *testing.T) {
	pizzaNightJourney(t, newAppStore(t, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})), dbtest.NewCitus(t)))
}

func pizzaNightJourney(t *testing.T, app *testApp) {
	p := newPizzaOn(t, app)
	ctx := t.Context()

	wantStatus(t, "post split", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "47,50 €", "equal", "Olivia", "Sam", "Léa")), http.StatusSeeOther)
	split := regexp.MustCompile(`/threads/\d+/splits/\d+`).FindString(p.org.get(p.thread).body)
	payURL := split + "/pay"

	// Nina joins later from the same invite link, and Olivia, who
	// collects, adds her: 47,50 among four.
	nina := p.app.joinAsGuest(p.org.inviteURL(p.thread), "Nina")
	var ninaID string
	p.app.store.SQL().Get(&ninaID, `SELECT id::text FROM users WHERE display_name = 'Nina'`)
	wantStatus(t, "Olivia adds Nina", p.org.post(split+"/people", url.Values{"user_id": {ninaID}}), http.StatusSeeOther)
	card := p.org.get(p.thread)
	wantBody(t, "split of four", card, "0 of 3 paid", "€47.50")
	var amounts []string
	p.app.store.SQL().Select(&amounts, `SELECT amount::numeric(10,2)::text FROM shares ORDER BY position`)
	if strings.Join(amounts, " ") != "11.88 11.88 11.87 11.87" {
		t.Fatalf("shares = %v, want 11.88 11.88 11.87 11.87", amounts)
	}

	// Sam: first payment, so setup, activation code, then the PIN.
	wantBody(t, "Sam's pay button", p.sam.get(p.thread), "Pay €11.88")
	p.setupPayments(t, p.sam, "Sam", "4242 4242 4242 4242", "271828", payURL)
	id := payForm(t, p.sam, payURL)
	wantStatus(t, "Sam pays", p.sam.post(payURL, url.Values{"payment_id": {id}, "pin": {"271828"}}), http.StatusSeeOther)
	wantBody(t, "after Sam", p.org.get(p.thread), "1 of 3 paid", "Sam paid €11.88 · Pizza night")

	// Léa paid cash: she says so, Olivia confirms.
	shareOf := func(name string) string {
		var sid string
		p.app.store.SQL().Get(&sid, `SELECT s.id FROM shares s JOIN users u ON u.id = s.user_id WHERE u.display_name = $1`, name)
		return split + "/shares/" + sid
	}
	wantStatus(t, "Léa: paid another way", p.lea.post(shareOf("Léa")+"/cash", nil), http.StatusSeeOther)
	wantStatus(t, "Olivia confirms", p.org.post(shareOf("Léa")+"/confirm", nil), http.StatusSeeOther)
	wantBody(t, "after Léa", p.org.get(p.thread), "2 of 3 paid", "Léa paid €11.87 another way")

	// Nina is late: one reminder a day.
	wantStatus(t, "remind Nina", p.org.post(shareOf("Nina")+"/remind", nil), http.StatusSeeOther)
	wantStatus(t, "remind Nina twice", p.org.post(shareOf("Nina")+"/remind", nil), http.StatusTooManyRequests)
	wantBody(t, "Nina sees the reminder", nina.get(p.thread), "Olivia reminded Nina: €11.87 for Pizza night")

	// Nina pays: all paid.
	p.setupPayments(t, nina, "Nina", "5555 5555 5555 4444", "583920", payURL)
	id = payForm(t, nina, payURL)
	wantStatus(t, "Nina pays", nina.post(payURL, url.Values{"payment_id": {id}, "pin": {"583920"}}), http.StatusSeeOther)
	done := p.org.get(p.thread)
	wantBody(t, "all paid", done, "3 of 3 paid", `data-testid="split-all-paid"`, "Pizza night: all paid")

	// Olivia's balance: 23,75 € pending until the provider settles, then available.
	wantBody(t, "pending money", p.org.get("/money"), "€23.75 pending")
	time.Sleep(1100 * time.Millisecond)
	if posted, _, err := p.app.store.SettlePending(ctx, p.app.provider, 10); err != nil || posted != 2 {
		t.Fatalf("settle: %d posted, %v; want 2", posted, err)
	}
	avail := p.org.get("/money")
	wantBody(t, "available money", avail, "€23.75")
	if strings.Contains(avail.body, "pending:") {
		t.Errorf("the Money page still speaks of pending money once it settled")
	}

	checks, err := p.app.store.Audit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) == 0 {
		t.Fatal("the audit ran no checks")
	}
	for _, c := range checks {
		if c.Violations != 0 {
			t.Errorf("audit %s: %d violations of %d", c.Name, c.Violations, c.Checked)
		}
	}
}
