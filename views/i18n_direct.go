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
		"direct.message":       "Message %s",
		"direct.message_short": "Message",
	})
	add("fr", map[string]string{
		"direct.message":       "Écrire à %s",
		"direct.message_short": "Écrire",
	})
	addRefusals := func(locale string, m map[string]string) {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
	addRefusals("en", map[string]string{
		"contact.unknown": "This person is not among your contacts: you can message people you share a thread with.",
		"direct.self":     "You cannot start a conversation with yourself.",
		"direct.no_join":  "This is a conversation between two people: nobody else can join it.",
	})
	addRefusals("fr", map[string]string{
		"contact.unknown": "Cette personne ne fait pas partie de vos contacts : vous pouvez écrire aux personnes avec qui vous partagez un fil.",
		"direct.self":     "Vous ne pouvez pas ouvrir une conversation avec vous-même.",
		"direct.no_join":  "Cette conversation est entre deux personnes : personne d’autre ne peut la rejoindre.",
	})
}
