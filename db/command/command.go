// Package command reads the money commands people type in a thread's
// composer, in English and French: "/send 20 @sam taxi", "/pay 20€ @léa",
// "/request 15,50 € @sam", "/split 47,50 € pizza", "#envoyer 50EUR @sam",
// "#demander 20 € @léa". A command never moves money: the app opens the
// prefilled form it names for the person to confirm. It is pure (no I/O).
package command

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"divvy/db/money"
)

// Kind is the form a command opens.
type Kind string

// Kinds of commands.
const (
	Send    Kind = "send"
	Request Kind = "request"
	Split   Kind = "split"
)

// verbs are the words that start a command, after "/" or "#", any case.
var verbs = map[string]Kind{
	"pay": Send, "send": Send, "payer": Send, "envoyer": Send, "envoie": Send, "paie": Send,
	"request": Request, "ask": Request, "demander": Request, "demande": Request,
	"split": Split, "partager": Split, "partage": Split,
}

// Command is a parsed command.
type Command struct {
	Kind    Kind
	Amount  money.Money
	Mention string // the person, as typed after "@" ("" when none)
	Note    string // the rest: what it is for
}

// Problems with a command (errors.Is); an amount that does not parse is the
// error of money.Parse.
var (
	ErrNoAmount   = errors.New("command: no amount")
	ErrTwoAmounts = errors.New("command: two amounts")
	ErrNoPerson   = errors.New("command: no person")
	ErrTwoPeople  = errors.New("command: two people")
	ErrTooLong    = errors.New("command: too long")
)

// maxLen bounds the text looked at: a command is one line.
const maxLen = 500

// Parse reads text as a command. ok is false when text is not one (its
// first word is not "/" or "#" and a known verb): it is an ordinary
// message. When ok, err says what is wrong with the command (no amount, two
// amounts, two people, no person to send to or ask, an amount that does not
// parse). currency is the thread's, for amounts typed without one.
func Parse(text, currency string) (c Command, ok bool, err error) {
	text = strings.TrimSpace(text)
	if text == "" || (text[0] != '/' && text[0] != '#') {
		return Command{}, false, nil
	}
	words := strings.Fields(text)
	kind, known := verbs[strings.ToLower(words[0][1:])]
	if !known {
		return Command{}, false, nil
	}
	c.Kind = kind
	if len(text) > maxLen || !utf8.ValidString(text) {
		return c, true, ErrTooLong
	}
	var amountErr error
	amounts := 0
	var note []string
	for i := 1; i < len(words); i++ {
		w := words[i]
		switch {
		case strings.HasPrefix(w, "@") && len(w) > 1:
			name := strings.TrimRightFunc(w[1:], isTrailingPunct)
			if name == "" {
				note = append(note, w)
				continue
			}
			if c.Mention != "" && !strings.EqualFold(c.Mention, name) {
				return c, true, ErrTwoPeople
			}
			c.Mention = name
		case looksLikeAmount(w):
			amounts++
			if amounts > 1 {
				return c, true, ErrTwoAmounts
			}
			// "15,50 €", "20 EUR": the currency may be the next word.
			if i+1 < len(words) && !looksLikeAmount(words[i+1]) && !strings.HasPrefix(words[i+1], "@") {
				if m, err := money.Parse(w+" "+words[i+1], currency); err == nil {
					c.Amount = m
					i++
					continue
				}
			}
			m, err := money.Parse(strings.TrimRightFunc(w, isTrailingPunct), currency)
			if err != nil {
				amountErr = err
				continue
			}
			c.Amount = m
		default:
			note = append(note, w)
		}
	}
	c.Note = strings.Join(note, " ")
	switch {
	case amountErr != nil:
		return c, true, amountErr
	case amounts == 0:
		return c, true, ErrNoAmount
	case c.Mention == "" && c.Kind != Split:
		return c, true, ErrNoPerson
	}
	return c, true, nil
}

// looksLikeAmount: a word with a digit is taken for the amount (so "2
// pizzas" is a second amount, refused, rather than a note that moves money
// by surprise).
func looksLikeAmount(w string) bool {
	return strings.ContainsFunc(w, func(r rune) bool { return r >= '0' && r <= '9' })
}

func isTrailingPunct(r rune) bool { return strings.ContainsRune(",.;:!?)»\"'", r) }

// Format writes a command the canonical way, in English: Parse reads it
// back to the same command.
func Format(c Command) string {
	var b strings.Builder
	b.WriteString("/" + string(c.Kind))
	if c.Amount.Currency != "" {
		cur, ok := money.LookupCurrency(c.Amount.Currency)
		minor := int32(2)
		if ok {
			minor = int32(cur.Minor)
		}
		fmt.Fprintf(&b, " %s%s", c.Amount.Amount.StringFixed(minor), c.Amount.Currency)
	}
	if c.Mention != "" {
		b.WriteString(" @" + c.Mention)
	}
	if c.Note != "" {
		b.WriteString(" " + c.Note)
	}
	return b.String()
}

// Fold is a name as mentions match it: lower case, without accents or
// spaces ("Léa Martin" and "@lea-martin"... are compared as "leamartin").
func Fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r2, ok := unaccent[r]; ok {
			b.WriteString(r2)
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var unaccent = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ñ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ý': "y", 'ÿ': "y", 'ß': "ss",
}

// Match returns the index of the name a mention means: the one whose folded
// form equals the mention's, else the only one whose first word does; -1
// when none or several do.
func Match(mention string, names []string) int {
	m := Fold(mention)
	if m == "" {
		return -1
	}
	for i, n := range names {
		if Fold(n) == m {
			return i
		}
	}
	found := -1
	for i, n := range names {
		first, _, _ := strings.Cut(strings.TrimSpace(n), " ")
		if Fold(first) == m {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}
