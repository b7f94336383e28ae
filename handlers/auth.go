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

// Login limits. Guesses at one account from one address are limited
// tightly; one address's guesses at any accounts less so; and one account's
// guesses from everywhere loosely, against guessing spread over many
// addresses. So one attacker, from one address, cannot lock anyone else out.
const (
	loginPerAccountAddress = 10
	loginPerAddress        = 50
	loginPerAccount        = 100
	loginWindow            = 15 * time.Minute
)

func handleSignupForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		render(w, r, http.StatusOK, views.SignupPage(layout(r, views.T(r.Context(), "signup.title")), views.Form{}))
	})
}

// handleSignup answers every sign-up that passes the form's checks with
// "check your email", whether or not the address has an account, and
// mails either the link that makes the account or, to the account that
// has the address, a word that someone tried (with links to log in and to
// reset the password). The mail leaves after the answer, and the password
// is hashed either way, so neither the answer nor its timing tells who has
// an account.
func handleSignup(log *slog.Logger, store *db.DB, notify db.Notifier, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		in := db.SignUp{
			DisplayName: r.PostForm.Get("name"),
			Email:       r.PostForm.Get("email"),
			Password:    r.PostForm.Get("password"),
			Locale:      views.Locale(r.Context()),
		}
		f := views.Form{Problems: in.Problems(), Values: map[string]string{"name": in.DisplayName, "email": in.Email}}
		if len(f.Problems) > 0 {
			render(w, r, http.StatusUnprocessableEntity, views.SignupPage(layout(r, views.T(r.Context(), "signup.title")), f))
			return
		}
		// Counted whether or not the address has an account, so a limit
		// reached tells nothing either.
		if !withinLimits(w, r, log, store, rateLimit{"signup:address:" + clientAddress(r), signupsPerAddress, signupWindow},
			rateLimit{"signup:email:" + in.Email, signupsPerEmail, signupWindow}) {
			return
		}
		req, err := store.RequestSignup(r.Context(), in)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		n := db.Notification{To: in.Email, Kind: db.NotifySignupConfirm, Locale: in.Locale,
			Data: map[string]any{"name": in.DisplayName, "link": baseURL + "/signup/confirm/" + req.Token, "hours": int(db.SignupLinkTTL.Hours())}}
		if req.Exists {
			u := req.Existing
			n = db.Notification{UserID: u.ID, To: u.Email, Kind: db.NotifySignupExists, Locale: u.Locale,
				Data: map[string]any{"name": u.DisplayName, "login": baseURL + "/login", "forgot": baseURL + "/password/forgot"}}
		}
		go sendSignupMail(context.WithoutCancel(r.Context()), log, notify, n)
		render(w, r, http.StatusOK, views.SignupSentPage(layout(r, views.T(r.Context(), "signup.sent.title")), in.Email))
	})
}

// sendSignupMail mails a sign-up's link, or the word to the account that
// has the address. A mail that did not leave is logged, not shown: saying
// so would tell whether the account exists.
func sendSignupMail(ctx context.Context, log *slog.Logger, notify db.Notifier, n db.Notification) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := notify.Notify(ctx, n); err != nil {
		log.Error("sign-up mail not sent", "kind", n.Kind, "err", err)
	}
}

// signupDead answers a sign-up link that is unknown, used or expired.
func signupDead(w http.ResponseWriter, r *http.Request) {
	render(w, r, http.StatusNotFound, views.SignupDeadPage(layout(r, views.T(r.Context(), "reset.dead.title"))))
}

// handleSignupConfirmForm is where the mailed link leads: a button, since
// opening the link alone must not make the account.
func handleSignupConfirmForm(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		email, err := store.SignupEmail(r.Context(), r.PathValue("token"))
		if db.ErrorCode(err) == db.ENOTFOUND {
			signupDead(w, r)
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusOK, views.SignupConfirmPage(layout(r, views.T(r.Context(), "signup.confirm.title")), email, r.URL.Path))
	})
}

// handleSignupConfirm makes the account and logs this browser in.
func handleSignupConfirm(log *slog.Logger, store *db.DB, s *sessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := store.ConfirmSignup(r.Context(), r.PathValue("token"))
		if db.ErrorCode(err) == db.ENOTFOUND {
			signupDead(w, r)
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if err := s.start(w, r, u.ID); err != nil {
			fail(w, r, log, err)
			return
		}
		log.Info("signed up", "user_id", u.ID)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

func handleLoginForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := views.Form{Values: map[string]string{"next": localPath(r.URL.Query().Get("next"))}}
		render(w, r, http.StatusOK, views.LoginPage(layout(r, views.T(r.Context(), "login.title")), f))
	})
}

