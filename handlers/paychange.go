package handlers

import (
	"log/slog"
	"net/http"
	"strings"

	"divvy/db"
	"divvy/views"
)

// Changing the card or the PIN: a form proven with the current PIN, then
// the one-time code sent to the payment contact, then back to next (the
// Money page, or the payment that was declined).

func payChangeNext(r *http.Request) string {
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostForm.Get("next")
	}
	if next == "" {
		return "/money"
	}
	return localPath(next)
}

// activeProfile answers for a person without active payments (to set up
// first) and reports whether the page may go on.
func activeProfile(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB) (db.PaymentProfile, bool) {
	prof, err := store.PaymentProfile(r.Context(), currentUser(r).ID)
	if err != nil || !prof.Active {
		if err != nil && db.ErrorCode(err) != db.ENOTFOUND {
			fail(w, r, log, err)
			return prof, false
		}
		http.Redirect(w, r, "/payments/setup?next="+payChangeNext(r), http.StatusSeeOther)
		return prof, false
	}
	return prof, true
}

func handleCardChangeShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prof, ok := activeProfile(w, r, log, store)
		if !ok {
			return
		}
		p := views.PayChange{Card: cardText(prof), Next: payChangeNext(r)}
		render(w, r, http.StatusOK, views.CardChangePage(layout(r, views.T(r.Context(), "paychange.card_title")), p))
	})
}

func handleCardChange(log *slog.Logger, store *db.DB, provider db.PaymentProvider, notify db.Notifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		prof, ok := activeProfile(w, r, log, store)
		if !ok {
			return
		}
		f := r.PostForm
		p := views.PayChange{Card: cardText(prof), Next: payChangeNext(r),
			Form: views.Form{Values: map[string]string{"exp_month": f.Get("exp_month"), "exp_year": f.Get("exp_year")}, Problems: map[string]string{}}}
		card := db.CardInput{Number: f.Get("card_number"), ExpMonth: f.Get("exp_month"), ExpYear: f.Get("exp_year"), CVC: f.Get("cvc")}
		err := store.StartCardChange(r.Context(), currentUser(r).ID, provider, notify, f.Get("pin"), card)
		if err == nil {
			http.Redirect(w, r, "/payments/confirm?next="+p.Next, http.StatusSeeOther)
			return
		}
		if !changeProblem(r, err, &p.Form, "card_number") {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusUnprocessableEntity, views.CardChangePage(layout(r, views.T(r.Context(), "paychange.card_title")), p))
	})
}

// changeProblem puts a refusal next to its field: PIN refusals by the
// PIN, a refused card by the card. It reports whether err was a refusal.
func changeProblem(r *http.Request, err error, f *views.Form, field string) bool {
	text := views.ErrorText(r.Context(), err)
	reason := db.ReasonOf(err)
	switch {
	case strings.HasPrefix(reason, "pin."):
		f.Problems["pin"] = text
	case strings.HasPrefix(reason, "paychange.pin_"):
		f.Problems[field] = text
	case db.ErrorCode(err) == db.EINVALID || db.ErrorCode(err) == db.EDECLINED:
		f.Problems[field] = text
	case db.ErrorCode(err) == db.ETOOMANY || db.ErrorCode(err) == db.EUNAVAILABLE || db.ErrorCode(err) == db.ECONFLICT:
		f.Error = text
	default:
		return false
	}
	return true
}

func handlePINChangeShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := activeProfile(w, r, log, store); !ok {
			return
		}
		render(w, r, http.StatusOK, views.PINChangePage(layout(r, views.T(r.Context(), "paychange.pin_title")), views.PayChange{Next: payChangeNext(r)}))
	})
}

func handlePINChange(log *slog.Logger, store *db.DB, notify db.Notifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		if _, ok := activeProfile(w, r, log, store); !ok {
			return
		}
		f := r.PostForm
		p := views.PayChange{Next: payChangeNext(r), Form: views.Form{Problems: map[string]string{}}}
		err := store.StartPINChange(r.Context(), currentUser(r).ID, notify, f.Get("pin"), f.Get("new_pin"), f.Get("new_pin_confirm"))
		if err == nil {
			http.Redirect(w, r, "/payments/confirm?next="+p.Next, http.StatusSeeOther)
			return
		}
		field := "new_pin"
		if db.ReasonOf(err) == db.ReasonOf(db.ErrNewPINMismatch.New()) {
			field = "new_pin_confirm"
		}
		if !changeProblem(r, err, &p.Form, field) {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusUnprocessableEntity, views.PINChangePage(layout(r, views.T(r.Context(), "paychange.pin_title")), p))
	})
}

func payChangeCodePage(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, status int, f views.Form) {
	pc, err := store.PendingPaymentChange(r.Context(), currentUser(r).ID)
	if err != nil {
		if db.ErrorCode(err) == db.ENOTFOUND {
			http.Redirect(w, r, payChangeNext(r), http.StatusSeeOther)
			return
		}
		fail(w, r, log, err)
		return
	}
	p := views.PayChange{Next: payChangeNext(r), Form: f, Change: pc.Kind, Contact: pc.Contact,
		NewCard: cardText(db.PaymentProfile{Brand: pc.Brand, Last4: pc.Last4})}
	render(w, r, status, views.PayChangeCodePage(layout(r, views.T(r.Context(), "paychange.code_title")), p))
}

func handlePayChangeCodeShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payChangeCodePage(w, r, log, store, http.StatusOK, views.Form{})
	})
}

func handlePayChangeConfirm(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		kind, err := store.ConfirmPaymentChange(r.Context(), currentUser(r).ID, strings.TrimSpace(r.PostForm.Get("code")))
		switch db.ErrorCode(err) {
		case "":
			next := payChangeNext(r)
			sep := "?"
			if strings.Contains(next, "?") {
				sep = "&"
			}
			http.Redirect(w, r, next+sep+"notice=paychange."+kind+"_done", http.StatusSeeOther)
		case db.EINVALID:
			payChangeCodePage(w, r, log, store, http.StatusUnprocessableEntity, views.Form{Problems: map[string]string{"code": views.ErrorText(r.Context(), err)}})
		case db.ENOTFOUND:
			http.Redirect(w, r, payChangeNext(r), http.StatusSeeOther)
		default:
			fail(w, r, log, err)
		}
	})
}
