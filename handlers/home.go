package handlers

import (
	"log/slog"
	"net/http"

	"divvy/db"
	"divvy/views"
)

// handleHome shows the landing page to visitors and the threads list to
// signed-in people.
func handleHome(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := currentUser(r)
		if u == nil {
			render(w, r, http.StatusOK, views.Landing(layout(r, "")))
			return
		}
		gs, err := store.ThreadsOf(r.Context(), u.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		h := views.Home{Name: u.DisplayName}
		for _, g := range gs {
			h.Threads = append(h.Threads, views.ThreadItem{ID: g.ID, Name: g.Name, Currency: g.Currency, Members: g.Members})
		}
		render(w, r, http.StatusOK, views.HomePage(layout(r, views.T(r.Context(), "home.title")), h))
	})
}
