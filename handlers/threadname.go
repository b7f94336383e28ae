package handlers

import (
	"log/slog"
	"net/http"

	"divvy/db"
)

// handleThreadRename renames the thread (its organizer only).
func handleThreadRename(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		if err := store.RenameThread(r.Context(), ms.thread.ID, currentUser(r).ID, r.PostForm.Get("name")); err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, threadPath(ms.thread.ID), http.StatusSeeOther)
	})
}
