package views

// Editing a split after money moved: only the difference is given back or
// asked for. Kept apart from i18n.go so it merges without touching its long
// lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"event.share_refunded_card": "%s refunded to %s · %s",
		"event.share_refunded_cash": "%s to give back to %s in cash · %s",
		"kind.part_refund":          "Part refunded",
		"event.share_left":          "%s has %s left to pay · %s",
		"share.paid_left":           "paid %s, %s left",
		"event.sent_returned_card":  "Nobody set up payments to take it: it went back to %s.",
		"event.sent_voided_card":    "The card payment did not go through: nothing was sent.",
	})
	add("fr", map[string]string{
		"event.share_refunded_card": "%s remboursés à %s · %s",
		"event.share_refunded_cash": "%s à rendre en espèces à %s · %s",
		"kind.part_refund":          "Remboursement partiel",
		"event.share_left":          "%s doit encore %s · %s",
		"share.paid_left":           "%s payés, reste %s",
		"event.sent_returned_card":  "Personne n’a configuré les paiements pour le recevoir : il est retourné à %s.",
		"event.sent_voided_card":    "Le paiement par carte n’a pas abouti : rien n’a été envoyé.",
	})
	addRefusal := func(locale string, m map[string]string) {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
	addRefusal("en", map[string]string{
		"split.edit_retry": "A payment of this split changed while you were saving (it settled or was returned). Nothing was changed: look at the split again and save.",
	})
	addRefusal("fr", map[string]string{
		"split.edit_retry": "Un paiement de ce partage a changé pendant l’enregistrement (il a été réglé ou rendu). Rien n’a été modifié : regardez le partage à nouveau et enregistrez.",
	})
}
