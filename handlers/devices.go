package handlers

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"divvy/db"
	"divvy/views"
)

// handleAccount shows who is signed in and on which devices.
func handleAccount(log *slog.Logger, store *db.DB, s *sessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		devices, err := store.Devices(r.Context(), u.ID, s.sessionID(r))
		if err != nil {
			fail(w, r, log, err)
			return
		}
		a := views.Account{Name: u.DisplayName, Email: u.Email, IsGuest: u.IsGuest}
		for _, d := range devices {
			a.Devices = append(a.Devices, views.DeviceItem{
				ID:        d.ID,
				UserAgent: d.UserAgent,
				SignedIn:  views.DateTime(r.Context(), d.CreatedAt),
				SeenAt:    seenText(r, d.SeenAt),
				Current:   d.Current,
			})
		}
		l := layout(r, views.T(r.Context(), "account.title"))
		switch r.URL.Query().Get("done") {
		case "password":
			l.Notice = views.T(r.Context(), "account.changed")
		case "signed-out":
			l.Notice = views.T(r.Context(), "devices.signed_out")
		}
		render(w, r, http.StatusOK, views.AccountPage(l, a))
	})
}

// seenText is when a device was last used; a session's use is recorded at
// most once a minute, so the last two minutes read as "now".
func seenText(r *http.Request, t time.Time) string {
	if time.Since(t) < 2*time.Minute {
		return views.T(r.Context(), "devices.now")
	}
	return views.DateTime(r.Context(), t)
}

// handleDeviceSignOut revokes one of the person's sessions: that device's
// next request finds its session gone and is signed out.
func handleDeviceSignOut(log *slog.Logger, store *db.DB, s *sessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.ParseInt(r.PathValue("device"), 10, 64)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		u := currentUser(r)
		wasCurrent, err := store.SignOutDevice(r.Context(), u.ID, n, s.sessionID(r))
		if err != nil && db.ErrorCode(err) != db.ENOTFOUND { // already gone is what was asked
			fail(w, r, log, err)
			return
		}
		if wasCurrent {
			s.clear(w, r)
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		log.Info("device signed out", "user_id", u.ID)
		http.Redirect(w, r, "/account?done=signed-out", http.StatusSeeOther)
	})
}
