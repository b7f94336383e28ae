package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A new thread says what to do first; the split button has a visible word;
// the card says what is left to collect and from how many people; guests
// see guest things; number fields bring up a keypad.
func TestFirstUseGuidance(t *testing.T) {
	p := newPizza(t)
	t.Parallel()
	page := p.org.get(p.thread)
	wantBody(t, "quiet thread", page, `data-testid="thread-guide"`, "Invite people with a link or a QR code", `<span aria-hidden="true">€</span> Split</a>`)
	p.org.post(p.thread+"/messages", url.Values{"body": {"Pizza?"}})
	if strings.Contains(p.org.get(p.thread).body, `data-testid="thread-guide"`) {
		t.Errorf("the guide stays once people talk")
	}

	wantStatus(t, "create", p.org.post(p.thread+"/splits", p.splitForm("Pizza night", "47,50", "equal", "Olivia", "Sam", "Léa", "Léa")), http.StatusSeeOther)
	wantBody(t, "progress", p.org.get(p.thread), "€31.66 to collect from 2 people")

	guest := p.sam.get(p.thread)
	wantBody(t, "guest nav", guest, "Keep your account")
	if strings.Contains(guest.body, "Log out everywhere") {
		t.Errorf("a guest is offered to log out everywhere")
	}
	if !strings.Contains(page.body, "Log out everywhere") {
		t.Errorf("an account holder is not offered to log out everywhere")
	}

	form := p.org.get(p.thread + "/splits/new")
	wantBody(t, "total keypad", form, `name="total" type="text" value="" autocomplete="off" inputmode="decimal"`)
	setup := p.sam.get("/payments/setup?next=/money")
	wantBody(t, "card keypads", setup, `autocomplete="cc-number" inputmode="numeric"`, `autocomplete="cc-csc" inputmode="numeric"`,
		`name="pin" type="password" value="" autocomplete="off" inputmode="numeric"`)
}
