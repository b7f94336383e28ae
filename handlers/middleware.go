package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"divvy/db"
	"divvy/views"
)

type ctxKey int

const (
	requestInfoKey ctxKey = iota
	userKey
	devOutboxKey
)

// withDevOutbox marks requests to a development server, whose mail is
// kept at /dev/outbox rather than sent.
func withDevOutbox(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), devOutboxKey, true)))
	})
}

// requestInfo is filled in as the request travels inward and read by the
// access log on the way out.
type requestInfo struct {
	id      string
	pattern string
	userID  int64
}

func infoOf(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(requestInfoKey).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// statusWriter remembers the status code for the access log. It keeps
// http.ResponseController working (Flush, deadlines) through Unwrap.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one log line per request: method, route pattern (not
// the raw path, which may carry tokens), status, duration, request id.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		rand.Read(b)
		ri := &requestInfo{id: hex.EncodeToString(b)}
		w.Header().Set("X-Request-Id", ri.id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestInfoKey, ri)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		pattern := ri.pattern
		if pattern == "" {
			pattern = "(none)"
		}
		attrs := []any{"method", r.Method, "pattern", pattern, "status", sw.status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "bytes", sw.bytes, "request_id", ri.id}
		if ri.userID != 0 {
			attrs = append(attrs, "user_id", ri.userID)
		}
		log.Info("request", attrs...)
	})
}

// withPattern records the matched route for the access log and turns the
// mux's own plain-text 404 and 405 answers into Divvy's error page.
func withPattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			// No route matched: the mux would answer 404 or 405 in plain text.
			mux.ServeHTTP(&errorPageWriter{ResponseWriter: w, r: r}, r)
			return
		}
		mux.ServeHTTP(w, r)
		infoOf(r.Context()).pattern = r.Pattern
	})
}

// errorPageWriter replaces the mux's plain-text error body with a page.
type errorPageWriter struct {
	http.ResponseWriter
	r       *http.Request
	written bool
}

func (e *errorPageWriter) WriteHeader(code int) {
	if e.written {
		return
	}
	e.written = true
	key := "error.404"
	if code == http.StatusMethodNotAllowed {
		key = "error.405"
	}
	renderError(e.ResponseWriter, e.r, code, key)
}

func (e *errorPageWriter) Write(b []byte) (int, error) {
	if !e.written {
		e.WriteHeader(http.StatusOK)
	}
	return len(b), nil
}

// recoverPanics turns a panic into a logged 500 page instead of a dropped
// connection.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic", "request_id", infoOf(r.Context()).id, "panic", v, "stack", string(debug.Stack()))
				renderError(w, r, http.StatusInternalServerError, "error.500")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows scripts and styles from Divvy only: no
// inline script, no inline style, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(production bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if production {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; a larger one fails form parsing with 413.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			renderError(w, r, http.StatusRequestEntityTooLarge, "error.413")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

const localeCookie = "divvy-lang"

// zoneCookie holds the browser's time zone (an IANA name such as
// "Europe/Paris"), set by app.js, so that times are shown in the reader's
// zone and not the server's.
const zoneCookie = "divvy-tz"

// withZone puts the reader's time zone in the context: the browser's when
// it told us, else the server's own.
func withZone(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(zoneCookie); err == nil {
			if loc := loadZone(c.Value); loc != nil {
				r = r.WithContext(views.WithZone(r.Context(), loc))
			}
		}
		next.ServeHTTP(w, r)
	})
}

var zones sync.Map // name -> *time.Location, or nil for a name that is not a zone

// loadZone returns the named time zone, nil for anything that is not one.
// Zones are few, so each is read from the system once and kept; a name is
// looked up only if it looks like a zone, so a forged cookie cannot fill
// the map with junk.
func loadZone(name string) *time.Location {
	if name == "" || len(name) > 64 || strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_-+") != "" ||
		strings.Contains(name, "..") || strings.HasPrefix(name, "/") || name == "Local" {
		return nil
	}
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	zones.Store(name, loc)
	return loc
}

// withLocale picks the reader's language: the signed-in user's choice (set
// later by the session loader), else the language cookie, else
// Accept-Language, else the default.
func withLocale(def string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := ""
		if c, err := r.Cookie(localeCookie); err == nil && views.Supported(c.Value) {
			l = c.Value
		}
		if l == "" {
			l = views.MatchAcceptLanguage(r.Header.Get("Accept-Language"))
		}
		if l == "" {
			l = def
		}
		next.ServeHTTP(w, r.WithContext(views.WithLocale(r.Context(), l)))
	})
}

const membershipKey ctxKey = 10

type membership struct {
	thread db.Thread
	member db.Member
}

// member lets only members of the thread in the path through. Anyone else,
// including for a guessed id, gets the same 404 as for a thread that does
// not exist, so ids reveal nothing.
func member(store *db.DB, log *slog.Logger, next http.Handler) http.Handler {
	return requireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		g, m, err := store.Membership(r.Context(), id, currentUser(r).ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		ctx := context.WithValue(r.Context(), membershipKey, &membership{thread: g, member: m})
		next.ServeHTTP(w, r.WithContext(ctx))
	}))
}

func currentMembership(r *http.Request) *membership {
	return r.Context().Value(membershipKey).(*membership)
}

// Pages that carry a link token in their URL must not leak it to other
// sites through the Referer header, nor through their compressed size
// (BREACH: see compress).
func noReferrer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Referrer-Policy", "no-referrer")
		uncompressed(w)
		next.ServeHTTP(w, r)
	})
}
