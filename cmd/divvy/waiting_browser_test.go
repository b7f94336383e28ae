package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"divvy/db"
)

// TestBrowserFrenchSendWaits, in French: Sam types "#envoyer 20EUR
// @Olivia taxi" in their two-person thread, sets up payments the first
// time and sends with his PIN; Olivia, who has not set up payments, sees
// the payment card live with the money waiting for her; she sets up, and
// the thread says she received it.
func TestBrowserFrenchSendWaits(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	const fr = "fr-FR,fr;q=0.9"
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			olivia := &person{newBrowserLang(t, s.name, s.width, s.height, fr), "Olivia"}
			olivia.signUp(base, "olivia-w-"+s.name+"@example.com")
			olivia.run("crée le fil",
				chromedp.Click(`[data-testid=new-thread]`),
				chromedp.SendKeys(`#f-name`, "Vacances"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			var invite string
			olivia.run("copie le lien", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
				chromedp.Value(`[data-testid=invite-url]`, &invite))
			sam := &person{newBrowserLang(t, s.name, s.width, s.height, fr), "Sam"}
			sam.joinAsGuest(invite)
			sam.run("Sam écrit à Olivia",
				chromedp.WaitVisible(`[data-testid=composer]`),
				chromedp.Click(`[data-testid=members-count]`),
				chromedp.WaitVisible(`//li[@data-testid="member"][contains(., "Olivia")]//button[@data-testid="message-member"]`),
				chromedp.Click(`//li[@data-testid="member"][contains(., "Olivia")]//button[@data-testid="message-member"]`),
				chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Olivia"]`))
			direct := sam.url()
			var before string
			olivia.run("Olivia ouvre la conversation", chromedp.Navigate(direct),
				chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Sam"]`),
				chromedp.Evaluate(`window.divvyMarker = "no reload"`, &before))

			sam.run("Sam tape la commande",
				chromedp.SendKeys(`#composer-text`, "#envoyer 20EUR @Olivia taxi"),
				chromedp.Click(`[data-testid=send]`))
			sam.fillSetup(t, dbURL, "4242 4242 4242 4242", "271828")
			var amount, note string
			sam.run("le formulaire est prérempli",
				chromedp.WaitVisible(`[data-testid=send-form]`),
				chromedp.WaitVisible(`[data-testid=send-not-ready]`),
				chromedp.Value(`#f-amount`, &amount), chromedp.Value(`#f-note`, &note))
			if amount != "20,00" || note != "taxi" {
				t.Errorf("send form prefilled with %q and %q, want 20,00 and taxi", amount, note)
			}
			sam.run("Sam envoie avec son code", chromedp.SendKeys(`#f-pin`, "271828"))
			sam.shot("envoyer")
			sam.run("envoyé", chromedp.Click(`[data-testid=send-submit]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-send"][contains(., "Sam a envoyé 20,00")]`))
			olivia.runWithin("Olivia le voit en direct", 3*time.Second,
				chromedp.WaitVisible(`//li[@data-testid="msg-send"]//span[@data-testid="send-waiting"][contains(., "Il attend que Olivia configure les paiements")]`))
			var marker string
			olivia.run("sans recharger", chromedp.Evaluate(`window.divvyMarker || "reloaded"`, &marker))
			if marker != "no reload" {
				t.Errorf("Olivia's page reloaded")
			}
			olivia.shot("en-attente")
			olivia.setUpPayments(t, base, dbURL, strings.TrimPrefix(direct, base), "5555 5555 5555 4444", "583920")
			olivia.run("Olivia l’a reçu",
				chromedp.WaitVisible(`//li[@data-testid="msg-system"][contains(., "Olivia a configuré les paiements et reçu 20,00")]`))
			sam.runWithin("Sam le voit en direct", 3*time.Second,
				chromedp.WaitVisible(`//li[@data-testid="msg-system"][contains(., "Olivia a configuré les paiements et reçu 20,00")]`))
			olivia.shot("recu")
		})
	}
	auditClean(t, dbURL)
}

