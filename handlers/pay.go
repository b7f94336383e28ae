package handlers

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"divvy/db"
	"divvy/views"
)

// payTarget is the viewer's due share of the split in the path.
func payTarget(r *http.Request, store *db.DB) (db.Split, db.Share, views.PayContext, error) {
	id, err := strconv.ParseInt(r.PathValue("split"), 10, 64)
	if err != nil || id <= 0 {
		return db.Split{}, db.Share{}, views.PayContext{}, db.ErrNotFound.New("split")
	}
	// Only the payer's own share: paying does not need the others'.
	s, sh, ok, err := store.SplitShare(r.Context(), currentMembership(r).thread.ID, id, currentUser(r).ID)
	if err != nil {
		return db.Split{}, db.Share{}, views.PayContext{}, err
	}
	if !ok || sh.Status == db.ShareSelf {
		return db.Split{}, db.Share{}, views.PayContext{}, db.ErrNoShareToPay.New()
	}
	pc := views.PayContext{Title: s.Title, Amount: views.Money(r.Context(), sh.Amount), CollectorName: s.CollectorName,
		Next: splitPath(s.ThreadID, s.ID) + "/pay"}
	return s, sh, pc, nil
}

// handlePayShow leads to paying a share: payment setup the first time, the
// activation code next, then the PIN.
func handlePayShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, sh, pc, err := payTarget(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if sh.Status != db.ShareDue || s.Status != db.SplitOpen {
			http.Redirect(w, r, threadPath(s.ThreadID)+"#split-"+itoa(s.ID), http.StatusSeeOther)
			return
		}
		renderPayStep(w, r, log, store, pc, http.StatusOK, views.Form{})
	})
}

// renderPayStep shows whichever step the viewer is at.
func renderPayStep(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, pc views.PayContext, status int, f views.Form) {
	u := currentUser(r)
	prof, err := store.PaymentProfile(r.Context(), u.ID)
	switch {
	case db.ErrorCode(err) == db.ENOTFOUND:
		if f.Values == nil {
			f.Values = map[string]string{"contact": u.Email}
		}
		render(w, r, status, views.PaySetupPage(layout(r, views.T(r.Context(), "setup.title")), pc, f))
	case err != nil:
		fail(w, r, log, err)
	case !prof.Active:
		render(w, r, status, views.ActivatePage(layout(r, views.T(r.Context(), "activate.title")), pc, prof.Contact, f))
	default:
		p := views.PayPage{PayContext: pc, Action: strings.TrimSuffix(pc.Next, "/pay") + "/pay", PaymentID: newPaymentID(),
			Card: cardText(prof), Form: f}
		render(w, r, status, views.PayPageView(layout(r, views.T(r.Context(), "pay.title", pc.Amount)), p))
	}
}

func newPaymentID() string { return "pay-" + db.NewToken() }

func cardText(p db.PaymentProfile) string {
	brand := p.Brand
	if brand != "" {
		brand = strings.ToUpper(brand[:1]) + brand[1:]
	}
	return brand + " ···· " + p.Last4
}

// handlePaySetup saves the payment setup: the card goes to the provider
// and only its token, brand and last 4 digits are kept.
func handlePaySetup(log *slog.Logger, store *db.DB, provider db.PaymentProvider, notify db.Notifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		f := r.PostForm
		in := db.PaymentSetup{
			LegalName: f.Get("legal_name"), Contact: f.Get("contact"),
			Card: db.CardInput{Number: f.Get("card_number"), ExpMonth: f.Get("exp_month"), ExpYear: f.Get("exp_year"), CVC: f.Get("cvc")},
			PIN:  f.Get("pin"), PINConfirm: f.Get("pin_confirm"),
		}
		next := localPath(f.Get("next"))
		// Typed values come back on a form with problems, except the card
		// number, the CVC and the PIN, which are never echoed.
		form := views.Form{Values: map[string]string{"legal_name": f.Get("legal_name"), "contact": f.Get("contact"),
			"exp_month": f.Get("exp_month"), "exp_year": f.Get("exp_year")}, Problems: in.Problems()}
		page := func(status int) {
			render(w, r, status, views.PaySetupPage(layout(r, views.T(r.Context(), "setup.title")), views.PayContext{Next: next}, form))
		}
		if len(form.Problems) > 0 {
			page(http.StatusUnprocessableEntity)
			return
		}
		// Active payments are changed only through a new setup proven with
		// the PIN (not offered yet): a stolen session must not swap the PIN
		// that guards payments and withdrawals.
		if prof, err := store.PaymentProfile(r.Context(), currentUser(r).ID); err == nil && prof.Active {
			fail(w, r, log, db.ErrPaymentsActive.New())
			return
		}
		prof, err := store.SetupPayments(r.Context(), currentUser(r).ID, provider, notify, in)
		switch db.ErrorCode(err) {
		case "":
			http.Redirect(w, r, next, http.StatusSeeOther)
		case db.EUNAVAILABLE:
			if prof.UserID != 0 {
				// Saved, but the code did not leave: the activation step
				// offers to send a new one.
				http.Redirect(w, r, next, http.StatusSeeOther)
				return
			}
			fail(w, r, log, err)
		case db.EINVALID, db.EDECLINED:
			form.Problems["card_number"] = views.ErrorText(r.Context(), err)
			page(http.StatusUnprocessableEntity)
		default:
			fail(w, r, log, err)
		}
	})
}

