package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"divvy/db"
	"divvy/views"
)

func init() { noticeKeys["payments.removed"] = true }

// handlePaymentsRemoveShow is the page that turns payments off: what it
// does, and either what stops it now or the PIN form. Without payments set
// up, the Money page.
func handlePaymentsRemoveShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := views.RemoveView{}
		err := store.PaymentsRemovable(r.Context(), currentUser(r).ID)
		switch db.ErrorCode(err) {
		case "":
		case db.ENOTFOUND:
			http.Redirect(w, r, "/money", http.StatusSeeOther)
			return
		case db.ECONFLICT:
			v.Blocked = views.ErrorText(r.Context(), err)
		default:
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusOK, views.RemovePaymentsPage(layout(r, views.T(r.Context(), "remove.title")), v))
	})
}

// handlePaymentsRemove turns payments off with the PIN: 303 to the Money
// page; 422 (429 when locked) for the PIN; 409 with the sentence while
// something is pending or left to withdraw; without payments, the Money
// page.
func handlePaymentsRemove(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ctx := r.Context()
		v := views.RemoveView{Form: views.Form{Problems: map[string]string{}}}
		page := func(status int) {
			render(w, r, status, views.RemovePaymentsPage(layout(r, views.T(ctx, "remove.title")), v))
		}
		err := store.RemovePayments(ctx, currentUser(r).ID, r.PostForm.Get("pin"))
		var pin *db.PINRefused
		switch {
		case err == nil:
			http.Redirect(w, r, "/money?notice=payments.removed", http.StatusSeeOther)
		case errors.As(err, &pin):
			status := http.StatusUnprocessableEntity
			if db.ErrorCode(err) == db.ETOOMANY {
				status = http.StatusTooManyRequests
				if !pin.LockedUntil.IsZero() {
					w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(pin.LockedUntil).Seconds())+1))
				}
			}
			v.Form.Problems["pin"] = pinProblem(r, pin)
			page(status)
		case db.ErrorCode(err) == db.ENOTFOUND:
			http.Redirect(w, r, "/money", http.StatusSeeOther)
		case db.ErrorCode(err) == db.ECONFLICT:
			v.Blocked = views.ErrorText(ctx, err)
			page(http.StatusConflict)
		default:
			fail(w, r, log, err)
		}
	})
}
