package handlers

import (
	"log/slog"
	"net/http"

	"divvy/db"
	"divvy/views"
)

// handlePayLinkShow opens a split's pay link: straight to the viewer's share
// when they are in the split, else a one-step join (a name is enough).
func handlePayLinkShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		s, err := store.SplitByPayToken(r.Context(), token)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "paylink.invalid")
			return
		}
		if u := currentUser(r); u != nil {
			if _, _, err := store.Membership(r.Context(), s.ThreadID, u.ID); err == nil {
				if _, ok := s.ShareOf(u.ID); ok {
					http.Redirect(w, r, splitPath(s.ThreadID, s.ID)+"/pay", http.StatusSeeOther)
					return
				}
			}
		}
		render(w, r, http.StatusOK, views.JoinPage(layout(r, s.Title), payLinkJoin(r, token, s)))
	})
}

// handlePayLink joins the thread (as a guest when signed out), takes a share
// of the split when the split allows it, and goes to paying it.
func handlePayLink(log *slog.Logger, store *db.DB, s *sessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		token := r.PathValue("token")
		split, err := store.SplitByPayToken(r.Context(), token)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "paylink.invalid")
			return
		}
		u, ok := signedInOrGuest(w, r, log, store, s, payLinkJoin(r, token, split))
		if !ok {
			return
		}
		joined, err := store.JoinBySplitLink(r.Context(), token, u.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if !joined.InSplit {
			// A member now, but this split cannot take them in: the
			// thread says who to ask.
			http.Redirect(w, r, threadPath(joined.Split.ThreadID), http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, splitPath(joined.Split.ThreadID, joined.Split.ID)+"/pay", http.StatusSeeOther)
	})
}

func payLinkJoin(r *http.Request, token string, s db.Split) views.Join {
	return views.Join{Action: "/pay/" + token, Title: views.T(r.Context(), "paylink.title", s.Title), ThreadName: s.Title,
		SignedIn: currentUser(r) != nil, Lead: views.T(r.Context(), "paylink.lead", s.CollectorName, views.Money(r.Context(), s.Total))}
}
