package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// The Scan page may use the camera (no other page may), names the app's
// own origin for the links it opens, and is in French too.
func TestScanPage(t *testing.T) {
	t.Parallel()
	app := newApp(t)
	c := app.client()
	res := c.get("/scan")
	wantStatus(t, "scan", res, http.StatusOK)
	wantBody(t, "scan", res, `data-testid="scanner"`, `data-base="http://divvy.test"`, `accept="image/*"`, `capture="environment"`,
		"Scan a QR code", "/vendor/jsqr-1.4.0.js", "/scan.js")
	if pp := res.header.Get("Permissions-Policy"); !strings.Contains(pp, "camera=(self)") {
		t.Errorf("/scan Permissions-Policy %q: the camera is not allowed", pp)
	}
	if pp := c.get("/login").header.Get("Permissions-Policy"); !strings.Contains(pp, "camera=()") {
		t.Errorf("/login Permissions-Policy %q: the camera must stay off elsewhere", pp)
	}
	wantBody(t, "top bar", c.get("/login"), `href="/scan" data-testid="nav-scan"`)
	fr := app.client()
	fr.lang = "fr"
	wantBody(t, "French", fr.get("/scan"), "Scanner un code QR", "Prendre ou choisir une photo")
}
