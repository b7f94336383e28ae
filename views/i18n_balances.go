package views

// Balances and settle-up. Kept apart from i18n.go so they merge into it
// without touching its long lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"balances.title":         "Balances",
		"balances.summary":       "Who owes whom",
		"balances.all":           "See balances and settle up",
		"balances.settled":       "All settled up.",
		"balances.you_owe":       "You owe %s %s",
		"balances.owes_you":      "%s owes you %s",
		"balances.owes":          "%s owes %s %s",
		"balances.positions":     "Where everyone stands",
		"balances.is_owed":       "is owed %s",
		"balances.owes_total":    "owes %s",
		"balances.plan":          "Fewest payments to settle up",
		"balances.plan_lead":     "Each line settles debts across every split of the thread.",
		"balances.back":          "Back to the thread",
		"balances.you_even":      "You are even.",
		"balances.pay":           "Pay %s",
		"balances.paid_other":    "I paid another way",
		"balances.confirm":       "Confirm you received %s",
		"balances.reject":        "I did not receive it",
		"balances.waiting":       "Waiting for %s to confirm",
		"balances.record":        "Record a payment",
		"balances.record_lead":   "Money that changed hands outside Divvy: the person who received it confirms.",
		"balances.record_to":     "I paid",
		"balances.record_amount": "Amount",
		"balances.record_submit": "Record",
	})
	add("fr", map[string]string{
		"balances.title":         "Soldes",
		"balances.summary":       "Qui doit combien à qui",
		"balances.all":           "Voir les soldes et régler",
		"balances.settled":       "Tout est réglé.",
		"balances.you_owe":       "Vous devez %[2]s à %[1]s",
		"balances.owes_you":      "%s vous doit %s",
		"balances.owes":          "%[1]s doit %[3]s à %[2]s",
		"balances.positions":     "Où en est chacun",
		"balances.is_owed":       "on lui doit %s",
		"balances.owes_total":    "doit %s",
		"balances.plan":          "Le moins de paiements pour tout régler",
		"balances.plan_lead":     "Chaque ligne règle les dettes de toutes les dépenses du fil.",
		"balances.back":          "Retour au fil",
		"balances.you_even":      "Vous êtes à jour.",
		"balances.pay":           "Payer %s",
		"balances.paid_other":    "J’ai payé autrement",
		"balances.confirm":       "Confirmer avoir reçu %s",
		"balances.reject":        "Je ne l’ai pas reçu",
		"balances.waiting":       "En attente de la confirmation de %s",
		"balances.record":        "Enregistrer un paiement",
		"balances.record_lead":   "De l’argent donné hors de Divvy : la personne qui l’a reçu confirme.",
		"balances.record_to":     "J’ai payé",
		"balances.record_amount": "Montant",
		"balances.record_submit": "Enregistrer",
	})
}
