package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"regexp"
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
	return s, sh, payContext(r, s, sh), nil
}

func payContext(r *http.Request, s db.Split, sh db.Share) views.PayContext {
	// What is left: the share, or the rest of it once paid in part.
	return views.PayContext{Title: s.Title, Amount: views.Money(r.Context(), sh.Left()), CollectorName: s.CollectorName,
		Next: splitPath(s.ThreadID, s.ID) + "/pay", ThreadID: s.ThreadID, ThreadName: currentMembership(r).thread.Name, Due: sh.Left()}
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
		p.Passkey = passkeyOffer(r, log, store, p.PaymentID, pc.Due, "")
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
			render(w, r, status, views.PaySetupPage(layout(r, views.T(r.Context(), "setup.title")), payContextOf(r, store, next), form))
		}
		if len(form.Problems) > 0 {
			page(http.StatusUnprocessableEntity)
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
				payContextOf(r, store, next), prof.Contact, f))
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

// handlePay pays the viewer's share with the PIN (see db.PayShare) and
// goes back to the thread, or shows the form again with what went wrong.
func handlePay(log *slog.Logger, store *db.DB, provider db.PaymentProvider, skipPIN bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		splitID, err := strconv.ParseInt(r.PathValue("split"), 10, 64)
		if err != nil || splitID <= 0 {
			fail(w, r, log, db.ErrNotFound.New("split"))
			return
		}
		paid, err := store.PayShare(r.Context(), provider, db.SharePayment{ThreadID: currentMembership(r).thread.ID, SplitID: splitID,
			PayerID: currentUser(r).ID, PaymentID: r.PostForm.Get("payment_id"), PIN: r.PostForm.Get("pin"), Passkey: r.PostForm.Get("passkey"), SkipPIN: skipPIN})
		s, sh := paid.Split, paid.Share
		pc := payContext(r, s, sh)
		again := func(status int, f views.Form) { renderPayStep(w, r, log, store, pc, status, f) }
		var pin *db.PINRefused
		switch {
		case err == nil:
			log.Info("share paid", "split_id", s.ID, "share_id", sh.ID, "transfer_id", paid.Transfer.ID)
			http.Redirect(w, r, threadPath(s.ThreadID)+"#split-"+itoa(s.ID), http.StatusSeeOther)
		case errors.As(err, &pin):
			// The wrong PIN that locks payments is a 422 like the others;
			// the tries refused while they are locked are 429s.
			status := http.StatusUnprocessableEntity
			if db.ErrorCode(err) == db.ETOOMANY {
				status = http.StatusTooManyRequests
				if !pin.LockedUntil.IsZero() {
					w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(pin.LockedUntil).Seconds())+1))
				}
			}
			again(status, views.Form{Problems: map[string]string{"pin": pinProblem(r, pin)}})
		case errors.Is(err, db.ErrSetupFirst):
			http.Redirect(w, r, pc.Next, http.StatusSeeOther)
		case s.ID != 0 && db.ReasonOf(err) == "pay.not_accepting":
			// The collector turned payments off: another way is left.
			again(http.StatusConflict, views.Form{Error: views.ErrorText(r.Context(), err)})
		case s.ID != 0 && (db.ErrorCode(err) == db.EDECLINED || db.ErrorCode(err) == db.ELIMIT || db.ErrorCode(err) == db.EINSUFFICIENT):
			// The refused id stays refused; the page comes back with a new one.
			status := http.StatusUnprocessableEntity
			if db.ErrorCode(err) == db.EDECLINED {
				status = http.StatusPaymentRequired
			}
			again(status, views.Form{Error: views.ErrorText(r.Context(), err)})
		default:
			fail(w, r, log, err)
		}
	})
}

// pinProblem says what is wrong with the PIN in the reader's language.
func pinProblem(r *http.Request, pin *db.PINRefused) string {
	return views.ErrorText(r.Context(), pin)
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

var payPath = regexp.MustCompile(`^/threads/(\d+)/splits/(\d+)/pay$`)

// payContextOf keeps "€11.88 to Olivia for Pizza night" on a setup or
// activation form shown again: next says which share is being paid.
func payContextOf(r *http.Request, store *db.DB, next string) views.PayContext {
	pc := views.PayContext{Next: next}
	m := payPath.FindStringSubmatch(next)
	if m == nil {
		return pc
	}
	threadID, _ := strconv.ParseInt(m[1], 10, 64)
	splitID, _ := strconv.ParseInt(m[2], 10, 64)
	thread, _, err := store.Membership(r.Context(), threadID, currentUser(r).ID)
	if err != nil {
		return pc
	}
	s, sh, ok, err := store.SplitShare(r.Context(), threadID, splitID, currentUser(r).ID)
	if err != nil || !ok {
		return pc
	}
	pc = views.PayContext{Title: s.Title, Amount: views.Money(r.Context(), sh.Left()), CollectorName: s.CollectorName,
		Next: next, ThreadID: s.ThreadID, ThreadName: thread.Name}
	return pc
}
