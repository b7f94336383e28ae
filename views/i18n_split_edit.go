package views

// Editing a split and its history. Kept apart from i18n.go so they merge
// into it without touching its long lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"split.edit":              "Edit",
		"split.edit_title":        "Edit the split",
		"split.edit_submit":       "Save changes",
		"split.edit_money_moved":  "Some shares are already paid or marked paid. Changing a paid share’s amount, or taking its person out, gives that payment back (a card payment is refunded) and asks for the new amount. Shares you leave as they are keep their payment.",
		"split.edit_saved":        "Changes saved.",
		"split.edit_nothing":      "Nothing changed.",
		"split.delete":            "Delete the split",
		"split.history":           "History",
		"split.history_by":        "%s · %s",
		"split.history_created":   "Posted by %s on %s",
		"split.history_title":     "Title: %s → %s",
		"split.history_total":     "Total: %s → %s",
		"split.history_share":     "%s: %s → %s",
		"split.history_added":     "%s added: %s",
		"split.history_removed":   "%s taken out (was %s)",
		"split.history_note":      "Note changed",
		"split.history_date":      "Date: %s → %s",
		"split.history_given_one": "1 payment given back",
		"split.history_given":     "%d payments given back",
		"field.note":              "Note (optional)",
		"field.date":              "Date",
		"note_long":               "500 characters at most.",
		"date_invalid":            "Pick the day the money was spent.",
		"event.split_changed":     "%s changed %s: %s → %s",
		"event.split_renamed":     "%s renamed %s to %s",
		"event.split_edited":      "%s edited %s",
	})
	add("fr", map[string]string{
		"split.edit":              "Modifier",
		"split.edit_title":        "Modifier le partage",
		"split.edit_submit":       "Enregistrer",
		"split.edit_money_moved":  "Des parts sont déjà payées ou signalées payées. Changer le montant d’une part payée, ou en retirer la personne, rend ce paiement (un paiement par carte est remboursé) et demande le nouveau montant. Les parts laissées telles quelles gardent leur paiement.",
		"split.edit_saved":        "Modifications enregistrées.",
		"split.edit_nothing":      "Rien n’a changé.",
		"split.delete":            "Supprimer le partage",
		"split.history":           "Historique",
		"split.history_by":        "%s · %s",
		"split.history_created":   "Publié par %s le %s",
		"split.history_title":     "Titre : %s → %s",
		"split.history_total":     "Total : %s → %s",
		"split.history_share":     "%s : %s → %s",
		"split.history_added":     "%s ajouté·e : %s",
		"split.history_removed":   "%s retiré·e (%s)",
		"split.history_note":      "Note modifiée",
		"split.history_date":      "Date : %s → %s",
		"split.history_given_one": "1 paiement rendu",
		"split.history_given":     "%d paiements rendus",
		"field.note":              "Note (facultatif)",
		"field.date":              "Date",
		"note_long":               "500 caractères au maximum.",
		"date_invalid":            "Choisissez le jour de la dépense.",
		"event.split_changed":     "%s a modifié %s : %s → %s",
		"event.split_renamed":     "%s a renommé %s en %s",
		"event.split_edited":      "%s a modifié %s",
	})
}
