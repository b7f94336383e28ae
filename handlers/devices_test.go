package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const (
	iPhoneSafari   = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
	windowsFirefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
)

// uaTransport sends every request of one client with its browser's User-Agent.
type uaTransport string

func (ua uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", string(ua))
	return http.DefaultTransport.RoundTrip(r)
}

// The account page lists the signed-in devices, this one marked; signing
// one out revokes its session for real (its cookie stops working), and
// nobody can sign out someone else's device.
func TestDevicesListAndSignOut(t *testing.T) {
	app := newApp(t)
	phone, laptop := app.client(), app.client()
	phone.hc.Transport, laptop.hc.Transport = uaTransport(iPhoneSafari), uaTransport(windowsFirefox)
	phone.signup("Olivia", "olivia@example.com", "correct horse")
	wantStatus(t, "laptop login", laptop.post("/login", url.Values{"email": {"olivia@example.com"}, "password": {"correct horse"}}), http.StatusSeeOther)

	page := phone.get("/account")
	wantStatus(t, "account page", page, http.StatusOK)
	wantBody(t, "account page", page, "Safari on iPhone", "Firefox on Windows", `data-testid="this-device"`, "Last active now")
	if n := strings.Count(page.body, `data-testid="device"`); n != 2 {
		t.Fatalf("%d devices listed; want 2", n)
	}
	// This device comes first, and is the phone.
	first := page.body[strings.Index(page.body, `data-testid="device"`):]
	if !strings.HasPrefix(first, `data-testid="device" data-current="true"`) || strings.Index(first, "Safari on iPhone") > strings.Index(first, "Firefox on Windows") {
		t.Errorf("the current device is not listed first as this device")
	}
	actions := regexp.MustCompile(`/account/devices/(\d+)/sign-out`).FindAllStringSubmatch(page.body, -1)
	laptopNumber := actions[1][1]

	// Someone else cannot sign Olivia's laptop out.
	mallory := app.client()
	mallory.signup("Mallory", "mallory@example.com", "correct horse")
	mallory.post("/account/devices/"+laptopNumber+"/sign-out", nil)
	wantStatus(t, "laptop after Mallory's try", laptop.get("/account"), http.StatusOK)

	res := phone.post("/account/devices/"+laptopNumber+"/sign-out", nil)
	wantStatus(t, "sign the laptop out", res, http.StatusSeeOther)
	wantBody(t, "after signing out", phone.get(res.header.Get("Location")), "That device was logged out.")
	gone := laptop.get("/account")
	wantStatus(t, "laptop after sign-out", gone, http.StatusSeeOther)
	if !strings.HasPrefix(gone.header.Get("Location"), "/login") {
		t.Errorf("laptop after sign-out: sent to %q", gone.header.Get("Location"))
	}
	wantStatus(t, "laptop posting after sign-out", laptop.post("/threads", url.Values{"name": {"X"}, "currency": {"EUR"}}), http.StatusUnauthorized)
	if n := strings.Count(phone.get("/account").body, `data-testid="device"`); n != 1 {
		t.Errorf("%d devices after signing the laptop out; want 1", n)
	}

	// Signing out this device signs this browser out.
	phoneNumber := actions[0][1]
	res = phone.post("/account/devices/"+phoneNumber+"/sign-out", nil)
	wantStatus(t, "sign this device out", res, http.StatusSeeOther)
	wantStatus(t, "phone after signing itself out", phone.get("/account"), http.StatusSeeOther)

	// A guest's account page offers to keep the account.
	olivia := app.client()
	olivia.signup("Olivia", "olivia2@example.com", "correct horse")
	guest := app.joinAsGuest(olivia.inviteURL(olivia.newThread("Pizza Friday")), "Sam")
	wantBody(t, "a guest's account page", guest.get("/account"), `data-testid="account-keep"`, `href="/account/keep"`, `data-testid="this-device"`)

	// In French.
	fr := app.client()
	fr.hc.Transport = uaTransport(windowsFirefox)
	fr.post("/locale", url.Values{"locale": {"fr"}})
	fr.signup("Léa", "lea@example.com", "correct horse")
	wantBody(t, "account page in French", fr.get("/account"), "Appareils connectés", "Firefox sur Windows", "Cet appareil", "Déconnecter")
}
