package views

// Two-person threads, Send and Request. Kept apart from i18n.go so they
// merge into it without touching its long lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"direct.message":         "Message %s",
		"direct.message_short":   "Message",
		"money.tabs":             "Money in this thread",
		"send.tab":               "Send",
		"send.title":             "Send money",
		"send.to":                "To",
		"send.choose":            "Choose a person",
		"send.to_name":           "To %s",
		"send.not_ready":         "%s has not set up payments yet, so they cannot receive money for now.",
		"send.person_not_ready":  "%s (payments not set up)",
		"send.amount":            "Amount (%s)",
		"send.note":              "What for (optional)",
		"send.note_hint":         "Taxi, tickets… The thread sees it.",
		"send.submit":            "Send with my PIN",
		"send.to_required":       "Choose who gets the money.",
		"send.note_long_field":   "A note has at most %d characters.",
		"event.sent":             "%s sent %s to %s",
		"event.sent_note":        "%s sent %s to %s · %s",
		"request.tab":            "Request",
		"request.title":          "Request money",
		"request.to":             "From",
		"request.to_name":        "From %s",
		"request.submit":         "Post the request",
		"request.to_required":    "Choose whom you ask.",
		"request.default_title":  "Request",
		"request.card":           "%s asks %s for %s",
		"request.paid_by":        "Paid by %s",
		"request.declined":       "%s declined",
		"request.cancelled":      "Cancelled",
		"request.waiting":        "Waiting for %s",
		"request.decline":        "Decline",
		"request.cancel":         "Cancel the request",
		"event.request_declined": "%s declined the request · %s",
	})
	add("fr", map[string]string{
		"direct.message":         "Écrire à %s",
		"direct.message_short":   "Écrire",
		"money.tabs":             "L’argent dans ce fil",
		"send.tab":               "Envoyer",
		"send.title":             "Envoyer de l’argent",
		"send.to":                "À",
		"send.choose":            "Choisissez une personne",
		"send.to_name":           "À %s",
		"send.not_ready":         "%s n’a pas encore configuré les paiements et ne peut donc pas recevoir d’argent pour l’instant.",
		"send.person_not_ready":  "%s (paiements non configurés)",
		"send.amount":            "Montant (%s)",
		"send.note":              "Pour quoi (facultatif)",
		"send.note_hint":         "Taxi, billets… Le fil le voit.",
		"send.submit":            "Envoyer avec mon code",
		"send.to_required":       "Choisissez qui reçoit l’argent.",
		"send.note_long_field":   "Une note a au plus %d caractères.",
		"event.sent":             "%s a envoyé %s à %s",
		"event.sent_note":        "%s a envoyé %s à %s · %s",
		"request.tab":            "Demander",
		"request.title":          "Demander de l’argent",
		"request.to":             "À qui",
		"request.to_name":        "À %s",
		"request.submit":         "Publier la demande",
		"request.to_required":    "Choisissez à qui vous demandez.",
		"request.default_title":  "Demande",
		"request.card":           "%s demande %[3]s à %[2]s",
		"request.paid_by":        "Payé par %s",
		"request.declined":       "%s a refusé",
		"request.cancelled":      "Annulée",
		"request.waiting":        "En attente de %s",
		"request.decline":        "Refuser",
		"request.cancel":         "Annuler la demande",
		"event.request_declined": "%s a refusé la demande · %s",
	})
	addRefusals := func(locale string, m map[string]string) {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
	addRefusals("en", map[string]string{
		"contact.unknown":     "This person is not among your contacts: you can message people you share a thread with.",
		"direct.self":         "You cannot start a conversation with yourself.",
		"direct.no_join":      "This is a conversation between two people: nobody else can join it.",
		"send.amount":         "The amount to send must be more than zero.",
		"send.note_long":      "A note has at most {max} characters.",
		"send.not_set_up":     "{name} has not set up payments yet, so they cannot receive money. Ask them to set up payments, then send again.",
		"request.self":        "You cannot ask yourself for money.",
		"request.amount":      "The amount to request must be more than zero.",
		"request.title":       "A note has at most {max} characters.",
		"request.one_person":  "A request is for one person: nobody can take a part of it.",
		"request.not_yours":   "Only the person asked can decline this request.",
		"request.not_request": "This is a split, not a request: it cannot be declined.",
		"request.closed":      "This request is no longer open.",
		"request.paid":        "This request is already paid.",
	})
	addRefusals("fr", map[string]string{
		"contact.unknown":     "Cette personne ne fait pas partie de vos contacts : vous pouvez écrire aux personnes avec qui vous partagez un fil.",
		"direct.self":         "Vous ne pouvez pas ouvrir une conversation avec vous-même.",
		"direct.no_join":      "Cette conversation est entre deux personnes : personne d’autre ne peut la rejoindre.",
		"send.amount":         "Le montant à envoyer doit être supérieur à zéro.",
		"send.note_long":      "Une note a au plus {max} caractères.",
		"send.not_set_up":     "{name} n’a pas encore configuré les paiements et ne peut donc pas recevoir d’argent. Demandez-lui de les configurer, puis renvoyez.",
		"request.self":        "Vous ne pouvez pas vous demander de l’argent à vous-même.",
		"request.amount":      "Le montant demandé doit être supérieur à zéro.",
		"request.title":       "Une note a au plus {max} caractères.",
		"request.one_person":  "Une demande s’adresse à une seule personne : personne ne peut en prendre une part.",
		"request.not_yours":   "Seule la personne sollicitée peut refuser cette demande.",
		"request.not_request": "Ceci est un partage, pas une demande : il ne peut pas être refusé.",
		"request.closed":      "Cette demande n’est plus ouverte.",
		"request.paid":        "Cette demande est déjà payée.",
	})
}
