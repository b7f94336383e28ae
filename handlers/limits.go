package handlers

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"divvy/db"
	"divvy/views"
)

// Limits on what one address, person or session may do in a short time:
// each costs the server (a password hash, a row, a held connection) or
// reaches other people. Generous for people, tight for scripts.
const (
	signupsPerAddress    = 10  // sign-ups from one address an hour (each an Argon2id hash)
	signupsPerEmail      = 3   // sign-ups for one address an hour (each mails it)
	guestsPerAddress     = 20  // guest accounts made from one address an hour
	joinsPerThread       = 60  // people joining one thread in 10 minutes, by invite or pay link
	messagesPerMinute    = 100 // messages one person posts in one thread a minute (a paste of many lines is fine; a flood is not)
	messagesPerHour      = 600
	streamsPerSession    = 20 // event streams one session holds open (one a tab; a closed tab frees its place within a heartbeat)
	streamsRetryAfter    = 30 * time.Second
	signupWindow         = time.Hour
	joinsPerThreadWindow = 10 * time.Minute
)

// rateLimit is at most max hits of key in window.
type rateLimit struct {
	key    string
	max    int
	window time.Duration
}

type limitsOffKey struct{}

// withoutRateLimits turns the limits of withinLimits off, for load
// measurements (RATE_LIMITS=off, refused in production).
func withoutRateLimits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), limitsOffKey{}, true)))
	})
}

func rateLimitsOff(r *http.Request) bool {
	off, _ := r.Context().Value(limitsOffKey{}).(bool)
	return off
}

// withinLimits counts the request against each limit in turn (one refused
// by a limit is not counted against the next). When one is reached it
// answers 429 with Retry-After and a sentence, and returns false.
func withinLimits(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, limits ...rateLimit) bool {
	if rateLimitsOff(r) {
		return true
	}
	for _, l := range limits {
		ok, retry, err := store.Hit(r.Context(), l.key, l.max, l.window)
		if err != nil {
			fail(w, r, log, err)
			return false
		}
		if !ok {
			tooMany(w, r, retry)
			return false
		}
	}
	return true
}

// tooMany answers 429, saying how long to wait.
func tooMany(w http.ResponseWriter, r *http.Request, retry time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
	renderError(w, r, http.StatusTooManyRequests, views.T(r.Context(), "limit.wait", waitText(retry)))
}