func handlePayActivate(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		next := localPath(r.PostForm.Get("next"))
		err := store.ActivatePayments(r.Context(), currentUser(r).ID, strings.TrimSpace(r.PostForm.Get("code")))
		switch db.ErrorCode(err) {
		case "":
			http.Redirect(w, r, next, http.StatusSeeOther)
		case db.EINVALID, db.ETOOMANY:
			prof, perr := store.PaymentProfile(r.Context(), currentUser(r).ID)
			if perr != nil {
				fail(w, r, log, perr)
				return
			}
			f := views.Form{Problems: map[string]string{"code": views.ErrorText(r.Context(), err)}}
			render(w, r, http.StatusUnprocessableEntity, views.ActivatePage(layout(r, views.T(r.Context(), "activate.title")),
				views.PayContext{Next: next}, prof.Contact, f))
		default:
			fail(w, r, log, err)
		}
	})
}

func handlePayResend(log *slog.Logger, store *db.DB, notify db.Notifier) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		if err := store.ResendActivation(r.Context(), currentUser(r).ID, notify); err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, localPath(r.PostForm.Get("next")), http.StatusSeeOther)
	})
}

// handlePay confirms a payment with the PIN and records it: charged to the
// card, pending in the collector's balance until the provider settles, the
// share paid once, the payment posted in the thread.
func handlePay(log *slog.Logger, store *db.DB, provider db.PaymentProvider, skipPIN bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ctx := r.Context()
		u := currentUser(r)
		s, sh, pc, err := payTarget(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		id := strings.TrimSpace(r.PostForm.Get("payment_id"))
		done := func() {
			http.Redirect(w, r, threadPath(s.ThreadID)+"#split-"+itoa(s.ID), http.StatusSeeOther)
		}
		if sh.Status == db.SharePaid {
			if sh.TransferID == id {
				done() // a retry of the payment that went through
				return
			}
			fail(w, r, log, db.ErrSharePaid.New())
			return
		}
		// Checked again under lock by the payment itself once the pay use
		// case owns the split lock; until then this keeps a cancelled split
		// from being charged.
		if err := s.RequireOpen(); err != nil {
			fail(w, r, log, err)
			return
		}
		again := func(status int, problem string) {
			renderPayStep(w, r, log, store, pc, status, views.Form{Problems: map[string]string{"pin": problem}})
		}
		if err := checkPIN(r, store, u.ID, skipPIN); err != nil {
			switch db.ErrorCode(err) {
			case db.EINVALID:
				again(http.StatusUnprocessableEntity, views.ErrorText(ctx, err))
			case db.ETOOMANY:
				if _, until, err := store.PINStatus(ctx, u.ID); err == nil && until.After(time.Now()) {
					w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(until).Seconds())+1))
				}
				again(http.StatusTooManyRequests, views.ErrorText(ctx, err))
			case db.ENOTFOUND:
				http.Redirect(w, r, pc.Next, http.StatusSeeOther)
			default:
				fail(w, r, log, err)
			}
			return
		}
		prof, err := store.PaymentProfile(ctx, u.ID)
		if err != nil || !prof.Active {
			http.Redirect(w, r, pc.Next, http.StatusSeeOther)
			return
		}
		t, err := store.PayByCard(ctx, provider, db.CardPayment{ID: id, PayerID: u.ID, CollectorID: s.CollectorID,
			Amount: sh.Amount, Token: prof.Token, SplitID: s.ID, ShareID: sh.ID, Then: db.PaymentRecorded(s, sh, "card")})
		switch db.ErrorCode(err) {
		case "":
		case db.EDECLINED, db.ELIMIT, db.EINSUFFICIENT:
			// The refused id stays refused; the page comes back with a new one.
			status := http.StatusUnprocessableEntity
			if db.ErrorCode(err) == db.EDECLINED {
				status = http.StatusPaymentRequired
			}
			renderPayStep(w, r, log, store, pc, status, views.Form{Error: views.ErrorText(ctx, err)})
			return
		default:
			fail(w, r, log, err)
			return
		}
		if err := store.AfterPayment(ctx, s); err != nil {
			fail(w, r, log, err)
			return
		}
		log.Info("share paid", "split_id", s.ID, "share_id", sh.ID, "transfer_id", t.ID)
		done()
	})
}

// handlePaySetupShow is payment setup on its own (from the Money page):
// setup, then activation, then back to next.
func handlePaySetupShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := localPath(r.URL.Query().Get("next"))
		prof, err := store.PaymentProfile(r.Context(), currentUser(r).ID)
		if err == nil && prof.Active {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		renderPayStep(w, r, log, store, views.PayContext{Next: r.URL.RequestURI()}, http.StatusOK, views.Form{})
	})
}

func checkPIN(r *http.Request, store *db.DB, userID int64, skip bool) error {
	if skip {
		return nil
	}
	return store.CheckPIN(r.Context(), userID, r.PostForm.Get("pin"))
}
