package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// historyPerPage is how many transfers the Money page lists at a time.
const historyPerPage = 50

func moneyView(r *http.Request, store *db.DB) (views.MoneyView, error) {
	ctx := r.Context()
	u := currentUser(r)
	bs, err := store.Balances(ctx, u.ID)
	if err != nil {
		return views.MoneyView{}, err
	}
	var cur db.HistoryCursor
	if at, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("before")); err == nil {
		cur = db.HistoryCursor{At: at, ID: r.URL.Query().Get("id")}
	}
	hs, more, err := store.HistoryPage(ctx, u.ID, cur, historyPerPage)
	if err != nil {
		return views.MoneyView{}, err
	}
	w := views.MoneyView{PayoutID: "payout-" + db.NewToken(), Withdraw: views.Form{Values: map[string]string{}}}
	if prof, err := store.PaymentProfile(ctx, u.ID); err != nil || !prof.Active {
		w.NeedsSetup = true
		if w.PaymentsOff, err = store.PaymentsRemoved(ctx, u.ID); err != nil {
			return views.MoneyView{}, err
		}
	} else {
		w.Card = cardText(prof)
	}
	for _, b := range bs {
		line := views.BalanceLine{Currency: b.Currency, Available: views.Money(ctx, b.Available)}
		if !b.Pending.IsZero() {
			line.Pending = views.Money(ctx, b.Pending)
			w.Live = true
		}
		w.Balances = append(w.Balances, line)
		if w.Withdraw.Values["currency"] == "" {
			w.Withdraw.Values["currency"] = b.Currency
		}
	}
	for _, h := range hs {
		what := views.T(ctx, "kind."+string(h.Kind))
		if h.Counterpart != "" {
			if h.Amount.IsPositive() {
				what = views.T(ctx, "money.from", what, h.Counterpart)
			} else {
				what = views.T(ctx, "money.to", what, h.Counterpart)
			}
		}
		line := views.HistoryLine{What: what, Amount: views.Money(ctx, h.Amount), Cash: h.Kind == db.TransferCash,
			In: h.Amount.IsPositive(), Pending: h.Pending, When: views.DateTime(ctx, h.CreatedAt)}
		if h.Note != "" {
			line.What += " · " + h.Note
		}
		if h.SplitTitle != "" {
			line.What += " · " + h.SplitTitle
			line.SplitURL = splitPath(h.ThreadID, h.SplitID)
		}
		w.History = append(w.History, line)
	}
	if w.Links, err = linksView(r, store); err != nil {
		return views.MoneyView{}, err
	}
	if more && len(hs) > 0 {
		last := hs[len(hs)-1]
		w.Older = "/money?" + url.Values{"before": {last.CreatedAt.Format(time.RFC3339Nano)}, "id": {last.TransferID}}.Encode()
	}
	return w, nil
}

// handleMoney shows balances per currency, the history, and withdrawal.
func handleMoney(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := moneyView(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if r.URL.Query().Get("withdrawn") != "" {
			v.Notice = views.T(r.Context(), "money.withdrawn")
		}
		if isHTMX(r) && r.URL.Query().Get("live") != "" {
			w.Header().Set("Vary", "HX-Request")
			render(w, r, http.StatusOK, views.MoneyLive(v))
			return
		}
		render(w, r, http.StatusOK, views.MoneyPage(layout(r, views.T(r.Context(), "money.title")), v))
	})
}

// handleWithdraw pays available money out to a bank account through the
// provider. The payout id is made with the form, so a double submit pays
// out once.
func handleWithdraw(log *slog.Logger, store *db.DB, provider db.PaymentProvider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		f := r.PostForm
		currency := strings.ToUpper(f.Get("currency"))
		form := views.Form{Values: map[string]string{"amount": f.Get("amount"), "iban": f.Get("iban"), "currency": currency}, Problems: map[string]string{}}
		// The page (balances, history, a fresh payout id) is loaded only to
		// show the form again; a withdrawal that goes through redirects.
		page := func(status int) {
			v, err := moneyView(r, store)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			v.Withdraw = form
			render(w, r, status, views.MoneyPage(layout(r, views.T(r.Context(), "money.title")), v))
		}
		amount, err := money.Parse(f.Get("amount"), currency)
		switch {
		case err != nil:
			form.Problems["amount"] = views.ErrorText(r.Context(), err)
		case amount.Currency != currency:
			// "1 USD" typed in a EUR withdrawal: neither currency is
			// safe to guess, so the person says which.
			form.Problems["amount"] = views.T(r.Context(), "money.currency_mismatch", amount.Currency, currency)
		}
		switch iban := f.Get("iban"); {
		case strings.TrimSpace(iban) == "":
			form.Problems["iban"] = "iban_required"
		case !db.ValidIBAN(iban):
			form.Problems["iban"] = "iban_invalid"
		}
		if len(form.Problems) > 0 {
			page(http.StatusUnprocessableEntity)
			return
		}
		// Money leaves only for someone whose payments are activated.
		if prof, err := store.PaymentProfile(r.Context(), currentUser(r).ID); err != nil || !prof.Active {
			if err != nil && db.ErrorCode(err) != db.ENOTFOUND {
				fail(w, r, log, err)
				return
			}
			form.Error = views.T(r.Context(), "money.setup_first")
			page(http.StatusForbidden)
			return
		}
		// Money leaves Divvy only with the PIN, like a payment.
		_, err = store.Withdraw(r.Context(), provider, db.Withdrawal{UserID: currentUser(r).ID, PayoutID: f.Get("payout_id"),
			Amount: amount, IBAN: f.Get("iban"), PIN: f.Get("pin")})
		var pin *db.PINRefused
		switch {
		case errors.As(err, &pin):
			form.Problems["pin"] = pinProblem(r, pin)
			page(http.StatusUnprocessableEntity)
			return
		case errors.Is(err, db.ErrSetupFirst):
			form.Error = views.T(r.Context(), "money.setup_first")
			page(http.StatusUnprocessableEntity)
			return
		}
		switch db.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/money?withdrawn=1", http.StatusSeeOther)
		case db.EINVALID, db.EINSUFFICIENT, db.EDECLINED, db.ECONFLICT:
			form.Error = views.ErrorText(r.Context(), err)
			page(http.StatusUnprocessableEntity)
		default:
			fail(w, r, log, err)
		}
	})
}

// handleOutbox shows, in development only, the codes and reminders that
// a real deployment would mail.
func handleOutbox(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms, err := store.Outbox(r.Context(), 50)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		var items []views.OutboxItem
		for _, m := range ms {
			items = append(items, views.OutboxItem{To: m.To, Kind: m.Kind, Subject: m.Subject, Body: m.Body, When: m.CreatedAt.Local().Format("15:04:05")})
		}
		render(w, r, http.StatusOK, views.OutboxPage(layout(r, "Outbox"), items))
	})
}
