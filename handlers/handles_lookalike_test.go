package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Handles that pass for someone else are refused with a sentence by the
// field (in English and French), and the form keeps what was typed; one
// person's tries are limited, so refusals cannot walk everyone's names.
func TestHandleLookalikesRefused(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	samWithHandle(t, app)
	lea := app.client()
	lea.signup("Léa Dubois", "lea@example.com", "correct horse")
	payReady(t, app, lea, "Lea", "739164", "/money")
	mal := app.client()
	mal.signup("Mallory", "mallory@example.com", "correct horse")
	payReady(t, app, mal, "Mallory", "615203", "/money")

	for typed, says := range map[string]string{
		"sarn.martin": "looks too much like someone else’s handle",
		"lea.dubois":  "reads as someone else’s name",
		"1ea-dubois":  "reads as someone else’s name",
		"adm1n":       "a word Divvy keeps for itself",
		"divvy.help":  "a word Divvy keeps for itself",
	} {
		res := mal.post("/money/handle", url.Values{"handle": {typed}})
		wantStatus(t, "handle "+typed, res, http.StatusUnprocessableEntity)
		wantBody(t, "handle "+typed, res, `data-testid="problem-handle"`, says, `value="`+typed+`"`)
	}
	mal.post("/locale", url.Values{"locale": {"fr"}, "next": {"/money"}})
	fr := mal.post("/money/handle", url.Values{"handle": {"Lea.Dubois"}})
	wantBody(t, "French", fr, "se lit comme le nom de quelqu’un d’autre")
	wantStatus(t, "Léa takes her own name", lea.post("/money/handle", url.Values{"handle": {"lea.dubois"}}), http.StatusSeeOther)

	limited := false
	for i := 0; i < 20 && !limited; i++ {
		res := mal.post("/money/handle", url.Values{"handle": {"sarn.martin"}})
		if res.status == http.StatusTooManyRequests {
			limited = true
		}
	}
	if !limited {
		t.Fatal("26 handle tries in a row, none limited")
	}
	var n int
	if err := app.store.SQL().Get(&n, `SELECT count(*) FROM handles`); err != nil || n != 2 {
		t.Errorf("%d handles (%v), want Sam's and Léa's", n, err)
	}
}
