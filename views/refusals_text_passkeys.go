package views

// Refusals of passkeys: adding one, and confirming a payment with one.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
	add("en", map[string]string{
		"passkey.off":           "Passkeys are not available on this server. Confirm with your PIN.",
		"passkey.malformed":     "Your passkey’s answer could not be read. Try again, or use your PIN.",
		"passkey.expired":       "This confirmation took too long and has expired. Tap “Confirm with fingerprint or face” again.",
		"passkey.used":          "This passkey confirmation was already used: each one confirms a single payment. {left|# try left|# tries left}.",
		"passkey.other_payment": "This passkey confirmation was made for another payment or amount. {left|# try left|# tries left}.",
		"passkey.refused":       "Your passkey did not confirm this payment. {left|# try left|# tries left}.",
		"passkey.locked":        "This passkey is locked: its counter went backwards. Use your PIN, and remove the passkey in payment settings. {left|# try left|# tries left}.",
		"passkey.counter":       "This passkey’s counter went backwards, as a copied passkey’s would: it is now locked. Use your PIN, and remove the passkey in payment settings. {left|# try left|# tries left}.",
		"passkey.last_try":      "Your passkey did not confirm this payment. That was the last try: payments are locked for {wait|# minute|# minutes} (until {until:time}).",
		"passkey.none":          "You have no passkey that can confirm payments. Use your PIN.",
		"passkey.too_many":      "You have {max} passkeys, the most: remove one first.",
		"passkey.name":          "A passkey’s name has at most {max} characters.",
		"passkey.not_added":     "The passkey could not be added. Try again.",
		"passkey.challenges":    "Too many passkey confirmations were started. Wait a few minutes, or use your PIN.",
		"passkey.amount":        "Type the amount first, then confirm.",
	})
	add("fr", map[string]string{
		"passkey.off":           "Les clés d’accès ne sont pas disponibles sur ce serveur. Confirmez avec votre code PIN.",
		"passkey.malformed":     "La réponse de votre clé d’accès est illisible. Réessayez, ou utilisez votre code PIN.",
		"passkey.expired":       "Cette confirmation a pris trop de temps et a expiré. Touchez à nouveau « Confirmer avec l’empreinte ou le visage ».",
		"passkey.used":          "Cette confirmation par clé d’accès a déjà servi : chacune confirme un seul paiement. {left|# essai restant|# essais restants}.",
		"passkey.other_payment": "Cette confirmation par clé d’accès a été faite pour un autre paiement ou un autre montant. {left|# essai restant|# essais restants}.",
		"passkey.refused":       "Votre clé d’accès n’a pas confirmé ce paiement. {left|# essai restant|# essais restants}.",
		"passkey.locked":        "Cette clé d’accès est bloquée : son compteur est revenu en arrière. Utilisez votre code PIN, et supprimez la clé dans les réglages de paiement. {left|# essai restant|# essais restants}.",
		"passkey.counter":       "Le compteur de cette clé d’accès est revenu en arrière, comme celui d’une clé copiée : elle est maintenant bloquée. Utilisez votre code PIN, et supprimez la clé dans les réglages de paiement. {left|# essai restant|# essais restants}.",
		"passkey.last_try":      "Votre clé d’accès n’a pas confirmé ce paiement. C’était le dernier essai : les paiements sont bloqués pendant {wait|# minute|# minutes} (jusqu’à {until:time}).",
		"passkey.none":          "Vous n’avez aucune clé d’accès qui puisse confirmer un paiement. Utilisez votre code PIN.",
		"passkey.too_many":      "Vous avez {max} clés d’accès, le maximum : supprimez-en une d’abord.",
		"passkey.name":          "Le nom d’une clé d’accès a au plus {max} caractères.",
		"passkey.not_added":     "La clé d’accès n’a pas pu être ajoutée. Réessayez.",
		"passkey.challenges":    "Trop de confirmations par clé d’accès ont été commencées. Attendez quelques minutes, ou utilisez votre code PIN.",
		"passkey.amount":        "Saisissez d’abord le montant, puis confirmez.",
	})
}
