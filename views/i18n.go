// Package views renders Divvy's pages and fragments with templ. Components
// take view models, never rows or the store; strings come from T in the
// reader's locale.
package views

import (
	"context"
	"fmt"
	"strings"
)

type ctxKey int

const localeKey ctxKey = 0

// Locales Divvy speaks, in the order the switcher shows them.
var Locales = []string{"en", "fr"}

// WithLocale returns ctx carrying the reader's locale.
func WithLocale(ctx context.Context, locale string) context.Context {
	return context.WithValue(ctx, localeKey, locale)
}

// Locale returns the reader's locale ("en" when none was set).
func Locale(ctx context.Context) string {
	if l, ok := ctx.Value(localeKey).(string); ok && l != "" {
		return l
	}
	return "en"
}

// Supported reports whether Divvy speaks locale.
func Supported(locale string) bool { return locale == "en" || locale == "fr" }

// MatchAcceptLanguage picks the first supported language of an
// Accept-Language header, honouring q-values; "" when none matches.
func MatchAcceptLanguage(header string) string {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				q = 0
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if Supported(base) && q > bestQ {
			best, bestQ = base, q
		}
	}
	return best
}

// T returns the string for key in the reader's locale, formatted with args.
// A missing French string falls back to English; a missing key shows itself,
// so a test catches it.
func T(ctx context.Context, key string, args ...any) string {
	s, ok := messages[Locale(ctx)][key]
	if !ok {
		s, ok = messages["en"][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// HasKey reports whether key has an English string (for problem keys that
// may be either a key or a ready sentence).
func HasKey(key string) bool { _, ok := messages["en"][key]; return ok }

var messages = map[string]map[string]string{
	"en": {
		"app.tagline":            "Split the bill. Watch everyone pay.",
		"nav.home":               "Home",
		"nav.login":              "Log in",
		"nav.signup":             "Sign up",
		"nav.logout":             "Log out",
		"nav.logout_all":         "Log out everywhere",
		"nav.skip":               "Skip to content",
		"footer.language":        "Language",
		"footer.made":            "Divvy: group bills, paid live.",
		"landing.title":          "Split a group bill where the conversation already is",
		"landing.lead":           "Create a thread, post the bill, share one link. Friends pay their share from their phones and everyone watches the progress move live.",
		"landing.step1":          "Post the bill",
		"landing.step1.body":     "“Pizza night · €47.50”, split equally, by amounts, percentages, shares or item by item.",
		"landing.step2":          "Share one link",
		"landing.step2.body":     "Friends join with just a name, from a link or a QR code. No app to install.",
		"landing.step3":          "Watch it get paid",
		"landing.step3.body":     "Each payment shows up for everyone at once. Cash counts too. Reminders for the late ones.",
		"landing.cta":            "Create your first thread",
		"landing.login":          "I already have an account",
		"signup.title":           "Create your account",
		"signup.lead":            "You will be able to invite friends right after.",
		"signup.submit":          "Create account",
		"signup.have":            "Already have an account?",
		"login.title":            "Log in",
		"login.submit":           "Log in",
		"login.none":             "New to Divvy?",
		"field.name":             "Your name",
		"field.name.hint":        "What friends will see, e.g. “Sam”.",
		"field.email":            "Email",
		"field.password":         "Password",
		"field.password.hint":    "At least 8 characters.",
		"name_required":          "Please type your name.",
		"name_long":              "Names are 60 characters at most.",
		"email_required":         "Please type your email address.",
		"email_invalid":          "That does not look like an email address, e.g. sam@example.com.",
		"password_short":         "Passwords need at least 8 characters.",
		"password_long":          "Passwords are 200 characters at most.",
		"email_taken":            "An account with this email already exists. Log in instead.",
		"login.wrong":            "That email and password do not match an account.",
		"login.limited":          "Too many attempts. Please wait %s and try again.",
		"form.problems":          "Please fix the problems below.",
		"home.title":             "Your threads",
		"home.hello":             "Hello, %s",
		"home.empty":             "No threads yet. A thread is where a group talks and splits its bills.",
		"home.new":               "New thread",
		"home.members":           "%d members",
		"home.member":            "1 member",
		"loggedout.all":          "You were logged out on %d devices.",
		"error.title":            "Something is not right",
		"error.back":             "Go to the home page",
		"error.404":              "This page does not exist, or you do not have access to it.",
		"error.405":              "This page does not accept that kind of request.",
		"error.403.origin":       "This request came from another site, so it was refused. Go back to Divvy and try again.",
		"error.413":              "What you sent is too large.",
		"error.400":              "The request could not be understood.",
		"error.500":              "Something went wrong on our side. Please try again.",
		"error.503":              "The server is busy. Please try again in a moment.",
		"session.ended":          "Your session has ended. Please log in again.",
		"thread.invite":          "Invite",
		"thread.you":             "you",
		"thread.earlier":         "Earlier messages",
		"thread.split":           "Split a bill",
		"thread.message":         "Message",
		"thread.send":            "Send",
		"role.organizer":         "organizer",
		"role.member":            "member",
		"event.created":          "%s created the thread",
		"event.joined":           "%s joined",
		"message_empty":          "Type a message first.",
		"message_long":           "Messages are 2000 characters at most.",
		"newthread.title":        "New thread",
		"newthread.submit":       "Create thread",
		"field.thread_name":      "Thread name",
		"field.thread_name.hint": "e.g. “Pizza Friday”",
		"field.currency":         "Currency",
		"thread_name_required":   "Please give the thread a name.",
		"thread_name_long":       "Thread names are 80 characters at most.",
		"currency_unknown":       "Pick a currency from the list.",
		"invite.title":           "Invite friends to %s",
		"invite.lead":            "Anyone with this link can join the thread with just a name.",
		"invite.link":            "Invite link",
		"invite.copy":            "Copy link",
		"invite.copied":          "Copied",
		"invite.share":           "Share",
		"invite.qr_alt":          "QR code of the invite link to %s",
		"invite.reset_lead":      "Shared it with the wrong people? Make a new link: the old one stops working.",
		"invite.reset":           "Make a new link",
		"join.title":             "Join %s",
		"join.name_hint":         "Friends in the thread will see this name.",
		"join.submit":            "Join the thread",
		"join.have_account":      "Have an account?",
		"join.invalid":           "This invite link is not valid any more. Ask for a new one.",
		"keep.title":             "Keep your account",
		"keep.lead":              "Add an email and a password to use Divvy on another device.",
		"keep.submit":            "Keep my account",
		"nav.keep":               "Keep account",
	},
	"fr": {
		"app.tagline":            "Partagez l’addition. Regardez chacun payer.",
		"nav.home":               "Accueil",
		"nav.login":              "Se connecter",
		"nav.signup":             "Créer un compte",
		"nav.logout":             "Se déconnecter",
		"nav.logout_all":         "Se déconnecter partout",
		"nav.skip":               "Aller au contenu",
		"footer.language":        "Langue",
		"footer.made":            "Divvy : les additions de groupe, payées en direct.",
		"landing.title":          "Partagez une addition de groupe là où vous discutez déjà",
		"landing.lead":           "Créez un fil, postez l’addition, partagez un lien. Vos amis paient leur part depuis leur téléphone et tout le monde voit la progression en direct.",
		"landing.step1":          "Postez l’addition",
		"landing.step1.body":     "« Soirée pizza · 47,50 € », à parts égales, par montants, pourcentages, parts ou article par article.",
		"landing.step2":          "Partagez un lien",
		"landing.step2.body":     "Vos amis rejoignent avec un simple prénom, par lien ou QR code. Aucune appli à installer.",
		"landing.step3":          "Regardez les paiements arriver",
		"landing.step3.body":     "Chaque paiement apparaît chez tout le monde en même temps. Les espèces comptent aussi. Des rappels pour les retardataires.",
		"landing.cta":            "Créer votre premier fil",
		"landing.login":          "J’ai déjà un compte",
		"signup.title":           "Créez votre compte",
		"signup.lead":            "Vous pourrez inviter vos amis juste après.",
		"signup.submit":          "Créer le compte",
		"signup.have":            "Vous avez déjà un compte ?",
		"login.title":            "Connexion",
		"login.submit":           "Se connecter",
		"login.none":             "Nouveau sur Divvy ?",
		"field.name":             "Votre prénom",
		"field.name.hint":        "Ce que verront vos amis, par ex. « Sam ».",
		"field.email":            "E-mail",
		"field.password":         "Mot de passe",
		"field.password.hint":    "Au moins 8 caractères.",
		"name_required":          "Veuillez saisir votre prénom.",
		"name_long":              "60 caractères au maximum.",
		"email_required":         "Veuillez saisir votre adresse e-mail.",
		"email_invalid":          "Cette adresse e-mail ne semble pas valide, par ex. sam@exemple.fr.",
		"password_short":         "Le mot de passe doit faire au moins 8 caractères.",
		"password_long":          "Le mot de passe fait 200 caractères au maximum.",
		"email_taken":            "Un compte existe déjà avec cet e-mail. Connectez-vous plutôt.",
		"login.wrong":            "Cet e-mail et ce mot de passe ne correspondent à aucun compte.",
		"login.limited":          "Trop de tentatives. Réessayez dans %s.",
		"form.problems":          "Veuillez corriger les points ci-dessous.",
		"home.title":             "Vos fils",
		"home.hello":             "Bonjour, %s",
		"home.empty":             "Aucun fil pour l’instant. Un fil, c’est là où un groupe discute et partage ses additions.",
		"home.new":               "Nouveau fil",
		"home.members":           "%d membres",
		"home.member":            "1 membre",
		"loggedout.all":          "Vous avez été déconnecté sur %d appareils.",
		"error.title":            "Quelque chose ne va pas",
		"error.back":             "Retour à l’accueil",
		"error.404":              "Cette page n’existe pas, ou vous n’y avez pas accès.",
		"error.405":              "Cette page n’accepte pas ce type de requête.",
		"error.403.origin":       "Cette requête venait d’un autre site, elle a donc été refusée. Revenez sur Divvy et réessayez.",
		"error.413":              "Ce que vous avez envoyé est trop volumineux.",
		"error.400":              "La requête n’a pas pu être comprise.",
		"error.500":              "Un problème est survenu de notre côté. Veuillez réessayer.",
		"error.503":              "Le serveur est occupé. Réessayez dans un instant.",
		"session.ended":          "Votre session a expiré. Veuillez vous reconnecter.",
		"thread.invite":          "Inviter",
		"thread.you":             "vous",
		"thread.earlier":         "Messages précédents",
		"thread.split":           "Partager une addition",
		"thread.message":         "Message",
		"thread.send":            "Envoyer",
		"role.organizer":         "organisateur",
		"role.member":            "membre",
		"event.created":          "%s a créé le fil",
		"event.joined":           "%s a rejoint le fil",
		"message_empty":          "Écrivez d’abord un message.",
		"message_long":           "Les messages font 2000 caractères au maximum.",
		"newthread.title":        "Nouveau fil",
		"newthread.submit":       "Créer le fil",
		"field.thread_name":      "Nom du fil",
		"field.thread_name.hint": "par ex. « Pizza du vendredi »",
		"field.currency":         "Devise",
		"thread_name_required":   "Donnez un nom au fil.",
		"thread_name_long":       "80 caractères au maximum.",
		"currency_unknown":       "Choisissez une devise de la liste.",
		"invite.title":           "Inviter des amis dans %s",
		"invite.lead":            "Toute personne ayant ce lien peut rejoindre le fil avec un simple prénom.",
		"invite.link":            "Lien d’invitation",
		"invite.copy":            "Copier le lien",
		"invite.copied":          "Copié",
		"invite.share":           "Partager",
		"invite.qr_alt":          "QR code du lien d’invitation vers %s",
		"invite.reset_lead":      "Partagé avec les mauvaises personnes ? Créez un nouveau lien : l’ancien cesse de fonctionner.",
		"invite.reset":           "Créer un nouveau lien",
		"join.title":             "Rejoindre %s",
		"join.name_hint":         "Les amis du fil verront ce prénom.",
		"join.submit":            "Rejoindre le fil",
		"join.have_account":      "Vous avez un compte ?",
		"join.invalid":           "Ce lien d’invitation n’est plus valable. Demandez-en un nouveau.",
		"keep.title":             "Garder votre compte",
		"keep.lead":              "Ajoutez un e-mail et un mot de passe pour utiliser Divvy sur un autre appareil.",
		"keep.submit":            "Garder mon compte",
		"nav.keep":               "Garder le compte",
	},
}
