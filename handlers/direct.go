package handlers

import (
	"log/slog"
	"net/http"
	"strconv"

	"divvy/db"
	"divvy/views"
)

// handleMessageContact opens the two-person thread with a contact ("Message
// Léa" on a member list), creating it the first time. Someone the viewer
// shares no thread with gets the 404 of a person who does not exist.
func handleMessageContact(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
		if err != nil || other <= 0 {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		g, err := store.OpenDirect(r.Context(), currentUser(r).ID, other)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, threadPath(g.ID), http.StatusSeeOther)
	})
}

// notDirect hides a group thread's routes (its invite link) in a
// two-person thread: 404, as for any route that is not there.
func notDirect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentMembership(r).thread.Direct {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// directView titles a two-person thread with the other person's name.
func directView(t *views.Thread) {
	t.Direct = true
	for i, m := range t.Members {
		t.Members[i].InDirect = true
		if !m.IsYou {
			t.With = m.Name
		}
	}
	if t.With == "" {
		t.With = t.Name // the other person left
	}
}
