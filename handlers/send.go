package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// sendPath is a thread's Send form, for one person when to is not 0.
func sendPath(threadID, to int64) string {
	p := threadPath(threadID) + "/send"
	if to != 0 {
		p += "?to=" + itoa(to)
	}
	return p
}

// sendView is the Send form of the thread in the path: the people who can
// receive (every other member; the other one in a two-person thread).
func sendView(r *http.Request, store *db.DB, f views.Form) (views.SendPage, error) {
	ms := currentMembership(r)
	me := currentUser(r).ID
	members, err := store.Members(r.Context(), ms.thread.ID)
	if err != nil {
		return views.SendPage{}, err
	}
	ready, err := store.ReadyToReceive(r.Context(), ms.thread.ID)
	if err != nil {
		return views.SendPage{}, err
	}
	p := views.SendPage{ThreadID: ms.thread.ID, ThreadName: ms.thread.Name, Direct: ms.thread.Direct,
		Currency: ms.thread.Currency, Form: f, PaymentID: f.Value("payment_id")}
	for _, m := range members {
		if m.UserID != me {
			p.People = append(p.People, views.SendPerson{ID: m.UserID, Name: m.DisplayName, Ready: ready[m.UserID]})
		}
	}
	if ms.thread.Direct && len(p.People) == 1 {
		p.ThreadName = p.People[0].Name
		if p.Form.Value("to") == "" {
			p.Form.Values["to"] = itoa(p.People[0].ID)
		}
	}
	if p.PaymentID == "" {
		p.PaymentID = newPaymentID()
	}
	return p, nil
}

// handleSendShow is the Send form, after payment setup and activation the
// first time (they come back here).
func handleSendShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		f := views.Form{Values: map[string]string{"to": q.Get("to"), "amount": q.Get("amount"), "note": q.Get("note")}}
		renderSendStep(w, r, log, store, http.StatusOK, f)
	})
}

// renderSendStep shows payment setup, activation or the Send form, by
// where the sender is.
func renderSendStep(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, status int, f views.Form) {
	ms := currentMembership(r)
	u := currentUser(r)
	// Setup and activation come back here with what was typed (a
	// command's amount and note).
	next := threadPath(ms.thread.ID) + "/send"
	q := url.Values{}
	for _, k := range []string{"to", "amount", "note"} {
		if v := f.Value(k); v != "" {
			q.Set(k, v)
		}
	}
	if len(q) > 0 {
		next += "?" + q.Encode()
	}
	pc := views.PayContext{Next: next, ThreadID: ms.thread.ID, ThreadName: ms.thread.Name}
	prof, err := store.PaymentProfile(r.Context(), u.ID)
	switch {
	case db.ErrorCode(err) == db.ENOTFOUND:
		render(w, r, status, views.PaySetupPage(layout(r, views.T(r.Context(), "setup.title")), pc,
			views.Form{Values: map[string]string{"contact": u.Email}}))
		return
	case err != nil:
		fail(w, r, log, err)
		return
	case !prof.Active:
		render(w, r, status, views.ActivatePage(layout(r, views.T(r.Context(), "activate.title")), pc, prof.Contact, views.Form{}))
		return
	}
	p, err := sendView(r, store, f)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	p.Card = cardText(prof)
	p.Passkey = passkeyOffer(r, log, store, p.PaymentID, money.Money{}, ms.thread.Currency)
	render(w, r, status, views.SendPageView(layout(r, views.T(r.Context(), "send.title")), p))
}

