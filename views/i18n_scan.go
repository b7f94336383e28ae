package views

// The Scan page. Kept apart from i18n.go so it merges without touching its
// long lists.
func init() {
	add := func(locale string, m map[string]string) {
		for k, v := range m {
			messages[locale][k] = v
		}
	}
	add("en", map[string]string{
		"nav.scan":          "Scan",
		"scan.title":        "Scan a QR code",
		"scan.lead":         "Point your camera at a Divvy QR code — a pay link, a request, an invite — and it opens here.",
		"scan.no_script":    "Scanning needs JavaScript. You can still open a Divvy link by typing it in your browser.",
		"scan.starting":     "Starting the camera…",
		"scan.looking":      "Looking for a QR code… Hold it steady inside the frame.",
		"scan.opening":      "Divvy link found. Opening it…",
		"scan.denied":       "The camera is not allowed for this page. Allow it in your browser’s settings, or take or choose a photo of the code below.",
		"scan.no_camera":    "No camera could be started here. Take or choose a photo of the code below.",
		"scan.unsupported":  "This browser cannot read QR codes. Open the link by typing it in your browser.",
		"scan.no_code":      "No QR code found in this photo. Try again closer, with the whole code in the picture.",
		"scan.reading":      "Reading the photo…",
		"scan.foreign":      "This code is not a Divvy link, so it was not opened. It says:",
		"scan.foreign_hint": "Only Divvy’s own links open from here. Check the text above before you copy it anywhere.",
		"scan.photo":        "Take or choose a photo",
		"scan.photo_hint":   "A photo of the QR code works too, if the camera does not.",
		"money.scan":        "Scan a QR code",
	})
	add("fr", map[string]string{
		"nav.scan":          "Scanner",
		"scan.title":        "Scanner un code QR",
		"scan.lead":         "Visez un code QR Divvy — un lien de paiement, une demande, une invitation — avec l’appareil photo : il s’ouvre ici.",
		"scan.no_script":    "Le scan a besoin de JavaScript. Vous pouvez toujours ouvrir un lien Divvy en le tapant dans votre navigateur.",
		"scan.starting":     "Démarrage de l’appareil photo…",
		"scan.looking":      "Recherche d’un code QR… Tenez-le bien dans le cadre.",
		"scan.opening":      "Lien Divvy trouvé. Ouverture…",
		"scan.denied":       "L’appareil photo n’est pas autorisé pour cette page. Autorisez-le dans les réglages du navigateur, ou prenez ou choisissez une photo du code ci-dessous.",
		"scan.no_camera":    "Aucun appareil photo n’a pu démarrer ici. Prenez ou choisissez une photo du code ci-dessous.",
		"scan.unsupported":  "Ce navigateur ne sait pas lire les codes QR. Ouvrez le lien en le tapant dans votre navigateur.",
		"scan.no_code":      "Aucun code QR dans cette photo. Réessayez de plus près, avec tout le code dans l’image.",
		"scan.reading":      "Lecture de la photo…",
		"scan.foreign":      "Ce code n’est pas un lien Divvy : il n’a pas été ouvert. Il contient :",
		"scan.foreign_hint": "Seuls les liens de Divvy s’ouvrent d’ici. Vérifiez le texte ci-dessus avant de le copier ailleurs.",
		"scan.photo":        "Prendre ou choisir une photo",
		"scan.photo_hint":   "Une photo du code QR marche aussi, si l’appareil photo ne démarre pas.",
		"money.scan":        "Scanner un code QR",
	})
}
