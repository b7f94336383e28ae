package handlers

import (
	"log/slog"
	"net/http"

	"divvy/db"
)

// addLinkRoutes declares the routes of personal pay links, request links
// and their QR codes (called from addRoutes).
func addLinkRoutes(mux *http.ServeMux, log *slog.Logger, store *db.DB, provider db.PaymentProvider, s *sessionManager, opts Options) {
	base := func(h http.Handler) http.Handler { return requireUser(withBaseURL(opts.BaseURL, h)) }
	mux.Handle("POST /money/handle", base(handleHandleChoose(log, store)))
	mux.Handle("GET /money/link/qr.svg", base(handleLinkQR(log, store, "handle", "svg")))
	mux.Handle("GET /money/link/qr.png", base(handleLinkQR(log, store, "handle", "png")))
	mux.Handle("GET /money/link/card", base(handleLinkCard(log, store, "handle")))
	mux.Handle("POST /money/requests", base(handleRequestLinkCreate(log, store)))
	mux.Handle("POST /money/requests/{id}/revoke", base(handleRequestLinkRevoke(log, store)))
	mux.Handle("GET /money/requests/{id}/qr.svg", base(handleLinkQR(log, store, "request", "svg")))
	mux.Handle("GET /money/requests/{id}/qr.png", base(handleLinkQR(log, store, "request", "png")))
	mux.Handle("GET /money/requests/{id}/card", base(handleLinkCard(log, store, "request")))

	mux.Handle("GET /scan", handleScan(opts.BaseURL))
	mux.Handle("GET /to/{handle}", noReferrer(handleToShow(log, store, opts.BaseURL)))
	mux.Handle("POST /to/{handle}", noReferrer(handleToPay(log, store, provider, s, opts.BaseURL, opts.SkipPIN)))
	mux.Handle("GET /to/{handle}/qr.png", noReferrer(handleToQR(log, store, opts.BaseURL)))
	mux.Handle("GET /r/{token}", noReferrer(handleRequestLinkShow(log, store, opts.BaseURL)))
	mux.Handle("POST /r/{token}", noReferrer(handleRequestLinkPay(log, store, provider, s, opts.BaseURL, opts.SkipPIN)))
}
