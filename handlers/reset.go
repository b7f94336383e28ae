package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"divvy/db"
	"divvy/views"
)

// Reset requests: mail bombing one address, and probing from one address.
// Both count whether or not an account has the email, so hitting a limit
// tells nothing about who has an account.
const (
	resetPerEmail   = 3
	resetPerAddress = 20
	resetWindow     = time.Hour
)

func handleForgotForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := views.Form{Values: map[string]string{"email": r.URL.Query().Get("email")}}
		render(w, r, http.StatusOK, views.ForgotPage(layout(r, views.T(r.Context(), "forgot.title")), f))
	})
}

// handleForgot mails a one-time reset link to the account with the typed
// email, if there is one, and answers the same either way.
func handleForgot(log *slog.Logger, store *db.DB, notify db.Notifier, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
		f := views.Form{Values: map[string]string{"email": r.PostForm.Get("email")}, Problems: map[string]string{}}
		page := func(status int) {
			render(w, r, status, views.ForgotPage(layout(r, views.T(r.Context(), "forgot.title")), f))
		}
		if p := db.EmailProblem(email); p != "" {
			f.Problems["email"] = p
			page(http.StatusUnprocessableEntity)
			return
		}
		for _, lim := range []struct {
			key string
			max int
		}{
			{"reset:address:" + clientAddress(r), resetPerAddress},
			{"reset:email:" + email, resetPerEmail},
		} {
			ok, retry, err := store.Hit(r.Context(), lim.key, lim.max, resetWindow)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			if !ok {
				w.Header().Set("Retry-After", fmt.Sprint(int(retry.Seconds())))
				f.Error = views.T(r.Context(), "forgot.limited", waitText(retry))
				page(http.StatusTooManyRequests)
				return
			}
		}
		token, u, found, err := store.RequestPasswordReset(r.Context(), email)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if found {
			// Sent after answering, so the answer takes as long for an
			// address with an account as for one without (a mail server
			// can take seconds).
			go sendResetLink(context.WithoutCancel(r.Context()), log, notify, u, baseURL+"/password/reset/"+token)
		}
		render(w, r, http.StatusOK, views.ForgotSentPage(layout(r, views.T(r.Context(), "forgot.sent.title")), email))
	})
}

// sendResetLink mails the link in the account's language. A mail that did
// not leave is logged, not shown: saying so would tell that the account exists.
func sendResetLink(ctx context.Context, log *slog.Logger, notify db.Notifier, u db.User, link string) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	n := db.Notification{UserID: u.ID, To: u.Email, Kind: db.NotifyPasswordReset, Locale: u.Locale,
		Data: map[string]any{"name": u.DisplayName, "link": link, "minutes": 30}}
	if err := notify.Notify(ctx, n); err != nil {
		log.Error("password reset link not sent", "user_id", u.ID, "err", err)
	}
}

// resetDead answers a reset link that is unknown, used or expired, with one
// page for all three.
func resetDead(w http.ResponseWriter, r *http.Request) {
	render(w, r, http.StatusNotFound, views.ResetDeadPage(layout(r, views.T(r.Context(), "reset.dead.title"))))
}

func handleResetForm(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := store.PasswordResetUser(r.Context(), r.PathValue("token"))
		if db.ErrorCode(err) == db.ENOTFOUND {
			resetDead(w, r)
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		f := views.Form{Values: map[string]string{"email": u.Email}}
		render(w, r, http.StatusOK, views.ResetPage(layout(r, views.T(r.Context(), "reset.title")), f, r.URL.Path))
	})
}

// handleReset sets the new password, which signs the account out
// everywhere, and signs this browser in with a new session.
func handleReset(log *slog.Logger, store *db.DB, s *sessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		token := r.PathValue("token")
		u, err := store.PasswordResetUser(r.Context(), token)
		if db.ErrorCode(err) == db.ENOTFOUND {
			resetDead(w, r)
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		password := r.PostForm.Get("password")
		if p := db.PasswordProblem(password); p != "" {
			f := views.Form{Values: map[string]string{"email": u.Email}, Problems: map[string]string{"password": p}}
			render(w, r, http.StatusUnprocessableEntity, views.ResetPage(layout(r, views.T(r.Context(), "reset.title")), f, r.URL.Path))
			return
		}
		u, err = store.ResetPassword(r.Context(), token, password)
		if db.ErrorCode(err) == db.ENOTFOUND {
			resetDead(w, r) // another use of the link won the race
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		store.ResetHits(r.Context(), "login:account:"+u.Email)
		if err := s.start(w, r, u.ID); err != nil {
			fail(w, r, log, err)
			return
		}
		log.Info("password reset", "user_id", u.ID)
		http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
	})
}
