package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
