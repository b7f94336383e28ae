package views

// Passkeys that confirm payments: payment settings and the payment forms.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"passkey.confirm":        "Confirm with fingerprint or face",
		"passkey.or_pin":         "or with your PIN",
		"passkey.js_failed":      "Your passkey did not confirm the payment (cancelled, or not on this device). Try again, or use your PIN.",
		"passkey.js_unsupported": "This browser cannot use passkeys. Use your PIN.",
		"passkey.js_add_failed":  "The passkey was not added (cancelled, or this device has no fingerprint or face unlock). Try again.",
		"passkey.back":           "← Money",
		"passkey.title":          "Passkeys",
		"passkey.lead":           "A passkey confirms a payment with your fingerprint or face, on this phone or computer. Your PIN still works, and wrong tries with either count together.",
		"passkey.off_here":       "Passkeys need Divvy to be reached by a domain name: on this server, confirm payments with your PIN.",
		"passkey.yours":          "Your passkeys",
		"passkey.none_yet":       "No passkey yet.",
		"passkey.unnamed":        "Passkey",
		"passkey.added":          "Added %s",
		"passkey.last_used":      "last used %s",
		"passkey.locked_line":    "Locked: its counter went backwards, as a copied passkey’s would. It confirms nothing any more; remove it.",
		"passkey.remove":         "Remove",
		"passkey.remove_pin":     "PIN to remove it",
		"passkey.add_title":      "Add a passkey",
		"passkey.add_lead":       "Your device asks for your fingerprint, face or screen lock; the passkey stays on it.",
		"passkey.name_field":     "Name (optional)",
		"passkey.name_hint":      "For example “My phone”",
		"passkey.pin_hint":       "Your payment PIN, to prove it is you",
		"passkey.add":            "Add a passkey",
		"passkey.needs_js":       "Adding a passkey needs JavaScript in this browser.",
		"passkey.added_notice":   "Passkey added: payments now offer “Confirm with fingerprint or face”.",
		"passkey.removed_notice": "Passkey removed.",
		"money.passkeys":         "Passkeys",
		"thing.passkey":          "Passkey",
	})
	add("fr", map[string]string{
		"passkey.confirm":        "Confirmer avec l’empreinte ou le visage",
		"passkey.or_pin":         "ou avec votre code PIN",
		"passkey.js_failed":      "Votre clé d’accès n’a pas confirmé le paiement (annulé, ou pas sur cet appareil). Réessayez, ou utilisez votre code PIN.",
		"passkey.js_unsupported": "Ce navigateur ne sait pas utiliser les clés d’accès. Utilisez votre code PIN.",
		"passkey.js_add_failed":  "La clé d’accès n’a pas été ajoutée (annulé, ou cet appareil n’a ni empreinte ni reconnaissance du visage). Réessayez.",
		"passkey.back":           "← Argent",
		"passkey.title":          "Clés d’accès",
		"passkey.lead":           "Une clé d’accès confirme un paiement avec votre empreinte ou votre visage, sur ce téléphone ou cet ordinateur. Votre code PIN fonctionne toujours, et les essais manqués avec l’un ou l’autre comptent ensemble.",
		"passkey.off_here":       "Les clés d’accès demandent que Divvy soit joint par un nom de domaine : sur ce serveur, confirmez les paiements avec votre code PIN.",
		"passkey.yours":          "Vos clés d’accès",
		"passkey.none_yet":       "Aucune clé d’accès pour l’instant.",
		"passkey.unnamed":        "Clé d’accès",
		"passkey.added":          "Ajoutée le %s",
		"passkey.last_used":      "utilisée le %s",
		"passkey.locked_line":    "Bloquée : son compteur est revenu en arrière, comme celui d’une clé copiée. Elle ne confirme plus rien ; supprimez-la.",
		"passkey.remove":         "Supprimer",
		"passkey.remove_pin":     "Code PIN pour la supprimer",
		"passkey.add_title":      "Ajouter une clé d’accès",
		"passkey.add_lead":       "Votre appareil demande votre empreinte, votre visage ou le verrouillage de l’écran ; la clé reste sur l’appareil.",
		"passkey.name_field":     "Nom (facultatif)",
		"passkey.name_hint":      "Par exemple « Mon téléphone »",
		"passkey.pin_hint":       "Votre code PIN de paiement, pour prouver que c’est vous",
		"passkey.add":            "Ajouter une clé d’accès",
		"passkey.needs_js":       "Ajouter une clé d’accès demande JavaScript dans ce navigateur.",
		"passkey.added_notice":   "Clé d’accès ajoutée : les paiements proposent maintenant « Confirmer avec l’empreinte ou le visage ».",
		"passkey.removed_notice": "Clé d’accès supprimée.",
		"money.passkeys":         "Clés d’accès",
		"thing.passkey":          "Clé d’accès",
	})
}
