// Package mail writes Divvy's e-mails and delivers them: every mail is a
// template per kind and language (templates/<kind>.<locale>.txt, the first
// line its subject), filled with the notification's data; SMTP sends them
// in production and the outbox keeps them in development.
package mail

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"

	"divvy/db"
	"divvy/db/money"
)

//go:embed templates/*.txt
var files embed.FS

// Locales the templates are written in; any other locale gets English.
var Locales = []string{"en", "fr"}

// Kinds of mail there is a template for.
var Kinds = []string{db.NotifyActivationCode, db.NotifyReminder, db.NotifyPasswordReset, db.NotifySignupConfirm, db.NotifySignupExists, db.NotifyMoneyWaiting}

var templates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, kind := range Kinds {
		for _, l := range Locales {
			name := kind + "." + l + ".txt"
			funcs := template.FuncMap{"money": func(m money.Money) string { return money.Format(m, l) }}
			out[kind+"."+l] = template.Must(template.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(files, "templates/"+name))
		}
	}
	return out
}()

// Compose returns the subject and plain-text body of n in n.Locale.
func Compose(n db.Notification) (subject, body string, err error) {
	l := n.Locale
	if l != "fr" {
		l = "en"
	}
	t, ok := templates[n.Kind+"."+l]
	if !ok {
		return "", "", fmt.Errorf("no mail template for %q", n.Kind)
	}
	// A line break in a value (a title typed with one) would end the
	// subject early or forge a header: values are one line each.
	data := make(map[string]any, len(n.Data))
	for k, v := range n.Data {
		if s, ok := v.(string); ok {
			v = strings.Join(strings.Fields(s), " ")
		}
		data[k] = v
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("mail %s.%s: %w", n.Kind, l, err)
	}
	subject, body, _ = strings.Cut(b.String(), "\n")
	return strings.TrimSpace(subject), strings.TrimLeft(body, "\n"), nil
}
