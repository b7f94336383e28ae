package handlers

import (
	"log/slog"
	"net/http"

	"divvy/db"
	"divvy/static"
)

// addRoutes is the one place every route is declared, with the middleware
// that guards it.
func addRoutes(mux *http.ServeMux, log *slog.Logger, store *db.DB, s *sessionManager, opts Options) {
	mux.Handle("GET /static/{hash}/{name...}", static.Handler())
	mux.Handle("GET /manifest.webmanifest", static.File("manifest.webmanifest"))
	mux.Handle("GET /icon.svg", static.File("icon.svg"))
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(log, store))

	mux.Handle("GET /{$}", handleHome(log, store))
	mux.Handle("GET /signup", handleSignupForm())
	mux.Handle("POST /signup", handleSignup(log, store, s))
	mux.Handle("GET /login", handleLoginForm())
	mux.Handle("POST /login", handleLogin(log, store, s))
	mux.Handle("POST /logout", handleLogout(log, s))
	mux.Handle("POST /logout/everywhere", requireUser(handleLogoutEverywhere(log, store, s)))
	mux.Handle("POST /locale", handleLocale(log, store, opts.Production))
	mux.Handle("GET /account/keep", requireUser(handleKeepForm()))
	mux.Handle("POST /account/keep", requireUser(handleKeep(log, store)))

	mux.Handle("GET /groups/new", requireUser(handleGroupNew()))
	mux.Handle("POST /groups", requireUser(handleGroupCreate(log, store)))
	mux.Handle("GET /groups/{id}", member(store, log, handleGroupShow(log, store)))
	mux.Handle("GET /groups/{id}/messages", member(store, log, handleMessagesEarlier(log, store)))
	mux.Handle("POST /groups/{id}/messages", member(store, log, handleMessagePost(log, store)))
	mux.Handle("GET /groups/{id}/invite", member(store, log, handleInviteShow(log, store, opts.BaseURL)))
	mux.Handle("GET /groups/{id}/invite/qr.svg", member(store, log, handleInviteQR(log, store, opts.BaseURL)))
	mux.Handle("POST /groups/{id}/invite/reset", member(store, log, handleInviteReset(log, store)))

	mux.Handle("GET /join/{token}", noReferrer(handleJoinShow(log, store)))
	mux.Handle("POST /join/{token}", noReferrer(handleJoin(log, store, s)))
	// Unknown paths and wrong methods get the mux's 404 and 405, rendered
	// as pages by withPattern.
}