// handleSend sends money with the PIN (see db.SendMoney) and goes back to
// the thread, or shows the form again, every typed value kept but the PIN,
// with what is wrong next to its field.
func handleSend(log *slog.Logger, store *db.DB, provider db.PaymentProvider, notify db.Notifier, baseURL string, skipPIN bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		pf := r.PostForm
		f := views.Form{Values: map[string]string{"to": pf.Get("to"), "amount": pf.Get("amount"), "note": pf.Get("note"),
			"payment_id": pf.Get("payment_id")}, Problems: map[string]string{}}
		again := func(status int) { renderSendStep(w, r, log, store, status, f) }
		to, err := strconv.ParseInt(pf.Get("to"), 10, 64)
		if err != nil || to <= 0 {
			f.Problems["to"] = views.T(r.Context(), "send.to_required")
		}
		amount, err := money.Parse(pf.Get("amount"), ms.thread.Currency)
		if err != nil {
			f.Problems["amount"] = views.ErrorText(r.Context(), err)
		}
		if n := len([]rune(strings.TrimSpace(pf.Get("note")))); n > db.MaxSendNote {
			f.Problems["note"] = views.T(r.Context(), "send.note_long_field", db.MaxSendNote)
		}
		if len(f.Problems) > 0 {
			again(http.StatusUnprocessableEntity)
			return
		}
		sent, err := store.SendMoney(r.Context(), provider, db.Send{ThreadID: ms.thread.ID, SenderID: currentUser(r).ID,
			RecipientID: to, Amount: amount, Note: pf.Get("note"), PaymentID: pf.Get("payment_id"), PIN: pf.Get("pin"), Passkey: pf.Get("passkey"), SkipPIN: skipPIN})
		var pin *db.PINRefused
		switch {
		case err == nil:
			log.Info("money sent", "group_id", ms.thread.ID, "transfer_id", sent.Transfer.ID, "waiting", sent.Waiting)
			if sent.Waiting {
				tellMoneyWaiting(r, log, store, notify, baseURL, to, amount, pf.Get("note"))
			}
			to := threadPath(ms.thread.ID)
			if sent.MessageID != 0 {
				to += "#m" + itoa(sent.MessageID)
			}
			http.Redirect(w, r, to, http.StatusSeeOther)
		case errors.As(err, &pin):
			status := http.StatusUnprocessableEntity
			if db.ErrorCode(err) == db.ETOOMANY {
				status = http.StatusTooManyRequests
				if !pin.LockedUntil.IsZero() {
					w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(pin.LockedUntil).Seconds())+1))
				}
			}
			f.Problems["pin"] = pinProblem(r, pin)
			again(status)
		case errors.Is(err, db.ErrSetupFirst):
			http.Redirect(w, r, sendPath(ms.thread.ID, to), http.StatusSeeOther)
		case db.ReasonOf(err) == "pay.self":
			f.Problems["to"] = views.ErrorText(r.Context(), err)
			again(http.StatusUnprocessableEntity)
		case db.ReasonOf(err) == "send.amount" || db.ReasonOf(err) == "amount.invalid":
			f.Problems["amount"] = views.ErrorText(r.Context(), err)
			again(http.StatusUnprocessableEntity)
		case db.ReasonOf(err) == "send.note_long":
			f.Problems["note"] = views.ErrorText(r.Context(), err)
			again(http.StatusUnprocessableEntity)
		case db.ReasonOf(err) == "pay.not_accepting":
			// They turned payments off: nothing was recorded, the id is free.
			f.Problems["to"] = views.ErrorText(r.Context(), err)
			again(http.StatusConflict)
		case db.ErrorCode(err) == db.EDECLINED || db.ErrorCode(err) == db.ELIMIT || db.ErrorCode(err) == db.EINSUFFICIENT:
			// The refused id stays refused; the form comes back with a new one.
			status := http.StatusUnprocessableEntity
			if db.ErrorCode(err) == db.EDECLINED {
				status = http.StatusPaymentRequired
			}
			f.Error, f.Values["payment_id"] = views.ErrorText(r.Context(), err), ""
			again(status)
		default:
			fail(w, r, log, err)
		}
	})
}

// tellMoneyWaiting e-mails someone who has not set up payments that money
// waits for them, when their address is known. The thread says it too, so
// a mail that does not leave is only logged.
func tellMoneyWaiting(r *http.Request, log *slog.Logger, store *db.DB, notify db.Notifier, baseURL string, to int64, amount money.Money, note string) {
	u, err := store.UserByID(r.Context(), to)
	if err != nil || u.Email == "" {
		return
	}
	threadID := currentMembership(r).thread.ID
	n := db.Notification{UserID: u.ID, To: u.Email, Kind: db.NotifyMoneyWaiting, Locale: u.Locale, Data: map[string]any{
		"from": currentUser(r).DisplayName, "amount": amount, "note": strings.TrimSpace(note),
		"link": baseURL + "/payments/setup?next=" + threadPath(threadID), "days": int(db.WaitingFor.Hours() / 24)}}
	if err := notify.Notify(r.Context(), n); err != nil {
		log.Warn("tell of money waiting", "user_id", u.ID, "err", err)
	}
}
