package handlers_test

import (
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"divvy/db"
	"divvy/db/dbtest"
	"divvy/handlers"
)

// TestDevServerSaysWhereTheMailIs: a development server sends no mail, so
// its "check your email" pages point at the outbox, whose links can be
// followed; a production server says nothing of an outbox.
func TestDevServerSaysWhereTheMailIs(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	c := app.client()
	res := c.post("/signup", url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "password": {"correct horse"}})
	wantStatus(t, "sign-up", res, http.StatusOK)
	wantBody(t, "sign-up answer", res, `data-testid="dev-outbox-link"`, `href="/dev/outbox"`, "Open the outbox")
	fr := app.client()
	fr.lang = "fr"
	wantBody(t, "French forgot answer", fr.post("/password/forgot", url.Values{"email": {"eve@example.com"}}), "Ouvrir la boîte d’envoi")

	// Mails leave after the answer: wait until the sign-up's is written,
	// then the outbox page must link it.
	want := app.mailedLink("eve@example.com", db.NotifySignupConfirm, `/signup/confirm/[A-Za-z0-9_-]+`)
	outbox := c.get("/dev/outbox")
	wantStatus(t, "outbox", outbox, http.StatusOK)
	m := regexp.MustCompile(`<a href="http://divvy\.test(/signup/confirm/[A-Za-z0-9_-]+)">`).FindStringSubmatch(outbox.body)
	if m == nil {
		t.Fatalf("the outbox does not link the sign-up mail's address:\n%s", outbox.body)
	}
	if m[1] != want {
		t.Fatalf("the outbox links %s, the mail says %s", m[1], want)
	}
	wantStatus(t, "confirm from the outbox's link", c.post(m[1], nil), http.StatusSeeOther)
	wantBody(t, "signed in", c.get("/"), "Hello, Eve")

	prod := newAppFull(t, slog.New(slog.DiscardHandler), dbtest.New(t), nil, func(o *handlers.Options) { o.Production = true })
	res = prod.client().post("/signup", url.Values{"name": {"Eve"}, "email": {"eve@example.com"}, "password": {"correct horse"}})
	wantStatus(t, "production sign-up", res, http.StatusOK)
	if strings.Contains(res.body, "dev-outbox") || strings.Contains(res.body, "/dev/outbox") {
		t.Errorf("a production server's answer mentions the outbox")
	}
	wantStatus(t, "production outbox", prod.client().get("/dev/outbox"), http.StatusNotFound)
}
