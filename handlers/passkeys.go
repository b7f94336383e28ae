package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

func init() {
	noticeKeys["passkey.added_notice"] = true
	noticeKeys["passkey.removed_notice"] = true
}

// passkeyOffer is "Confirm with fingerprint or face" on a payment form
// for this payment id and amount (amount zero: the form's amount field
// says it, in currency), when the payer has a passkey that can confirm.
func passkeyOffer(r *http.Request, log *slog.Logger, store *db.DB, paymentID string, amount money.Money, currency string) views.PasskeyOffer {
	u := currentUser(r)
	if u == nil || (amount.Currency == "" && currency == "") {
		return views.PasskeyOffer{}
	}
	ok, err := store.HasPasskey(r.Context(), u.ID)
	if err != nil {
		// The PIN still confirms: the page goes on without the offer.
		log.WarnContext(r.Context(), "passkeys not read", "user_id", u.ID, "err", err)
		return views.PasskeyOffer{}
	}
	o := views.PasskeyOffer{On: ok, PaymentID: paymentID, Currency: currency}
	if amount.Currency != "" {
		o.Amount, o.Currency = amount.Amount.StringFixed(minorOf(amount)), amount.Currency
	}
	return o
}

// minorOf is the number of decimals of an amount's currency.
func minorOf(m money.Money) int32 {
	if c, ok := money.LookupCurrency(m.Currency); ok {
		return c.Minor
	}
	return 2
}

// passkeysView is the passkeys page of the signed-in person.
func passkeysView(r *http.Request, store *db.DB) (views.PasskeysView, error) {
	ctx := r.Context()
	keys, err := store.Passkeys(ctx, currentUser(r).ID)
	if err != nil {
		return views.PasskeysView{}, err
	}
	v := views.PasskeysView{On: store.PasskeysOn(), Max: len(keys) >= db.MaxPasskeys}
	for _, k := range keys {
		line := views.PasskeyLine{ID: k.ID, Name: k.Name, Added: views.Date(ctx, k.CreatedAt), Locked: k.Locked}
		if !k.LastUsedAt.IsZero() {
			line.LastUsed = views.Date(ctx, k.LastUsedAt)
		}
		v.Passkeys = append(v.Passkeys, line)
	}
	return v, nil
}

// renderPasskeys shows the passkeys page, after payment setup and
// activation (passkeys confirm payments: nothing to confirm before).
func renderPasskeys(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, status int, edit func(*views.PasskeysView)) {
	prof, err := store.PaymentProfile(r.Context(), currentUser(r).ID)
	if db.ErrorCode(err) == db.ENOTFOUND || (err == nil && !prof.Active) {
		http.Redirect(w, r, "/payments/setup?next=/payments/passkeys", http.StatusSeeOther)
		return
	}
	if err != nil {
		fail(w, r, log, err)
		return
	}
	v, err := passkeysView(r, store)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	if edit != nil {
		edit(&v)
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render(w, r, status, views.PasskeysPage(layout(r, views.T(r.Context(), "passkey.title")), v))
}

// handlePasskeys is the passkeys page of payment settings: the list, add,
// remove.
func handlePasskeys(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderPasskeys(w, r, log, store, http.StatusOK, nil)
	})
}

// wantsJSON says whether the request is the passkeys script's (fetch), not
// a form sent by a browser without JavaScript.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// jsonRefusal answers the script with the sentence of a refusal (the
// field it is about, when one), or fails as any request would.
func jsonRefusal(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var pin *db.PINRefused
	switch {
	case errors.As(err, &pin):
		status := http.StatusUnprocessableEntity
		if pin.Err.Code == db.ETOOMANY {
			status = http.StatusTooManyRequests
		}
		writeJSON(w, status, map[string]string{"error": views.ErrorText(r.Context(), pin), "field": "pin"})
	case errors.Is(err, db.ErrSetupFirst):
		writeJSON(w, http.StatusConflict, map[string]string{"error": views.ErrorText(r.Context(), err)})
	case db.ErrorCode(err) == db.EINTERNAL:
		log.ErrorContext(r.Context(), "passkey request failed", "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": views.T(r.Context(), "error.500")})
	default:
		writeJSON(w, errStatusOf(err), map[string]string{"error": views.ErrorText(r.Context(), err)})
	}
}

// errStatusOf is the HTTP status of a refusal.
func errStatusOf(err error) int {
	switch db.ErrorCode(err) {
	case db.ENOTFOUND:
		return http.StatusNotFound
	case db.ECONFLICT:
		return http.StatusConflict
	case db.ETOOMANY:
		return http.StatusTooManyRequests
	case db.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnprocessableEntity
}

// handlePasskeyBegin starts adding a passkey, proven with the PIN: the
// options for navigator.credentials.create. A browser without JavaScript
// gets the page again, saying that adding one needs it.
func handlePasskeyBegin(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		if !wantsJSON(r) {
			renderPasskeys(w, r, log, store, http.StatusUnprocessableEntity, func(v *views.PasskeysView) {
				v.Add = views.Form{Values: map[string]string{"name": r.PostForm.Get("name")}, Error: views.T(r.Context(), "passkey.needs_js")}
			})
			return
		}
		options, err := store.BeginPasskey(r.Context(), currentUser(r).ID, r.PostForm.Get("pin"))
		if err != nil {
			jsonRefusal(w, r, log, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(options)
	})
}

// handlePasskeyAdd finishes adding a passkey with the browser's answer.
func handlePasskeyAdd(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		_, err := store.AddPasskey(r.Context(), currentUser(r).ID, r.PostForm.Get("name"), r.PostForm.Get("credential"))
		if err != nil {
			jsonRefusal(w, r, log, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"location": "/payments/passkeys?notice=passkey.added_notice"})
	})
}

// handlePasskeyRemove removes one of the viewer's passkeys, with the PIN.
func handlePasskeyRemove(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		id, err := strconv.ParseInt(r.PathValue("passkey"), 10, 64)
		if err != nil || id <= 0 {
			fail(w, r, log, db.ErrNotFound.New("passkey"))
			return
		}
		err = store.RemovePasskey(r.Context(), currentUser(r).ID, id, r.PostForm.Get("pin"))
		var pin *db.PINRefused
		switch {
		case err == nil:
			http.Redirect(w, r, "/payments/passkeys?notice=passkey.removed_notice", http.StatusSeeOther)
		case errors.As(err, &pin):
			status := http.StatusUnprocessableEntity
			if pin.Err.Code == db.ETOOMANY {
				status = http.StatusTooManyRequests
			}
			renderPasskeys(w, r, log, store, status, func(v *views.PasskeysView) {
				v.Remove = views.Form{Values: map[string]string{"passkey_id": itoa(id)}, Problems: map[string]string{"pin": pinProblem(r, pin)}}
			})
		default:
			fail(w, r, log, err)
		}
	})
}

// handlePaymentChallenge starts confirming one payment with a passkey: the
// options for navigator.credentials.get, whose challenge is bound to the
// form's payment id and amount (typed amounts read as the payment reads
// them, in currency by default).
func handlePaymentChallenge(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		f := r.PostForm
		currency := strings.ToUpper(strings.TrimSpace(f.Get("currency")))
		if _, ok := money.LookupCurrency(currency); !ok {
			currency = "EUR"
		}
		amount, err := money.Parse(f.Get("amount"), currency)
		if err != nil {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": views.ErrorText(r.Context(), err), "field": "amount"})
			return
		}
		options, err := store.PaymentChallenge(r.Context(), currentUser(r).ID, f.Get("payment_id"), amount)
		if err != nil {
			jsonRefusal(w, r, log, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(options)
	})
}
