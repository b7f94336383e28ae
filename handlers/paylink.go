package handlers

import (
	"log/slog"
	"net/http"
	"strconv"

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
		j := payLinkJoin(r, token, s)
		if currentUser(r) == nil {
			// People added by name before they joined: the first to say
			// "I am Nina" takes Nina's place and share.
			named, err := store.NamedGuestsInSplit(r.Context(), s.ThreadID, s.ID)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			for _, n := range named {
				j.Named = append(j.Named, views.Person{ID: n.UserID, Name: n.Name})
			}
		}
		render(w, r, http.StatusOK, views.JoinPage(layout(r, s.Title), j))
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
		if as, err := strconv.ParseInt(r.PostForm.Get("as"), 10, 64); err == nil && currentUser(r) == nil {
			if err := store.ClaimNamedGuest(r.Context(), split.ThreadID, split.ID, as); err != nil {
				fail(w, r, log, err)
				return
			}
			if err := s.start(w, r, as); err != nil {
				fail(w, r, log, err)
				return
			}
			http.Redirect(w, r, splitPath(split.ThreadID, split.ID)+"/pay", http.StatusSeeOther)
			return
		}
		u, ok := signedInOrGuest(w, r, log, store, s, split.ThreadID, payLinkJoin(r, token, split))
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
			http.Redirect(w, r, threadPath(joined.Split.ThreadID)+"?notice=paylink.ask_collector", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, splitPath(joined.Split.ThreadID, joined.Split.ID)+"/pay", http.StatusSeeOther)
	})
}

func payLinkJoin(r *http.Request, token string, s db.Split) views.Join {
	return views.Join{Action: "/pay/" + token, Title: views.T(r.Context(), "paylink.title", s.Title), ThreadName: s.Title,
		SignedIn: currentUser(r) != nil, Lead: views.T(r.Context(), "paylink.lead", s.CollectorName, views.Money(r.Context(), s.Total))}
}

// handlePayLinkReset replaces a split's pay link (its collector or an
// organizer): the old one stops working.
func handlePayLinkReset(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		splitID, err := strconv.ParseInt(r.PathValue("split"), 10, 64)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		if err := store.ResetPayLink(r.Context(), ms.thread.ID, splitID, currentUser(r).ID); err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, splitPath(ms.thread.ID, splitID), http.StatusSeeOther)
	})
}
