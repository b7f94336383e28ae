package views

// Refusals of turning payments off, and of paying someone who did.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
	add("en", map[string]string{
		"payments.remove_pending":    "{amount} is still pending in your balance (card payments the provider has not settled yet). Payments can be turned off once it is available and withdrawn.",
		"payments.remove_balance":    "You still have {amount} in your balance. Withdraw it first, then turn payments off.",
		"payments.remove_in_flight":  "A payment or withdrawal of yours is still under way. Try again in a few minutes.",
		"payments.remove_waiting":    "Money you sent to {name} is waiting for them to set up payments. Payments can be turned off once they take it or it comes back to you.",
		"payments.remove_collecting": "You collect “{title}”, which is not paid in full yet. Cancel it or wait until it is paid, then turn payments off.",
		"pay.not_accepting":          "{name} turned payments off and is not accepting payments. Pay another way.",
	})
	add("fr", map[string]string{
		"payments.remove_pending":    "{amount} est encore en attente sur votre solde (des paiements par carte que le prestataire n’a pas encore réglés). Vous pourrez désactiver les paiements une fois ce montant disponible et retiré.",
		"payments.remove_balance":    "Il vous reste {amount} sur votre solde. Retirez-le d’abord, puis désactivez les paiements.",
		"payments.remove_in_flight":  "Un paiement ou un retrait de votre part est encore en cours. Réessayez dans quelques minutes.",
		"payments.remove_waiting":    "L’argent que vous avez envoyé à {name} attend que cette personne active ses paiements. Vous pourrez désactiver les vôtres quand elle l’aura reçu ou qu’il vous sera revenu.",
		"payments.remove_collecting": "Vous encaissez « {title} », qui n’est pas encore entièrement payé. Annulez-le ou attendez qu’il soit payé, puis désactivez les paiements.",
		"pay.not_accepting":          "{name} a désactivé ses paiements et n’accepte pas de paiements. Payez d’une autre façon.",
	})
}
