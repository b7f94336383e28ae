// Package handlers is Divvy's HTTP layer: routes, middleware, one file per
// resource. It turns requests into store use cases and renders views.
package handlers

import (
	"log/slog"
	"net/http"
	"net/netip"

	"divvy/db"
)

// Options are the settings the HTTP layer needs from the configuration.
type Options struct {
	Production    bool
	SessionKeys   []string // newest first; older keys still read cookies, for rotation
	BaseURL       string
	DefaultLocale string
	// TrustedProxies are the addresses of the proxies in front of Divvy
	// (TRUSTED_PROXIES), whose X-Forwarded-For names the client; from any
	// other address the header is ignored.
	TrustedProxies []netip.Prefix
	// NoRateLimits turns off the limits on sign-ups, guest joins, messages
	// and event streams (RATE_LIMITS=off: load measurements, whose
	// simulated people all come from one address; refused in production).
	// Login and PIN limits stay.
	NoRateLimits bool
	// SkipPIN accepts any PIN (load measurements of the ledger write
	// alone; the configuration refuses it in production).
	SkipPIN bool
	// NoBalanceSummary leaves the balance summary off thread pages
	// (BALANCE_SUMMARY=off: a load run measures the page without it;
	// refused in production).
	NoBalanceSummary bool
}

// New returns Divvy's whole HTTP handler: every route with its middleware.
// provider moves the money of card payments; notify sends codes and
// reminders.
// broker carries live updates to the threads' event streams.
func New(log *slog.Logger, store *db.DB, provider db.PaymentProvider, notify db.Notifier, broker *Broker, opts Options) http.Handler {
	if opts.DefaultLocale == "" {
		opts.DefaultLocale = "en"
	}
	sessions := newSessionManager(store, opts)
	mux := http.NewServeMux()
	addRoutes(mux, log, store, provider, notify, broker, sessions, opts)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renderError(w, r, http.StatusForbidden, "error.403.origin")
	}))

	var h http.Handler = withPattern(mux)
	h = sessions.load(h)
	h = withLocale(opts.DefaultLocale, h)
	if !opts.Production {
		h = withDevOutbox(h)
	}
	if opts.NoRateLimits {
		h = withoutRateLimits(h)
	}
	if opts.NoBalanceSummary {
		h = withoutBalanceSummary(h)
	}
	h = withClientAddress(clientAddresses{opts.TrustedProxies}, h)
	h = withZone(h)
	h = cop.Handler(h)
	h = limitBody(64<<10, h)
	h = securityHeaders(opts.Production, h)
	h = recoverPanics(log, h)
	h = compress(h)
	h = logRequests(log, h)
	return h
}
