package handlers

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"rsc.io/qr"

	"divvy/db"
	"divvy/views"
)

func handleInviteShow(log *slog.Logger, store *db.DB, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		token, err := store.InviteToken(r.Context(), ms.thread.ID, currentUser(r).ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		uncompressed(w) // the page shows the invite token
		in := views.Invite{
			ThreadID:    ms.thread.ID,
			ThreadName:  ms.thread.Name,
			URL:         baseURL + "/join/" + token,
			IsOrganizer: ms.member.Role == db.RoleOrganizer,
		}
		render(w, r, http.StatusOK, views.InvitePage(layout(r, views.T(r.Context(), "invite.title", ms.thread.Name)), in))
	})
}

// handleInviteQR draws the invite link as a QR code in SVG.
func handleInviteQR(log *slog.Logger, store *db.DB, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		token, err := store.InviteToken(r.Context(), ms.thread.ID, currentUser(r).ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		writeQR(w, r, log, baseURL+"/join/"+token)
	})
}

// writeQR answers with text as a QR code in SVG: one path, four modules of
// quiet zone, crisp at any size.
func writeQR(w http.ResponseWriter, r *http.Request, log *slog.Logger, text string) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	const quiet = 4
	n := code.Size + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if code.Black(x, y) {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	uncompressed(w) // the code is a link token
	w.Write([]byte(b.String()))
}

func handleInviteReset(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		if _, err := store.ResetInvite(r.Context(), ms.thread.ID, currentUser(r).ID); err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, "/threads/"+strconv.FormatInt(ms.thread.ID, 10)+"/invite", http.StatusSeeOther)
	})
}

func handleJoinShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.PathValue("token")
		g, err := store.InviteThread(r.Context(), token)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "join.invalid")
			return
		}
		if u := currentUser(r); u != nil {
			if _, _, err := store.Membership(r.Context(), g.ID, u.ID); err == nil {
				http.Redirect(w, r, "/threads/"+strconv.FormatInt(g.ID, 10), http.StatusSeeOther)
				return
			}
		}
		render(w, r, http.StatusOK, views.JoinPage(layout(r, g.Name), inviteJoin(r, token, g)))
	})
}

// handleJoin adds the visitor to the thread: a signed-in person in one tap,
// anyone else as a guest known by the name they type.
func handleJoin(log *slog.Logger, store *db.DB, s *sessionManager) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		token := r.PathValue("token")
		g, err := store.InviteThread(r.Context(), token)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "join.invalid")
			return
		}
		u, ok := signedInOrGuest(w, r, log, store, s, g.ID, inviteJoin(r, token, g))
		if !ok {
			return
		}
		joined, err := store.JoinByInvite(r.Context(), token, u.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, "/threads/"+strconv.FormatInt(joined.ID, 10), http.StatusSeeOther)
	})
}

func inviteJoin(r *http.Request, token string, g db.Thread) views.Join {
	return views.Join{Action: "/join/" + token, Title: views.T(r.Context(), "join.title", g.Name), ThreadName: g.Name,
		Lead: views.MembersText(r.Context(), g.Members), SignedIn: currentUser(r) != nil}
}

// signedInOrGuest returns the signed-in user, or makes a guest of the name
// typed on a join page and signs them in. A name with a problem shows the
// join page j again (422) and ok is false; so does any failure, answered.
//
// Joins are limited per thread, and guest accounts per address.
func signedInOrGuest(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, s *sessionManager, threadID int64, j views.Join) (*db.User, bool) {
	u := currentUser(r)
	limits := []rateLimit{{"join:thread:" + itoa(threadID), joinsPerThread, joinsPerThreadWindow}}
	if u == nil {
		limits = append([]rateLimit{{"guest:address:" + clientAddress(r), guestsPerAddress, signupWindow}}, limits...)
	}
	if !withinLimits(w, r, log, store, limits...) {
		return nil, false
	}
	if u != nil {
		return u, true
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	guest, err := store.CreateGuest(r.Context(), name, views.Locale(r.Context()))
	if db.ErrorCode(err) == db.EINVALID {
		j.Form = views.Form{Values: map[string]string{"name": name}, Problems: map[string]string{"name": views.ErrorText(r.Context(), err)}}
		render(w, r, http.StatusUnprocessableEntity, views.JoinPage(layout(r, j.ThreadName), j))
		return nil, false
	}
	if err == nil {
		err = s.start(w, r, guest.ID)
	}
	if err != nil {
		fail(w, r, log, err)
		return nil, false
	}
	return &guest, true
}
