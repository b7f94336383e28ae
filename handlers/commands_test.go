package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A command in the composer opens the prefilled form; nothing is posted in
// the thread and no money moves.
func TestCommandsOpenPrefilledForms(t *testing.T) {
	p, direct := sendReady(t)
	t.Parallel()
	msgs := p.count(t, `SELECT count(*) FROM messages`)
	for _, c := range []struct {
		body, form string
		values     []string
	}{
		{"/send 20 @léa taxi", "send-form", []string{`value="20.00"`, `value="taxi"`, "To Léa"}},
		{"#envoyer 50EUR @Lea", "send-form", []string{`value="50.00"`, "To Léa"}},
		{"/pay 12,50 € @LÉA", "send-form", []string{`value="12.50"`}},
		{"/request 15,50 € @lea cinema", "request-form", []string{`value="15.50"`, `value="cinema"`, "From Léa"}},
		{"#demander 20 € @léa", "request-form", []string{`value="20.00"`}},
		{"/split 47,50 € pizza", "split-form", []string{`value="47.50"`, `value="pizza"`}},
	} {
		res := p.sam.post(direct+"/messages", url.Values{"body": {c.body}})
		wantStatus(t, c.body, res, http.StatusSeeOther)
		to := res.header.Get("Location")
		page := p.sam.get(to)
		wantStatus(t, c.body+" form", page, 200)
		wantBody(t, c.body, page, append([]string{`data-testid="` + c.form + `"`}, c.values...)...)
	}
	// With htmx the browser is sent to the form.
	req, _ := http.NewRequest(http.MethodPost, p.app.srv.URL+direct+"/messages", strings.NewReader(url.Values{"body": {"/send 5 @léa"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.app.srv.URL)
	req.Header.Set("HX-Request", "true")
	res := p.sam.do(req)
	wantStatus(t, "htmx command", res, 200)
	if !strings.HasPrefix(res.header.Get("HX-Redirect"), direct+"/send?") {
		t.Errorf("HX-Redirect %q", res.header.Get("HX-Redirect"))
	}
	if n := p.count(t, `SELECT count(*) FROM messages`); n != msgs {
		t.Errorf("%d messages after commands, want %d", n, msgs)
	}
	if n := p.count(t, `SELECT count(*) FROM ledger_transfers`); n != 0 {
		t.Errorf("%d transfers after commands, want 0", n)
	}
	// Not a command: an ordinary message.
	wantStatus(t, "hashtag", p.sam.post(direct+"/messages", url.Values{"body": {"#soirée ce soir"}}), http.StatusSeeOther)
	wantBody(t, "hashtag posted", p.lea.get(direct), "#soirée ce soir")
}

func TestCommandProblems(t *testing.T) {
	t.Parallel()
	p := newPizza(t)
	for _, c := range []struct{ body, says string }{
		{"/send 20 @nina", "Nobody called “nina” in this thread."},
		{"/send @léa taxi", "Add an amount"},
		{"/send 20 @léa 30", "One amount per command"},
		{"/send 20 @léa @olivia", "One person per command."},
		{"/send 20 taxi", "Say who with @"},
		{"/send 0 @léa", ""},
		{"/send 20 @sam", "You cannot send money to yourself"},
	} {
		res := p.sam.post(p.thread+"/messages", url.Values{"body": {c.body}})
		wantStatus(t, c.body, res, http.StatusUnprocessableEntity)
		wantBody(t, c.body, res, `data-testid="problem-body"`, `value="`+strings.ReplaceAll(c.body, "@", "@")+`"`, c.says)
	}
	if n := p.count(t, `SELECT count(*) FROM messages WHERE kind = 'text'`); n != 0 {
		t.Errorf("%d text messages after bad commands, want 0", n)
	}
	wantStatus(t, "Sam speaks French", p.sam.post("/locale", url.Values{"locale": {"fr"}, "next": {"/"}}), http.StatusSeeOther)
	res := p.sam.post(p.thread+"/messages", url.Values{"body": {"#envoyer 20 @nina"}})
	wantStatus(t, "nina en français", res, http.StatusUnprocessableEntity)
	wantBody(t, "nina en français", res, "Personne ne s’appelle « nina » dans ce fil.")
}
