package handlers

import (
	"log/slog"
	"net/http"
	"strconv"

	"divvy/db"
	"divvy/views"
)

// leavePage is the confirmation page of leaving the thread (target 0) or
// of removing target from it.
func leavePage(r *http.Request, store *db.DB, target int64) (views.LeavePage, error) {
	ms := currentMembership(r)
	p := views.LeavePage{ThreadID: ms.thread.ID, ThreadName: ms.thread.Name, UserID: target}
	members, err := store.Members(r.Context(), ms.thread.ID)
	if err != nil {
		return p, err
	}
	if target == 0 {
		p.Last = len(members) == 1
		organizers := 0
		for _, m := range members {
			if m.Role == db.RoleOrganizer {
				organizers++
			}
		}
		// Said before the organizer tries: LeaveThread would refuse.
		if ms.member.Role == db.RoleOrganizer && organizers == 1 && !p.Last {
			p.Problem, p.Blocked = views.ErrorText(r.Context(), db.ErrLeaveOrganizer.New()), true
		}
		return p, nil
	}
	for _, m := range members {
		if m.UserID == target {
			p.Name = m.DisplayName
			return p, nil
		}
	}
	return p, db.ErrNotFound.New("user")
}

func leaveTitle(r *http.Request, p views.LeavePage) string {
	if p.Name != "" {
		return views.T(r.Context(), "members.remove_title", p.Name, p.ThreadName)
	}
	return views.T(r.Context(), "members.leave_title", p.ThreadName)
}

// targetFromPath is the member a remove route names.
func targetFromPath(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	return id, err == nil && id > 0
}

// handleLeaveShow asks a member to confirm leaving the thread: the step
// the members list's "Leave the thread" leads to.
func handleLeaveShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := leavePage(r, store, 0)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusOK, views.LeavePageView(layout(r, leaveTitle(r, p)), p))
	})
}

// handleLeave takes the member out of the thread, ends their open event
// streams, and sends them to their list of threads, where it no longer is.
// A refusal (money still owed, the organizer with others left) is the
// confirmation page again, with the reason next to the button.
func handleLeave(log *slog.Logger, store *db.DB, broker *Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		err := store.LeaveThread(r.Context(), ms.thread.ID, currentUser(r).ID)
		if refusedAgain(w, r, log, store, 0, err) {
			return
		}
		broker.Revoked(r.Context())
		http.Redirect(w, r, "/?notice=members.left", http.StatusSeeOther)
	})
}

// handleRemoveShow asks the organizer to confirm removing a member.
func handleRemoveShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, ok := targetFromPath(r)
		if !ok {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		if currentMembership(r).member.Role != db.RoleOrganizer {
			fail(w, r, log, db.ErrRemoveOrganizerOnly.New())
			return
		}
		p, err := leavePage(r, store, target)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusOK, views.LeavePageView(layout(r, leaveTitle(r, p)), p))
	})
}

// handleRemove takes a member out of the thread (the organizer only) and
// ends the removed person's open event streams at once, in every app
// process. A refusal is the confirmation page again, with the reason next
// to the button.
func handleRemove(log *slog.Logger, store *db.DB, broker *Broker) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target, ok := targetFromPath(r)
		if !ok {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		ms := currentMembership(r)
		err := store.RemoveMember(r.Context(), ms.thread.ID, currentUser(r).ID, target)
		if refusedAgain(w, r, log, store, target, err) {
			return
		}
		broker.Revoked(r.Context())
		http.Redirect(w, r, threadPath(ms.thread.ID)+"?notice=members.removed", http.StatusSeeOther)
	})
}

// refusedAgain answers err, if any: a refusal about the money or the roles
// in the thread is the confirmation page with its sentence (and the
// refusal's status); anything else goes to fail. It reports whether it
// answered.
func refusedAgain(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, target int64, err error) bool {
	if err == nil {
		return false
	}
	status := map[string]int{db.ECONFLICT: http.StatusConflict, db.EINVALID: http.StatusUnprocessableEntity}[db.ErrorCode(err)]
	if status == 0 {
		fail(w, r, log, err)
		return true
	}
	p, perr := leavePage(r, store, target)
	if perr != nil {
		fail(w, r, log, err)
		return true
	}
	p.Problem = views.ErrorText(r.Context(), err)
	render(w, r, status, views.LeavePageView(layout(r, leaveTitle(r, p)), p))
	return true
}
