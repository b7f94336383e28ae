package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// settleLine is the viewer's line of the settle-up plan paying to in
// currency, if the plan has one.
func settleLine(r *http.Request, store *db.DB, threadID, to int64, currency string) (db.Debt, bool, error) {
	b, err := store.ThreadBalances(r.Context(), threadID)
	if err != nil {
		return db.Debt{}, false, err
	}
	me := currentUser(r).ID
	for _, d := range b.Plans[currency] {
		if d.From == me && d.To == to {
			return d, true, nil
		}
	}
	return db.Debt{}, false, nil
}

func settlePath(threadID, to int64, currency string) string {
	return threadPath(threadID) + "/settle?" + url.Values{"to": {itoa(to)}, "currency": {currency}}.Encode()
}

// handleSettleShow is "Pay 12,50 €" on a line of the plan: the card and
// PIN form (after payment setup and activation, the first time), with a
// payment id made now, so a double submit pays once.
func handleSettleShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		to, _ := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
		currency := strings.ToUpper(r.URL.Query().Get("currency"))
		d, ok, err := settleLine(r, store, ms.thread.ID, to, currency)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if !ok {
			http.Redirect(w, r, threadPath(ms.thread.ID)+"/balances", http.StatusSeeOther)
			return
		}
		renderSettleStep(w, r, log, store, ms, d, http.StatusOK, views.Form{})
	})
}

func renderSettleStep(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, ms *membership, d db.Debt, status int, f views.Form) {
	ctx := r.Context()
	pc := views.PayContext{Title: views.T(ctx, "balances.settle_title"), Amount: views.Money(ctx, d.Amount), CollectorName: d.ToName,
		Next: settlePath(ms.thread.ID, d.To, d.Amount.Currency), ThreadID: ms.thread.ID, ThreadName: ms.thread.Name}
	u := currentUser(r)
	prof, err := store.PaymentProfile(ctx, u.ID)
	switch {
	case db.ErrorCode(err) == db.ENOTFOUND:
		if f.Values == nil {
			f.Values = map[string]string{"contact": u.Email}
		}
		render(w, r, status, views.PaySetupPage(layout(r, views.T(ctx, "setup.title")), pc, f))
	case err != nil:
		fail(w, r, log, err)
	case !prof.Active:
		render(w, r, status, views.ActivatePage(layout(r, views.T(ctx, "activate.title")), pc, prof.Contact, f))
	default:
		p := views.PayPage{PayContext: pc, Action: threadPath(ms.thread.ID) + "/settle", PaymentID: db.SettleID(ms.thread.ID, d.To),
			Card: cardText(prof), Form: f,
			Hidden: map[string]string{"to": itoa(d.To), "currency": d.Amount.Currency, "amount": d.Amount.Amount.String()}}
		p.Passkey = passkeyOffer(r, log, store, p.PaymentID, d.Amount, "")
		render(w, r, status, views.PayPageView(layout(r, views.T(ctx, "pay.title", pc.Amount)), p))
	}
}

// handleSettle pays a line of the plan by card with the PIN.
func handleSettle(log *slog.Logger, store *db.DB, provider db.PaymentProvider, skipPIN bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		to, _ := strconv.ParseInt(r.PostForm.Get("to"), 10, 64)
		currency := strings.ToUpper(r.PostForm.Get("currency"))
		amount, err := money.Parse(r.PostForm.Get("amount"), currency)
		if err != nil {
			fail(w, r, log, db.Errorf(db.EINVALID, "amount.malformed"))
			return
		}
		var toName string
		if m, err := store.Members(r.Context(), ms.thread.ID); err == nil {
			for _, x := range m {
				if x.UserID == to {
					toName = x.DisplayName
				}
			}
		}
		d := db.Debt{From: currentUser(r).ID, To: to, ToName: toName, Amount: amount}
		_, err = store.SettleByCard(r.Context(), provider, db.Settlement{ThreadID: ms.thread.ID, PayerID: currentUser(r).ID, ToID: to,
			Amount: amount, PaymentID: r.PostForm.Get("payment_id"), PIN: r.PostForm.Get("pin"), Passkey: r.PostForm.Get("passkey"), SkipPIN: skipPIN})
		var pin *db.PINRefused
		switch {
		case err == nil:
			http.Redirect(w, r, threadPath(ms.thread.ID)+"/balances", http.StatusSeeOther)
		case errors.As(err, &pin):
			status := http.StatusUnprocessableEntity
			if pin.Err.Code == db.ETOOMANY {
				status = http.StatusTooManyRequests
			}
			renderSettleStep(w, r, log, store, ms, d, status, views.Form{Problems: map[string]string{"pin": pinProblem(r, pin)}})
		case errors.Is(err, db.ErrSetupFirst):
			http.Redirect(w, r, settlePath(ms.thread.ID, to, currency), http.StatusSeeOther)
		case db.ErrorCode(err) == db.EINVALID || db.ErrorCode(err) == db.ELIMIT || db.ErrorCode(err) == db.EDECLINED ||
			db.ErrorCode(err) == db.EINSUFFICIENT || db.ErrorCode(err) == db.ECONFLICT:
			renderSettleStep(w, r, log, store, ms, d, errStatus(err), views.Form{Error: views.ErrorText(r.Context(), err)})
		default:
			fail(w, r, log, err)
		}
	})
}

