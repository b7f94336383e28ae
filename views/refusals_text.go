package views

// refusals holds the sentence of every reason db can refuse with, by
// locale. Placeholders name the reason's parameters (see fill). A test
// checks that every reason db registers has a sentence in each language,
// and that the sentence names only parameters the reason has.
var refusals = map[string]map[string]string{
	"en": {
		"not_found":      "{what:thing} not found.",
		"exists":         "{what:thing} already exists.",
		"refers_missing": "{what:thing} refers to something that does not exist.",
	},
	"fr": {
		"not_found":      "{what:thing} introuvable.",
		"exists":         "{what:thing} existe déjà.",
		"refers_missing": "{what:thing} renvoie à quelque chose qui n’existe pas.",
	},
}