func handleLogin(log *slog.Logger, store *db.DB, s *sessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
		f := views.Form{
			Values:   map[string]string{"email": email, "next": localPath(r.PostForm.Get("next"))},
			Problems: map[string]string{},
		}
		page := func(status int) {
			render(w, r, status, views.LoginPage(layout(r, views.T(r.Context(), "login.title")), f))
		}
		if email == "" {
			f.Problems["email"] = "email_required"
		}
		if r.PostForm.Get("password") == "" {
			f.Problems["password"] = "password_short"
		}
		if len(f.Problems) > 0 {
			page(http.StatusUnprocessableEntity)
			return
		}
		// Every attempt counts, before the password is checked, so parallel
		// guesses cannot slip past the limit together. An attempt refused by
		// one limit is not counted against the next.
		addr := clientAddress(r)
		for _, lim := range []struct {
			key string
			max int
		}{
			{"login:address:" + addr, loginPerAddress},
			{"login:account-address:" + email + " " + addr, loginPerAccountAddress},
			{"login:account:" + email, loginPerAccount},
		} {
			ok, retry, err := store.Hit(r.Context(), lim.key, lim.max, loginWindow)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			if !ok {
				w.Header().Set("Retry-After", fmt.Sprint(int(retry.Seconds())))
				f.Error = views.T(r.Context(), "login.limited", waitText(retry))
				page(http.StatusTooManyRequests)
				return
			}
		}
		u, err := store.Authenticate(r.Context(), email, r.PostForm.Get("password"))
		if db.ErrorCode(err) == db.EUNAUTHORIZED {
			f.Error = "login.wrong"
			page(http.StatusUnauthorized)
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		store.ResetHits(r.Context(), "login:account-address:"+email+" "+addr)
		if err := s.start(w, r, u.ID); err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, f.Values["next"], http.StatusSeeOther)
	})
}

// waitText says how long to wait, rounded up to whole minutes past a minute.
func waitText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d.Seconds())+1)
	}
	return fmt.Sprintf("%d min", int(d.Minutes())+1)
}

func handleLogout(log *slog.Logger, s *sessionManager, broker *Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.end(w, r); err != nil {
			fail(w, r, log, err)
			return
		}
		broker.Revoked(r.Context())
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

func handleLogoutEverywhere(log *slog.Logger, store *db.DB, s *sessionManager, broker *Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := store.DeleteUserSessions(r.Context(), currentUser(r).ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		s.clear(w, r)
		broker.Revoked(r.Context())
		log.Info("logged out everywhere", "user_id", currentUser(r).ID, "sessions", n)
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}

func handleLocale(log *slog.Logger, store *db.DB, production bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		l := r.PostForm.Get("locale")
		if !views.Supported(l) {
			renderError(w, r, http.StatusUnprocessableEntity, "error.400")
			return
		}
		http.SetCookie(w, &http.Cookie{Name: localeCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: production, SameSite: http.SameSiteLaxMode})
		if u := currentUser(r); u != nil {
			if err := store.SetLocale(r.Context(), u.ID, l); err != nil {
				fail(w, r, log, err)
				return
			}
		}
		http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
	})
}

func handleKeepForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !currentUser(r).IsGuest {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		render(w, r, http.StatusOK, views.KeepAccountPage(layout(r, views.T(r.Context(), "keep.title")), views.Form{}))
	})
}

// handleKeep lets a guest add an email and password to keep the account.
func handleKeep(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		u := currentUser(r)
		in := db.SignUp{DisplayName: u.DisplayName, Email: r.PostForm.Get("email"), Password: r.PostForm.Get("password")}
		f := views.Form{Values: map[string]string{"email": in.Email}, Problems: in.Problems()}
		page := func(status int) {
			render(w, r, status, views.KeepAccountPage(layout(r, views.T(r.Context(), "keep.title")), f))
		}
		if len(f.Problems) > 0 {
			page(http.StatusUnprocessableEntity)
			return
		}
		_, err := store.KeepAccount(r.Context(), u.ID, in.Email, in.Password)
		if db.ErrorCode(err) == db.ECONFLICT {
			f.Error = views.ErrorText(r.Context(), err)
			page(http.StatusConflict)
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, "/", http.StatusSeeOther)
	})
}