// Money sent to someone who has not set up payments, with a card that is
// approved and then fails to settle: once the payment is voided, the send's
// card no longer says it waits, it says nothing was sent; at phone and
// desktop sizes.
func TestBrowserVoidedSendSaysSo(t *testing.T) {
	t.Parallel()
	base, dbURL := startAppDB(t)
	for _, s := range screens {
		t.Run(s.name, func(t *testing.T) {
			olivia := &person{newBrowser(t, s.name, s.width, s.height), "Olivia"}
			olivia.signUp(base, "olivia-v-"+s.name+"@example.com")
			olivia.run("new thread",
				chromedp.Click(`[data-testid=new-thread]`),
				chromedp.SendKeys(`#f-name`, "Holidays"),
				chromedp.Click(`[data-testid=newthread-submit]`),
				chromedp.WaitVisible(`[data-testid=composer]`))
			var invite string
			olivia.run("copy the link", chromedp.Click(`[data-testid=invite-link]`), chromedp.WaitVisible(`[data-testid=invite-qr]`),
				chromedp.Value(`[data-testid=invite-url]`, &invite))
			sam := &person{newBrowser(t, s.name, s.width, s.height), "Sam"}
			sam.joinAsGuest(invite)
			sam.run("Sam messages Olivia",
				chromedp.WaitVisible(`[data-testid=composer]`),
				chromedp.Click(`[data-testid=members-count]`),
				chromedp.WaitVisible(`//li[@data-testid="member"][contains(., "Olivia")]//button[@data-testid="message-member"]`),
				chromedp.Click(`//li[@data-testid="member"][contains(., "Olivia")]//button[@data-testid="message-member"]`),
				chromedp.WaitVisible(`//h1[@data-testid="thread-name"][.="Olivia"]`))
			direct := sam.url()
			sam.run("Sam types the command",
				chromedp.SendKeys(`#composer-text`, "/send 20 @Olivia taxi"),
				chromedp.Click(`[data-testid=send]`))
			sam.fillSetup(t, dbURL, "4000 0000 0000 0259", "271828") // approved, then fails to settle
			sam.run("Sam sends with his PIN",
				chromedp.WaitVisible(`[data-testid=send-form]`),
				chromedp.SendKeys(`#f-pin`, "271828"),
				chromedp.Click(`[data-testid=send-submit]`),
				chromedp.WaitVisible(`//li[@data-testid="msg-send"]//span[@data-testid="send-waiting"]`))
			// The serve process settles (here: voids) it after about a second.
			d, err := db.Open(context.Background(), dbURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
				var n int
				if err := d.SQL().Get(&n, `SELECT count(*) FROM ledger_transfers v JOIN waiting_sends w ON w.transfer_id = v.pending_of
					WHERE v.kind = 'void' AND w.group_id = $1`, threadIDOf(t, direct)); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the payment was not voided in 30 s")
				}
			}
			for _, who := range []*person{sam, olivia} {
				who.run(who.name+" reads the send's card",
					chromedp.Navigate(direct),
					chromedp.WaitVisible(`//li[@data-testid="msg-send"]//span[@data-testid="send-voided"][contains(., "did not go through: nothing was sent")]`))
				var waiting int
				who.run("no longer waiting", chromedp.Evaluate(`document.querySelectorAll('[data-testid=send-waiting]').length`, &waiting))
				if waiting != 0 {
					t.Errorf("%s still reads that the send waits", who.name)
				}
				who.shot("voided-" + who.name)
			}
		})
	}
}

// threadIDOf is the thread id in a thread's URL.
func threadIDOf(t *testing.T, u string) int64 {
	t.Helper()
	i := strings.LastIndex(u, "/threads/")
	id, err := strconv.ParseInt(strings.SplitN(u[i+len("/threads/"):], "/", 2)[0], 10, 64)
	if i < 0 || err != nil {
		t.Fatalf("no thread id in %q", u)
	}
	return id
}
