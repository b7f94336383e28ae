package handlers

import (
	"log/slog"
	"net/http"

	"divvy/db"
	"divvy/static"
)

// addRoutes is the one place every route is declared, with the middleware
// that guards it.
func addRoutes(mux *http.ServeMux, log *slog.Logger, store *db.DB, provider db.PaymentProvider, notify db.Notifier, broker *Broker, s *sessionManager, opts Options) {
	mux.Handle("GET /static/{hash}/{name...}", static.Handler())
	mux.Handle("GET /manifest.webmanifest", static.File("manifest.webmanifest"))
	mux.Handle("GET /icon.svg", static.File("icon.svg"))
	mux.Handle("GET /healthz", handleHealthz())
	mux.Handle("GET /readyz", handleReadyz(log, store))

	mux.Handle("GET /{$}", handleHome(log, store))
	mux.Handle("GET /signup", handleSignupForm())
	mux.Handle("POST /signup", handleSignup(log, store, notify, opts.BaseURL))
	mux.Handle("GET /signup/confirm/{token}", noReferrer(handleSignupConfirmForm(log, store)))
	mux.Handle("POST /signup/confirm/{token}", noReferrer(handleSignupConfirm(log, store, s)))
	mux.Handle("GET /login", handleLoginForm())
	mux.Handle("POST /login", handleLogin(log, store, s))
	mux.Handle("POST /logout", handleLogout(log, s, broker))
	mux.Handle("POST /logout/everywhere", requireUser(handleLogoutEverywhere(log, store, s, broker)))
	mux.Handle("POST /locale", handleLocale(log, store, opts.Production))
	mux.Handle("GET /password/forgot", handleForgotForm())
	mux.Handle("POST /password/forgot", handleForgot(log, store, notify, opts.BaseURL))
	mux.Handle("GET /password/reset/{token}", noReferrer(handleResetForm(log, store)))
	mux.Handle("POST /password/reset/{token}", noReferrer(handleReset(log, store, s)))
	mux.Handle("GET /account", requireUser(handleAccount(log, store, s)))
	mux.Handle("POST /account/devices/{device}/sign-out", requireUser(handleDeviceSignOut(log, store, s)))
	mux.Handle("GET /account/keep", requireUser(handleKeepForm()))
	mux.Handle("POST /account/keep", requireUser(handleKeep(log, store)))

	// Links to /groups/... (the threads' first URLs) still work: 308 keeps a
	// POST's method and body.
	mux.Handle("/groups", handleGroupsMoved())
	mux.Handle("/groups/", handleGroupsMoved())
	mux.Handle("GET /threads/new", requireUser(handleThreadNew()))
	mux.Handle("POST /threads", requireUser(handleThreadCreate(log, store)))
	mux.Handle("GET /threads/{id}", member(store, log, handleThreadShow(log, store)))
	mux.Handle("GET /threads/{id}/messages", member(store, log, handleMessagesEarlier(log, store)))
	mux.Handle("GET /threads/{id}/balances", member(store, log, handleBalances(log, store)))
	mux.Handle("GET /threads/{id}/settle", member(store, log, handleSettleShow(log, store)))
	mux.Handle("POST /threads/{id}/settle", member(store, log, handleSettle(log, store, provider, opts.SkipPIN)))
	mux.Handle("POST /threads/{id}/settle/claim", member(store, log, handleSettleClaim(log, store)))
	mux.Handle("POST /threads/{id}/settle/claims/{claim}/confirm", member(store, log, handleClaimAnswer(log, store, true)))
	mux.Handle("POST /threads/{id}/settle/claims/{claim}/reject", member(store, log, handleClaimAnswer(log, store, false)))
	mux.Handle("GET /threads/{id}/events", member(store, log, handleEvents(log, store, broker)))
	mux.Handle("POST /threads/{id}/messages", member(store, log, handleMessagePost(log, store)))
	mux.Handle("POST /threads/{id}/messages/{message}/suggestion/dismiss", member(store, log, handleSuggestionDismiss(log, store)))
	mux.Handle("POST /threads/{id}/name", member(store, log, handleThreadRename(log, store)))
	mux.Handle("GET /threads/{id}/leave", member(store, log, handleLeaveShow(log, store)))
	mux.Handle("POST /threads/{id}/leave", member(store, log, handleLeave(log, store, broker)))
	mux.Handle("GET /threads/{id}/members/{user}/remove", member(store, log, handleRemoveShow(log, store)))
	mux.Handle("POST /threads/{id}/members/{user}/remove", member(store, log, handleRemove(log, store, broker)))
	mux.Handle("GET /threads/{id}/invite", member(store, log, notDirect(handleInviteShow(log, store, opts.BaseURL))))
	mux.Handle("GET /threads/{id}/invite/qr.svg", member(store, log, notDirect(handleInviteQR(log, store, opts.BaseURL))))
	mux.Handle("POST /threads/{id}/invite/reset", member(store, log, notDirect(handleInviteReset(log, store))))
	mux.Handle("POST /contacts/{user}/message", requireUser(handleMessageContact(log, store)))

	mux.Handle("GET /threads/{id}/splits/new", member(store, log, handleSplitNew(log, store)))
	mux.Handle("POST /threads/{id}/splits/preview", member(store, log, handleSplitPreview(log, store)))
	mux.Handle("POST /threads/{id}/splits", member(store, log, handleSplitCreate(log, store)))
	mux.Handle("GET /threads/{id}/splits/{split}", member(store, log, handleSplitShow(log, store, opts.BaseURL)))
	mux.Handle("GET /threads/{id}/splits/{split}/card", member(store, log, handleSplitCard(log, store)))
	mux.Handle("GET /threads/{id}/splits/{split}/qr.svg", member(store, log, handleSplitQR(log, store, opts.BaseURL)))
	mux.Handle("GET /threads/{id}/splits/{split}/edit", member(store, log, handleSplitEditShow(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/edit", member(store, log, handleSplitEditSave(log, store, provider)))
	mux.Handle("GET /threads/{id}/splits/{split}/cancel", member(store, log, handleSplitCancelShow(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/cancel", member(store, log, handleSplitCancel(log, store, provider)))
	mux.Handle("POST /threads/{id}/splits/{split}/shares/{share}/cash", member(store, log, handleShareCash(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/shares/{share}/confirm", member(store, log, handleShareConfirm(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/shares/{share}/reject", member(store, log, handleShareReject(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/shares/{share}/remind", member(store, log, handleShareRemind(log, store, notify, opts.BaseURL)))
	mux.Handle("POST /threads/{id}/splits/{split}/remind", member(store, log, handleSplitRemindAll(log, store, notify, opts.BaseURL)))
	mux.Handle("GET /threads/{id}/splits/{split}/pay", member(store, log, handlePayShow(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/pay", member(store, log, handlePay(log, store, provider, opts.SkipPIN)))
	mux.Handle("GET /money", requireUser(withBaseURL(opts.BaseURL, handleMoney(log, store))))
	mux.Handle("POST /money/withdraw", requireUser(withBaseURL(opts.BaseURL, handleWithdraw(log, store, provider))))
	addLinkRoutes(mux, log, store, provider, s, opts)
	mux.Handle("GET /threads/{id}/send", member(store, log, handleSendShow(log, store)))
	mux.Handle("POST /threads/{id}/send", member(store, log, handleSend(log, store, provider, notify, opts.BaseURL, opts.SkipPIN)))
	mux.Handle("GET /threads/{id}/request", member(store, log, handleAskShow(log, store)))
	mux.Handle("POST /threads/{id}/request", member(store, log, handleAsk(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/decline", member(store, log, handleAskDecline(log, store)))
	if !opts.Production {
		mux.Handle("GET /dev/outbox", handleOutbox(log, store))
	}
	mux.Handle("GET /payments/setup", requireUser(handlePaySetupShow(log, store)))
	mux.Handle("POST /payments/setup", requireUser(handlePaySetup(log, store, provider, notify)))
	mux.Handle("POST /payments/activate", requireUser(handlePayActivate(log, store)))
	mux.Handle("GET /payments/card", requireUser(handleCardChangeShow(log, store)))
	mux.Handle("POST /payments/card", requireUser(handleCardChange(log, store, provider, notify)))
	mux.Handle("GET /payments/pin", requireUser(handlePINChangeShow(log, store)))
	mux.Handle("POST /payments/pin", requireUser(handlePINChange(log, store, notify)))
	mux.Handle("GET /payments/confirm", requireUser(handlePayChangeCodeShow(log, store)))
	mux.Handle("POST /payments/confirm", requireUser(handlePayChangeConfirm(log, store)))
	mux.Handle("POST /payments/resend", requireUser(handlePayResend(log, store, notify)))
	mux.Handle("GET /payments/passkeys", requireUser(handlePasskeys(log, store)))
	mux.Handle("POST /payments/passkeys/begin", requireUser(handlePasskeyBegin(log, store)))
	mux.Handle("POST /payments/passkeys", requireUser(handlePasskeyAdd(log, store)))
	mux.Handle("POST /payments/passkeys/{passkey}/remove", requireUser(handlePasskeyRemove(log, store)))
	mux.Handle("POST /payments/passkeys/challenge", requireUser(handlePaymentChallenge(log, store)))

	mux.Handle("POST /threads/{id}/splits/{split}/people", member(store, log, handleSplitAddPerson(log, store)))
	mux.Handle("POST /threads/{id}/splits/{split}/paylink/reset", member(store, log, handlePayLinkReset(log, store)))
	mux.Handle("GET /pay/{token}", noReferrer(handlePayLinkShow(log, store)))
	mux.Handle("POST /pay/{token}", noReferrer(handlePayLink(log, store, s)))
	mux.Handle("GET /join/{token}", noReferrer(handleJoinShow(log, store)))
	mux.Handle("POST /join/{token}", noReferrer(handleJoin(log, store, s)))
	// Unknown paths and wrong methods get the mux's 404 and 405, rendered
	// as pages by withPattern.
}
