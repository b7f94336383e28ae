package views

// Refusals of handles, personal pay links and request links.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
	add("en", map[string]string{
		"handle.format":           "A handle has 3 to 30 characters: letters a to z, digits, and single dots or dashes between them.",
		"handle.reserved":         "“{handle}” is a word Divvy keeps for itself. Choose another handle.",
		"handle.taken":            "“{handle}” is already someone’s handle. Choose another one.",
		"handle.too_soon":         "A handle can be changed once a month: you can change yours from {from:date}.",
		"handle.payments_first":   "Set up payments first: a handle is where people pay you.",
		"handle.same":             "That is already your handle.",
		"handle.lookalike_name":   "“{handle}” reads as someone else’s name: people could pay the wrong person. Choose a handle from your own name.",
		"handle.lookalike_handle": "“{handle}” looks too much like someone else’s handle: people could pay the wrong person. Choose another one.",
		"linkpay.amount":          "Type an amount to pay, more than zero.",
		"linkpay.note_long":       "A note has at most {max} characters.",
		"linkpay.not_accepting":   "{name} is not accepting payments for now.",
		"reqlink.paid":            "This request was already paid.",
		"reqlink.revoked":         "This request was cancelled by the person who made it.",
		"reqlink.expired":         "This request has expired: request links work for 30 days.",
		"reqlink.changed":         "This request is not for this amount any more. Open the link again.",
		"reqlink.payments_first":  "Set up payments first: a request needs somewhere for the money to go.",
	})
	add("fr", map[string]string{
		"handle.format":           "Un identifiant a de 3 à 30 caractères : des lettres de a à z, des chiffres, et des points ou tirets isolés entre eux.",
		"handle.reserved":         "« {handle} » est un mot que Divvy garde pour lui. Choisissez un autre identifiant.",
		"handle.taken":            "« {handle} » est déjà l’identifiant de quelqu’un. Choisissez-en un autre.",
		"handle.too_soon":         "Un identifiant se change une fois par mois : vous pourrez changer le vôtre à partir du {from:date}.",
		"handle.payments_first":   "Activez d’abord les paiements : votre identifiant est l’endroit où l’on vous paie.",
		"handle.same":             "C’est déjà votre identifiant.",
		"handle.lookalike_name":   "« {handle} » se lit comme le nom de quelqu’un d’autre : on pourrait payer la mauvaise personne. Choisissez un identifiant tiré de votre propre nom.",
		"handle.lookalike_handle": "« {handle} » ressemble trop à l’identifiant de quelqu’un d’autre : on pourrait payer la mauvaise personne. Choisissez-en un autre.",
		"linkpay.amount":          "Saisissez un montant à payer, supérieur à zéro.",
		"linkpay.note_long":       "Une note a au plus {max} caractères.",
		"linkpay.not_accepting":   "{name} n’accepte pas de paiements pour le moment.",
		"reqlink.paid":            "Cette demande a déjà été payée.",
		"reqlink.revoked":         "Cette demande a été annulée par la personne qui l’a faite.",
		"reqlink.expired":         "Cette demande a expiré : un lien de demande fonctionne 30 jours.",
		"reqlink.changed":         "Cette demande n’est plus de ce montant. Ouvrez le lien à nouveau.",
		"reqlink.payments_first":  "Activez d’abord les paiements : une demande a besoin d’un endroit où verser l’argent.",
	})
}
