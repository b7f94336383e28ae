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
		"mismatch.what.paid":     "The amounts paid",
		"payers_members":         "Only members of the thread can have paid the bill.",
		"payers_collector":       "The person who collects must be one of the payers: give them an amount too.",
		"field.payers":           "Paid by several people",
		"split.payer":            "%s %s",
		"split.paid_by_you":      "you",
		"list.and":               " and ",
		"field.payers.hint":      "Leave empty when the person who collects paid it all. Otherwise type what each payer paid: the amounts must add up to the total. The person who collects gets the shares paid by card; what the others paid comes back to them through the balances.",
		"field.paid_by":          "Paid by %s",
		"split.paid_by":          "Paid by %s",
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
		"mismatch.what.paid":     "Les montants payés",
		"payers_members":         "Seuls les membres du fil peuvent avoir payé la note.",
		"payers_collector":       "La personne qui encaisse doit faire partie des payeurs : indiquez aussi son montant.",
		"field.payers":           "Payé par plusieurs personnes",
		"split.payer":            "%s %s",
		"split.paid_by_you":      "vous",
		"list.and":               " et ",
		"field.payers.hint":      "Laissez vide si la personne qui encaisse a tout payé. Sinon, indiquez ce que chacun a payé : les montants doivent faire le total. La personne qui encaisse reçoit les parts payées par carte ; ce que les autres ont avancé leur revient par les soldes.",
		"field.paid_by":          "Payé par %s",
		"split.paid_by":          "Payé par %s",
	})
}

func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"balances.settle_title": "Settle up",
		"balances.claim_for_me": "%s says they paid you %s another way",
		"balances.claim_other":  "%s says they paid %s %s another way: waiting for them to confirm",
		"balances.record_who":   "To",
		"event.settled_card":    "%s paid %s %s to settle up",
		"event.settled_cash":    "%s paid %s %s another way to settle up",
		"event.settle_claimed":  "%s says they paid %s %s another way: to confirm",
		"share.paid_cover":      "settled up",
		"cancel.back_cover":     "settled up: it stays in the balances",
	})
	add("fr", map[string]string{
		"balances.settle_title": "Régler",
		"balances.claim_for_me": "%s dit vous avoir payé %s autrement",
		"balances.claim_other":  "%s dit avoir payé %[3]s à %[2]s autrement : en attente de confirmation",
		"balances.record_who":   "À",
		"event.settled_card":    "%s a payé %[3]s à %[2]s pour régler",
		"event.settled_cash":    "%s a payé %[3]s à %[2]s autrement pour régler",
		"event.settle_claimed":  "%s dit avoir payé %[3]s à %[2]s autrement : à confirmer",
		"share.paid_cover":      "réglé",
		"cancel.back_cover":     "réglé via les soldes : cela reste dans les soldes",
	})
}
