package views

// The account page, signed-in devices and password reset. Kept apart from
// i18n.go so they merge into it without touching its long lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"nav.account":           "Account",
		"account.title":         "Your account",
		"account.guest":         "Guest account: it lives only in this browser.",
		"account.changed":       "Your password was changed. Every device was logged out; this one is logged in again.",
		"devices.title":         "Where you are logged in",
		"devices.lead":          "Divvy is open on these devices. Log out any you do not recognise.",
		"devices.this":          "This device",
		"devices.signed_in":     "Logged in %s",
		"devices.seen":          "Last active %s",
		"devices.now":           "now",
		"devices.sign_out":      "Log out",
		"devices.signed_out":    "That device was logged out.",
		"device.on":             "%s on %s",
		"device.browser_on":     "A browser on %s",
		"device.unknown":        "Unknown device",
		"login.forgot":          "Forgot your password?",
		"forgot.title":          "Reset your password",
		"forgot.lead":           "Type the email of your account: we will send you a link to choose a new password.",
		"forgot.submit":         "Send the link",
		"forgot.back":           "Back to log in",
		"forgot.again":          "Ask for a new link",
		"forgot.sent.title":     "Check your email",
		"signup.sent.title":     "Check your email",
		"signup.sent.body":      "We have sent a message to %s: follow it to finish signing up.",
		"signup.sent.hint":      "Nothing after a few minutes? Look in your spam folder, or check the address and sign up again.",
		"signup.confirm.title":  "Finish signing up",
		"signup.confirm.body":   "Create your Divvy account for %s.",
		"signup.confirm.submit": "Create my account",
		"signup.dead.body":      "Sign-up links work once, for 24 hours. This one has expired or was already used.",
		"signup.again":          "Sign up again",
		"forgot.sent.body":      "If an account uses %s, we have sent it a link to choose a new password. The link works once, for 30 minutes.",
		"forgot.sent.hint":      "Nothing after a few minutes? Look in your spam folder, or check the address and ask again.",
		"forgot.limited":        "Too many reset requests. Please wait %s and try again.",
		"reset.title":           "Choose a new password",
		"reset.lead":            "For %s. Every device logged in to this account will be logged out.",
		"reset.new_password":    "New password",
		"reset.submit":          "Change my password",
		"reset.pin_kept":        "Your payment PIN stays the same.",
		"reset.dead.title":      "This link no longer works",
		"reset.dead.body":       "Reset links work once, for 30 minutes. This one has expired or was already used.",
	})
	add("fr", map[string]string{
		"nav.account":           "Compte",
		"account.title":         "Votre compte",
		"account.guest":         "Compte invité : il n’existe que dans ce navigateur.",
		"account.changed":       "Votre mot de passe a été changé. Tous les appareils ont été déconnectés ; celui-ci est reconnecté.",
		"devices.title":         "Appareils connectés",
		"devices.lead":          "Divvy est ouvert sur ces appareils. Déconnectez ceux que vous ne reconnaissez pas.",
		"devices.this":          "Cet appareil",
		"devices.signed_in":     "Connecté le %s",
		"devices.seen":          "Dernière activité : %s",
		"devices.now":           "maintenant",
		"devices.sign_out":      "Déconnecter",
		"devices.signed_out":    "Cet appareil a été déconnecté.",
		"device.on":             "%s sur %s",
		"device.browser_on":     "Un navigateur sur %s",
		"device.unknown":        "Appareil inconnu",
		"login.forgot":          "Mot de passe oublié ?",
		"forgot.title":          "Réinitialiser votre mot de passe",
		"forgot.lead":           "Saisissez l’e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.",
		"forgot.submit":         "Envoyer le lien",
		"forgot.back":           "Retour à la connexion",
		"forgot.again":          "Demander un nouveau lien",
		"forgot.sent.title":     "Consultez vos e-mails",
		"signup.sent.title":     "Consultez vos e-mails",
		"signup.sent.body":      "Nous avons envoyé un message à %s : suivez-le pour terminer votre inscription.",
		"signup.sent.hint":      "Rien après quelques minutes ? Regardez dans vos indésirables, ou vérifiez l’adresse et inscrivez-vous à nouveau.",
		"signup.confirm.title":  "Terminez votre inscription",
		"signup.confirm.body":   "Créez votre compte Divvy pour %s.",
		"signup.confirm.submit": "Créer mon compte",
		"signup.dead.body":      "Les liens d’inscription fonctionnent une fois, pendant 24 heures. Celui-ci a expiré ou a déjà servi.",
		"signup.again":          "S’inscrire à nouveau",
		"forgot.sent.body":      "Si un compte utilise %s, nous lui avons envoyé un lien pour choisir un nouveau mot de passe. Le lien fonctionne une fois, pendant 30 minutes.",
		"forgot.sent.hint":      "Rien après quelques minutes ? Regardez dans vos indésirables, ou vérifiez l’adresse et redemandez.",
		"forgot.limited":        "Trop de demandes de réinitialisation. Réessayez dans %s.",
		"reset.title":           "Choisir un nouveau mot de passe",
		"reset.lead":            "Pour %s. Tous les appareils connectés à ce compte seront déconnectés.",
		"reset.new_password":    "Nouveau mot de passe",
		"reset.submit":          "Changer mon mot de passe",
		"reset.pin_kept":        "Votre code de paiement reste le même.",
		"reset.dead.title":      "Ce lien ne fonctionne plus",
		"reset.dead.body":       "Les liens de réinitialisation fonctionnent une fois, pendant 30 minutes. Celui-ci a expiré ou a déjà servi.",
	})
	for locale, m := range map[string]map[string]string{
		"en": {
			"reset.link_dead": "This reset link has expired or was already used.",
			"device.gone":     "That device is already logged out.",
			"password.length": "A password has 8 to 200 characters.",
		},
		"fr": {
			"reset.link_dead": "Ce lien de réinitialisation a expiré ou a déjà servi.",
			"device.gone":     "Cet appareil est déjà déconnecté.",
			"password.length": "Un mot de passe a de 8 à 200 caractères.",
		},
	} {
		for k, v := range m {
			refusals[locale][k] = v
		}
	}
}