// handleSettleClaim records "I paid another way" on a line of the plan, or
// a payment outside splits: the receiver confirms.
func handleSettleClaim(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		to, _ := strconv.ParseInt(r.PostForm.Get("to"), 10, 64)
		currency := strings.ToUpper(strings.TrimSpace(r.PostForm.Get("currency")))
		if currency == "" {
			currency = ms.thread.Currency
		}
		amount, err := money.Parse(r.PostForm.Get("amount"), currency)
		if err == nil && amount.Currency != currency {
			err = money.ErrCurrencyMismatch
		}
		if err == nil {
			_, err = store.ClaimSettlement(r.Context(), ms.thread.ID, currentUser(r).ID, to, amount)
		}
		if err != nil {
			if !isMoneyErr(err) && db.ErrorCode(err) != db.EINVALID {
				fail(w, r, log, err)
				return
			}
			b, berr := store.ThreadBalances(r.Context(), ms.thread.ID)
			if berr != nil {
				fail(w, r, log, berr)
				return
			}
			v := balancesPageView(r, store, ms, b)
			v.Record.Values = map[string]string{"to": r.PostForm.Get("to"), "amount": r.PostForm.Get("amount"), "currency": currency}
			v.Record.Problems = map[string]string{"amount": views.ErrorText(r.Context(), err)}
			render(w, r, http.StatusUnprocessableEntity, views.BalancesPage(layout(r, views.T(r.Context(), "balances.title")), v, ms.thread.EventSeq))
			return
		}
		http.Redirect(w, r, threadPath(ms.thread.ID)+"/balances", http.StatusSeeOther)
	})
}

func isMoneyErr(err error) bool {
	var mm *money.MismatchError
	return errors.As(err, &mm) || errors.Is(err, money.ErrEmpty) || errors.Is(err, money.ErrMalformed) ||
		errors.Is(err, money.ErrNegative) || errors.Is(err, money.ErrZero) || errors.Is(err, money.ErrTooManyDecimals) ||
		errors.Is(err, money.ErrTooLarge) || errors.Is(err, money.ErrUnknownCurrency) || errors.Is(err, money.ErrCurrencyMismatch)
}

// handleClaimAnswer is the receiver confirming (confirm true) or rejecting
// a payment made another way.
func handleClaimAnswer(log *slog.Logger, store *db.DB, confirm bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		claim, err := strconv.ParseInt(r.PathValue("claim"), 10, 64)
		if err != nil {
			fail(w, r, log, db.ErrNotFound.New("claim"))
			return
		}
		if confirm {
			err = store.ConfirmClaim(r.Context(), ms.thread.ID, claim, currentUser(r).ID)
		} else {
			err = store.RejectClaim(r.Context(), ms.thread.ID, claim, currentUser(r).ID)
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, threadPath(ms.thread.ID)+"/balances", http.StatusSeeOther)
	})
}

// errStatus is the status fail would answer err with, for a page that
// shows the refusal itself.
func errStatus(err error) int {
	switch db.ErrorCode(err) {
	case db.ECONFLICT:
		return http.StatusConflict
	case db.EDECLINED:
		return http.StatusPaymentRequired
	}
	return http.StatusUnprocessableEntity
}
