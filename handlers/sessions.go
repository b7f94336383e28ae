package handlers

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"net/http"

	"github.com/gorilla/sessions"

	"divvy/db"
	"divvy/views"
)

// sessionManager keeps the session cookie: a gorilla/sessions cookie that is
// signed and encrypted and carries only a session id. The id points at a
// sessions row, so logging out really revokes it.
type sessionManager struct {
	store  *db.DB
	cookie *sessions.CookieStore
	name   string
}

func newSessionManager(store *db.DB, opts Options) *sessionManager {
	// Each configured secret yields a signing and an encryption key; the
	// first secret signs new cookies, the others still read old ones.
	var pairs [][]byte
	for _, k := range opts.SessionKeys {
		pairs = append(pairs, derive(k, "divvy session hash"), derive(k, "divvy session block"))
	}
	cs := sessions.NewCookieStore(pairs...)
	cs.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(db.SessionTTL.Seconds()),
		HttpOnly: true,
		Secure:   opts.Production,
		SameSite: http.SameSiteLaxMode,
	}
	cs.MaxAge(cs.Options.MaxAge)
	name := "divvy"
	if opts.Production {
		// __Host- makes the browser insist on Secure, Path=/ and no Domain.
		name = "__Host-divvy"
	}
	return &sessionManager{store: store, cookie: cs, name: name}
}

func derive(secret, purpose string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// start creates a new session (a new id on every login, against fixation)
// and sets the cookie.
func (s *sessionManager) start(w http.ResponseWriter, r *http.Request, userID int64) error {
	id, err := s.store.CreateSession(r.Context(), userID, r.UserAgent())
	if err != nil {
		return err
	}
	sess, _ := s.cookie.New(r, s.name)
	sess.Values["sid"] = id
	return sess.Save(r, w)
}

// end revokes the current session and clears the cookie.
func (s *sessionManager) end(w http.ResponseWriter, r *http.Request) error {
	sess, _ := s.cookie.Get(r, s.name)
	if id, ok := sess.Values["sid"].(string); ok {
		if err := s.store.DeleteSession(r.Context(), id); err != nil {
			return err
		}
	}
	s.clear(w, r)
	return nil
}

// sessionID returns the id the request's cookie carries, "" when none.
func (s *sessionManager) sessionID(r *http.Request) string {
	sess, _ := s.cookie.Get(r, s.name)
	id, _ := sess.Values["sid"].(string)
	return id
}

func (s *sessionManager) clear(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.cookie.New(r, s.name)
	sess.Options = &sessions.Options{Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cookie.Options.Secure, SameSite: http.SameSiteLaxMode}
	sess.Save(r, w)
}

// load puts the signed-in user, if any, into the request context. A cookie
// whose session was revoked or expired is cleared, and the request goes on
// signed out; routes that need a user say so with requireUser.
func (s *sessionManager) load(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := r.Cookie(s.name); err != nil {
			next.ServeHTTP(w, r)
			return
		}
		sess, err := s.cookie.Get(r, s.name)
		id, ok := sess.Values["sid"].(string)
		if err != nil || !ok {
			s.clear(w, r)
			next.ServeHTTP(w, r)
			return
		}
		u, err := s.store.SessionUser(r.Context(), id)
		if err != nil {
			if db.ErrorCode(err) != db.EUNAUTHORIZED {
				renderUnavailable(w, r)
				return
			}
			s.clear(w, r)
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), userKey, &u)
		ctx = context.WithValue(ctx, sessionIDKey{}, id)
		if views.Supported(u.Locale) {
			ctx = views.WithLocale(ctx, u.Locale)
		}
		infoOf(ctx).userID = u.ID
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// sessionIDKey carries the id of the request's live session.
type sessionIDKey struct{}

// currentSessionID returns the id of the request's live session, "" when
// signed out.
func currentSessionID(ctx context.Context) string {
	id, _ := ctx.Value(sessionIDKey{}).(string)
	return id
}

// currentUser returns the signed-in user, nil when signed out.
func currentUser(r *http.Request) *db.User {
	u, _ := r.Context().Value(userKey).(*db.User)
	return u
}

// requireUser lets only signed-in people through. Others are sent to log in
// (GET) or told their session ended (anything else: 401).
func requireUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if currentUser(r) != nil {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		renderError(w, r, http.StatusUnauthorized, "session.ended")
	})
}
