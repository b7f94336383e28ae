package views

// Turning payments off. Kept apart from i18n.go so it merges without
// touching its long lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"remove.title":       "Turn payments off",
		"remove.lead":        "Your card, PIN and passkeys are removed from Divvy. Your pay link and request links will say you are not accepting payments, and nobody can pay you or send you money until you set payments up again.",
		"remove.again":       "You can set payments up again at any time: a card, a new PIN and a code by email, as the first time. Your handle stays yours.",
		"remove.blocked":     "Payments cannot be turned off yet:",
		"remove.pin_hint":    "Your 6-digit payment PIN, to confirm it is you.",
		"remove.submit":      "Turn payments off",
		"remove.back":        "Back to Money",
		"payments.removed":   "Payments are off. Your links say you are not accepting payments.",
		"money.payments_off": "Payments are off: your pay link and request links say you are not accepting payments, and nobody can pay you.",
		"money.setup_again":  "Set up payments again",
		"links.kept_off":     "Your handle stays yours while payments are off: this link says you are not accepting payments until you set them up again.",
	})
	add("fr", map[string]string{
		"remove.title":       "Désactiver les paiements",
		"remove.lead":        "Votre carte, votre code PIN et vos clés d’accès sont retirés de Divvy. Votre lien de paiement et vos liens de demande indiqueront que vous n’acceptez pas de paiements, et personne ne pourra vous payer ni vous envoyer d’argent avant que vous réactiviez les paiements.",
		"remove.again":       "Vous pouvez réactiver les paiements à tout moment : une carte, un nouveau code PIN et un code par e-mail, comme la première fois. Votre identifiant reste le vôtre.",
		"remove.blocked":     "Les paiements ne peuvent pas encore être désactivés :",
		"remove.pin_hint":    "Votre code PIN de paiement à 6 chiffres, pour confirmer que c’est bien vous.",
		"remove.submit":      "Désactiver les paiements",
		"remove.back":        "Retour à Argent",
		"payments.removed":   "Les paiements sont désactivés. Vos liens indiquent que vous n’acceptez pas de paiements.",
		"money.payments_off": "Les paiements sont désactivés : votre lien de paiement et vos liens de demande indiquent que vous n’acceptez pas de paiements, et personne ne peut vous payer.",
		"money.setup_again":  "Réactiver les paiements",
		"links.kept_off":     "Votre identifiant reste le vôtre pendant que les paiements sont désactivés : ce lien indique que vous n’acceptez pas de paiements jusqu’à ce que vous les réactiviez.",
	})
}
