package views

// Refusals of settling up. Kept apart from refusals_text.go so they merge
// into it without touching its long lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
	add("en", map[string]string{
		"settle.self":            "You cannot settle with yourself.",
		"settle.member":          "Both people must be members of the thread.",
		"settle.too_much":        "That is more than you owe: at most {owed}.",
		"settle.nothing":         "There is nothing to settle between you.",
		"settle.id":              "This payment form has expired: open it again from the balances.",
		"settle.claim_gone":      "That payment was already confirmed or rejected.",
		"settle.claim_not_yours": "Only the person who received the money can confirm it.",
	})
	add("fr", map[string]string{
		"settle.self":            "Vous ne pouvez pas régler avec vous-même.",
		"settle.member":          "Les deux personnes doivent être membres du fil.",
		"settle.too_much":        "C’est plus que ce que vous devez : {owed} au plus.",
		"settle.nothing":         "Il n’y a rien à régler entre vous.",
		"settle.id":              "Ce formulaire de paiement a expiré : rouvrez-le depuis les soldes.",
		"settle.claim_gone":      "Ce paiement a déjà été confirmé ou refusé.",
		"settle.claim_not_yours": "Seule la personne qui a reçu l’argent peut le confirmer.",
	})
}
