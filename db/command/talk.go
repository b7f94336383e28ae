package command

import (
	"regexp"
	"strings"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Money talk: a message that says who owes whom an amount ("je te dois 15
// €", "can you pay me back 8.50?") or proposes to share a bill ("on partage
// l'addition de 60 €"). The app suggests the matching form (send, request,
// split) to the people concerned; nothing moves without their confirmation.
// Rule-based and pure: a message must carry a phrase that says who owes
// (the cues below) and exactly one amount (not a time, date, phone number,
// count or measure).

// TalkKind says what the money talk is about, from its author's side.
type TalkKind string

// Kinds of money talk.
const (
	Owe   TalkKind = "owe"   // the author owes the other person
	Owed  TalkKind = "owed"  // the other person owes the author
	Share TalkKind = "share" // a bill to share
)

// Talk is money talk found in a message.
type Talk struct {
	Kind   TalkKind
	Amount money.Money
	// Mentions are the people named with @, as typed, in order.
	Mentions []string
}

// maxTalkLen: longer messages are not looked at (a debt is said in a line).
const maxTalkLen = 300

// cue is a phrase that says which way the money goes.
type cue struct {
	kind TalkKind
	re   *regexp.Regexp
}

// The cues, on text lower-cased, without accents, with ’ as ' and every
// @mention as "@x". YOU is "you", "u" or "ya".
var cues = func() []cue {
	you := `(?:you|u|ya)`
	add := func(kind TalkKind, patterns ...string) []cue {
		var out []cue
		for _, p := range patterns {
			p = strings.ReplaceAll(p, "YOU", you)
			out = append(out, cue{kind, regexp.MustCompile(p)})
		}
		return out
	}
	var cs []cue
	// English: the author owes.
	cs = append(cs, add(Owe,
		`(?:^|[^a-z'])(?:i |i still |i really |i think i |so i |i must |i guess i |forgot i |that i |i )?owe (?:YOU|@x)\b`,
		`\bi (?:still |also )?owe (?:YOU|@x)\b`,
		`\bi(?:'ll| will| can| need to| have to| gotta|'d better| should| could)? (?:pay|send|transfer|give|venmo) (?:YOU|@x)\b`,
		`\b(?:can|could|shall|should) i (?:pay|send|transfer|give) (?:YOU|@x)\b`,
		`\bwill (?:pay|send|transfer) (?:YOU|@x) back\b`,
		`\bi (?:haven'?t|have not|didn'?t|did not|still haven'?t) (?:paid|sent|given) (?:YOU|@x) back\b`,
		`\bi borrowed\b.{0,20}\bfrom (?:YOU|@x)\b`,
		`\b(?:for|thanks for) (?:lending|covering|spotting) me\b`,
		`\bYOU (?:lent|spotted|covered) me\b`,
		`\bmy (?:half|share|part) is\b`,
	)...)
	// English: the other owes the author.
	cs = append(cs, add(Owed,
		`(?:\bYOU|@x) (?:still |also |really )?owes? me\b`,
		`\b(?:pay|send|give) me back\b`,
		`\b(?:can|could|would|will) YOU (?:pay|send|transfer|give|venmo) me\b`,
		`(?:^|[.!?,:] ?|please |pls |just |now )(?:pay|send|transfer|venmo) me\b`,
		`\bsend (?:it|that|them) (?:to me|my way)\b`,
		`\bYOU (?:still )?(?:haven'?t|have not|didn'?t|did not|never) (?:paid|sent|given) me\b`,
		`\bYOU borrowed\b`,
		`\bi (?:lent|spotted|covered) (?:YOU|@x)\b`,
		`\byour (?:half|share|part) is\b`,
	)...)
	// English: a bill to share.
	cs = append(cs, add(Share,
		`\b(?:let'?s|lets|shall we|we should|should we|how about we|can we|could we|we could|wanna|want to) (?:\w+ ){0,1}split\b`,
		`\bsplit (?:it|that|this)\b`,
		`^split\b`,
		`\b(?:let'?s|lets|shall we|should we) go (?:halves|halfsies|dutch|50/50)\b`,
		`\bgo halves\b`,
	)...)
	// French: the author owes.
	cs = append(cs, add(Owe,
		`\bj(?:e |')(?:vous |te |t')dois\b`,
		`\bje dois\b.{0,25} a @x\b`,
		`\bj(?:e |')(?:te |t'|vous )(?:les |le |l')?(?:rembourse\w*|rends|rendrai|renvoie|renverrai|vire|virerai|envoie|enverrai|donne|donnerai|fais un virement|fais un vir)\b`,
		`\bje (?:peux|vais|dois) te (?:rembourser|rendre|renvoyer|virer|envoyer)\b`,
		`\bj(?:e |')(?:ne )?t'ai (?:pas|toujours pas|jamais) (?:encore )?(?:rembourse|rendu|renvoye|vire)\b`,
		`\bj(?:e |')t'ai emprunte\b`,
		`\btu m'as (?:prete|avance)\b`,
		`\bm'avoir (?:prete|avance|depanne)\b`,
		`\bma (?:part|moitie) (?:c'est|fait|est de)\b`,
	)...)
	// French: the other owes the author.
	cs = append(cs, add(Owed,
		`(?:\btu|\bvous|@x) me (?:dois|doit|devez)\b`,
		`\btu (?:ne )?m'as (?:pas|toujours pas|jamais) (?:encore )?(?:rembourse|rendu|renvoye|vire)\b`,
		`\b(?:tu peux|tu pourras|tu pourrais|tu veux bien|peux-tu|pourrais-tu|vous pouvez) me (?:les |le |l')?(?:rembourser|rendre|renvoyer|virer|envoyer|filer)\b`,
		`\btu me (?:les |le |l')?(?:rembourses|rends|renvoies|vires|envoies|files)\b`,
		`\b(?:rembourse|envoie|file|vire|rends|renvoie)[- ]moi\b`,
		`\bj(?:e |')t'ai (?:prete|avance)\b`,
		`\btu m'(?:avais |as )emprunte\b`,
		`\bta (?:part|moitie) (?:c'est|fait|est de)\b`,
	)...)
	// French: a bill to share.
	cs = append(cs, add(Share,
		`\bon (?:se )?(?:partage|divise|repartit|split)\b`,
		`\bpartageons\b`,
		`\bon fait (?:moitie|50/50|fifty)\b`,
		`\bcouper? la poire en deux\b`,
	)...)
	return cs
}()

// notNow are phrases that take a cue back: a debt settled or forgiven, a
// past share.
var notNow = regexp.MustCompile(`\b(?:don'?t worry|no need|never mind|t'inquiete|pas besoin|laisse tomber|on a partage)\b`)

// sharedBefore: a bill already shared is not one to share.
var sharedBefore = regexp.MustCompile(`\b(?:yesterday|last (?:night|week|time)|already|hier|deja|la derniere fois)\b`)

var mentionRe = regexp.MustCompile(`@[\p{L}\p{N}_.-]+`)

// Detect finds money talk in a message; currency is the thread's, for
// amounts written without one.
func Detect(text, currency string) (Talk, bool) {
	if len(text) > maxTalkLen {
		return Talk{}, false
	}
	var mentions []string
	for _, m := range mentionRe.FindAllString(text, -1) {
		mentions = append(mentions, strings.TrimRightFunc(m[1:], isTrailingPunct))
	}
	norm := normalize(mentionRe.ReplaceAllString(text, "@x"))
	if notNow.MatchString(norm) {
		return Talk{}, false
	}
	var kind TalkKind
	for _, c := range cues {
		if c.re.MatchString(norm) {
			if kind != "" && kind != c.kind {
				return Talk{}, false // both ways: unclear
			}
			kind = c.kind
		}
	}
	if kind == "" || kind == Share && sharedBefore.MatchString(norm) {
		return Talk{}, false
	}
	amount, ok := findAmount(norm, currency)
	if !ok {
		return Talk{}, false
	}
	return Talk{Kind: kind, Amount: amount, Mentions: mentions}, true
}

// normalize lower-cases text, takes accents off and writes apostrophes and
// spaces one way.
func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '’' || r == '`' || r == 'ʼ':
			b.WriteByte('\'')
		case r == '\u00a0' || r == '\u202f' || r == '\t' || r == '\n':
			b.WriteByte(' ')
		default:
			if r2, ok := unaccent[r]; ok {
				b.WriteString(r2)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// A number as amounts are written: digits, maybe a decimal part of one or
// two digits, with a currency sign or word before or after.
var amountRe = regexp.MustCompile(`([$€£]\s?)?(\d+(?:[.,]\d+)?)(\s?(?:€|\$|£|euros?\b|eur\b|balles\b|bucks\b|quid\b|dollars?\b|pounds?\b))?`)

// units are words after a number that make it something else than money.
var units = map[string]bool{
	"h": true, "km": true, "min": true, "mins": true, "minute": true, "minutes": true, "hour": true, "hours": true,
	"heure": true, "heures": true, "hrs": true, "sec": true, "degres": true, "degrees": true, "ans": true, "an": true,
	"years": true, "year": true, "people": true, "personnes": true, "persons": true, "ways": true, "pm": true, "am": true,
	"kids": true, "enfants": true, "adults": true, "adultes": true, "bottles": true, "bouteilles": true, "pizzas": true,
	"parts": true, "of": true, "liters": true, "litres": true, "litre": true, "l": true, "x": true, "days": true,
	"jours": true, "nights": true, "nuits": true, "st": true, "nd": true, "rd": true, "th": true, "er": true,
	"fois": true, "times": true, "kg": true, "g": true, "m": true, "cm": true, "mois": true, "months": true,
	"weeks": true, "semaines": true, "%": true, "pour": false,
}

// beforeNotMoney are words before a number that make it a time, a date, a
// place or a count.
var beforeNotMoney = map[string]bool{
	"at": true, "a": true, "le": true, "la": true, "page": true, "room": true, "gate": true, "porte": true, "chambre": true,
	"bus": true, "version": true, "en": true, "in": true, "by": true, "until": true, "vers": true, "jusqu'a": true,
	"since": true, "depuis": true, "on": true, "iphone": true, "n°": true, "no": true, "number": true, "numero": true,
	"entre": true, "between": true, "code": true,
}

// findAmount returns the one amount text mentions; false when it mentions
// none or several.
func findAmount(s, currency string) (money.Money, bool) {
	var found []money.Money
	for _, loc := range amountRe.FindAllStringSubmatchIndex(s, -1) {
		start, end := loc[0], loc[1]
		numStart, numEnd := loc[4], loc[5]
		num := s[numStart:numEnd]
		signed := loc[2] >= 0 || loc[6] >= 0
		// Part of a word, a code, a phone number, a date or a time.
		if start > 0 {
			p := s[start-1]
			if isWordByte(p) || strings.IndexByte("/:#°+-.,'", p) >= 0 {
				continue
			}
		}
		rest := s[end:]
		if rest != "" && (isWordByte(rest[0]) || strings.IndexByte("/:%°", rest[0]) >= 0) && !signed {
			continue // "8h30", "14/02", "18:45", "50%", "15e"
		}
		if strings.HasPrefix(rest, " ") && len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' {
			continue // "06 12 34": a phone number
		}
		if len(num) > 1 && num[0] == '0' && !strings.ContainsAny(num, ".,") {
			continue // "07700"
		}
		if start > 0 && s[start-1] == ' ' && start > 1 && s[start-2] >= '0' && s[start-2] <= '9' {
			continue // the end of a phone number
		}
		if !signed {
			next := firstWord(rest)
			if units[next] || units[strings.TrimRight(next, ".,!?;:")] {
				continue
			}
			if beforeNotMoney[lastWord(s[:start])] {
				continue
			}
		}
		cur := currency
		switch {
		case loc[2] >= 0:
			cur = currencyOf(strings.TrimSpace(s[loc[2]:loc[3]]), currency)
		case loc[6] >= 0:
			cur = currencyOf(strings.TrimSpace(s[loc[6]:loc[7]]), currency)
		}
		d, err := decimal.NewFromString(strings.Replace(num, ",", ".", 1))
		if err != nil || !d.IsPositive() {
			continue
		}
		if i := strings.IndexAny(num, ".,"); i >= 0 && len(num)-i-1 > 2 {
			continue // "1.234" and "12.345": not what people owe each other in a chat
		}
		m, err := money.New(d, cur)
		if err != nil {
			continue
		}
		dup := false
		for _, f := range found {
			if f.Currency == m.Currency && f.Amount.Equal(m.Amount) {
				dup = true
			}
		}
		if !dup {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		return money.Money{}, false
	}
	return found[0], true
}

// currencyOf reads a currency sign or word; "balles" and "bucks" are the
// thread's own money.
func currencyOf(w, thread string) string {
	switch w {
	case "€", "eur", "euro", "euros", "e":
		return "EUR"
	case "$", "dollar", "dollars":
		return "USD"
	case "£", "quid", "pound", "pounds":
		return "GBP"
	}
	return thread
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// Person is a member of the thread a message was posted in.
type Person struct {
	ID   int64
	Name string
}

// Parties says who the talk is between: the debtor and the creditor of a
// debt, or for a bill to share its author and the other person when there
// is one (0 otherwise). The other person is the one the message names with
// @ (the only mention that is a member other than the author), else, in a
// thread of two, the other member. A debt whose other person cannot be told
// (no mention in a group, a mention of nobody in the thread or of someone
// who left, two people mentioned) has no parties: ok is false.
func (t Talk) Parties(author int64, members []Person) (debtor, creditor int64, ok bool) {
	var others []Person
	names := []string{}
	for _, m := range members {
		if m.ID != author {
			others = append(others, m)
			names = append(names, m.Name)
		}
	}
	other := int64(0)
	switch {
	case len(t.Mentions) > 0:
		for _, mention := range t.Mentions {
			i := Match(mention, names)
			if i < 0 {
				return 0, 0, false // nobody here, or not only one
			}
			if other != 0 && other != others[i].ID {
				return 0, 0, false // two people
			}
			other = others[i].ID
		}
	case len(others) == 1 && len(members) == 2:
		other = others[0].ID
	}
	switch {
	case t.Kind != Share && other == 0:
		return 0, 0, false
	case t.Kind == Owe:
		return author, other, true
	case t.Kind == Owed:
		return other, author, true
	case t.Kind == Share:
		return author, other, true
	}
	return 0, 0, false
}
