package handlers_test

import (
	"net/http"
	"net/url"
	"testing"
)

// Payment setup refuses the PINs people pick most, as banks do, with a
// sentence; an ordinary PIN is taken.
func TestPaymentSetupRefusesCommonPINs(t *testing.T) {
	app := newApp(t)
	c := app.client()
	c.signup("Sam", "sam@example.com", "correct horse")
	form := func(pin string) url.Values {
		return url.Values{"legal_name": {"Sam"}, "contact": {"sam@example.com"}, "card_number": {"4242424242424242"},
			"exp_month": {"12"}, "exp_year": {"35"}, "cvc": {"123"}, "pin": {pin}, "pin_confirm": {pin}}
	}
	for _, pin := range []string{"112233", "123321", "147258", "159753", "102030", "111222", "000001",
		"123456", "654321", "999999", "121212", "135791", "258369", "100000"} {
		res := c.post("/payments/setup", form(pin))
		wantStatus(t, "setup with PIN "+pin, res, http.StatusUnprocessableEntity)
		wantBody(t, "setup with PIN "+pin, res, "one of the most common")
	}
	fr := app.client()
	fr.signup("Léa", "lea@example.com", "correct horse")
	fr.post("/locale", url.Values{"locale": {"fr"}})
	wantBody(t, "French", fr.post("/payments/setup", form("147258")), "fait partie des plus courants")
	wantStatus(t, "setup with an ordinary PIN", c.post("/payments/setup", form("482913")), http.StatusSeeOther)
}
