package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// Personal pay links (/to/<handle>) and request links (/r/<token>): anyone
// with the link pays the person by card with their PIN, as a guest when
// signed out.

// linkLookupsPerAddress bounds how many pay-link pages one address opens in
// linkLookupWindow: plenty for people, too few to walk the handles.
const (
	linkLookupsPerAddress = 60
	linkLookupWindow      = 10 * time.Minute
)

func init() {
	noticeKeys["links.handle_saved"] = true
	noticeKeys["requests.made"] = true
	noticeKeys["requests.revoked"] = true
}

// linkLookupAllowed counts a pay-link page against its address's limit.
func linkLookupAllowed(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB) bool {
	return withinLimits(w, r, log, store, rateLimit{"links:address:" + clientAddress(r), linkLookupsPerAddress, linkLookupWindow})
}

// linkPage is the page of a pay link, as its handlers build it.
type linkPage struct {
	owner     db.HandleOwner
	request   *db.RequestLink
	action    string
	fixed     money.Money // the amount the link fixes (zero Currency when none)
	note      string
	linkError string // the amount in the link was not valid
}

// handleToShow shows a personal pay link: "Pay Sam", an amount and a note
// if the link carries them (?amount=12,50&note=pizza), and the step the
// viewer is at (a name, payment setup, the PIN). An old handle redirects to
// the current one; an unknown one is the 404 page.
func handleToShow(log *slog.Logger, store *db.DB, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !linkLookupAllowed(w, r, log, store) {
			return
		}
		lp, ok := toPage(w, r, log, store)
		if !ok {
			return
		}
		renderLink(w, r, log, store, baseURL, lp, http.StatusOK, views.Form{})
	})
}

// toPage finds the handle of the path and reads the link's amount and note;
// it answers (404, or the redirect of an old handle) when it returns false.
func toPage(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB) (linkPage, bool) {
	o, err := store.HandleOwner(r.Context(), r.PathValue("handle"))
	if db.ErrorCode(err) == db.ENOTFOUND {
		renderError(w, r, http.StatusNotFound, "error.404")
		return linkPage{}, false
	}
	if err != nil {
		fail(w, r, log, err)
		return linkPage{}, false
	}
	if r.Method == http.MethodGet && (!o.Current || o.Handle != r.PathValue("handle")) {
		// An old handle, or another spelling of this one: the link people
		// should keep.
		u := "/to/" + url.PathEscape(o.Handle)
		if r.URL.RawQuery != "" {
			u += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, u, http.StatusMovedPermanently)
		return linkPage{}, false
	}
	lp := linkPage{owner: o, action: "/to/" + url.PathEscape(o.Handle)}
	q := r.URL.Query()
	if a := strings.TrimSpace(q.Get("amount")); a != "" {
		m, err := money.Parse(a, "EUR")
		if err == nil {
			err = amountOverCap(r, store, m)
		}
		if err != nil {
			lp.linkError = views.T(r.Context(), "linkpay.bad_amount", views.ErrorText(r.Context(), err))
		} else {
			lp.fixed = m
		}
	}
	if n := strings.TrimSpace(q.Get("note")); n != "" && db.CheckLinkNote(n) == nil && printable(n) {
		lp.note = n
	}
	return lp, true
}

// printable refuses control characters in text from a link.
func printable(s string) bool {
	for _, c := range s {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}

// amountOverCap refuses an amount over the per-payment cap (for the viewer,
// over their 30-day cap too).
func amountOverCap(r *http.Request, store *db.DB, m money.Money) error {
	if u := currentUser(r); u != nil {
		return store.CheckCaps(r.Context(), u.ID, m)
	}
	l, err := store.Limits(r.Context())
	if err != nil {
		return err
	}
	per, _ := l.For(m.Currency)
	if m.Amount.GreaterThan(per) {
		return store.CheckCaps(r.Context(), 0, m)
	}
	return nil
}

// renderLink shows a pay link's page at the viewer's step.
func renderLink(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, baseURL string, lp linkPage, status int, f views.Form) {
	ctx := r.Context()
	o := lp.owner
	v := views.PayLinkView{Name: o.Name, Initials: initials(o.Name), Handle: o.Handle, Action: lp.action, Note: lp.note, Form: f,
		LoginURL: "/login?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()}
	if lp.request != nil {
		v.Handle = ""
		v.Note = lp.request.Note
	} else if r.URL.RawQuery != "" {
		// The amount and note the link fixes go with the form.
		v.Action += "?" + r.URL.RawQuery
	}
	if lp.fixed.Currency != "" {
		v.Amount = views.Money(ctx, lp.fixed)
	}
	if lp.linkError != "" && v.Form.Problem("amount") == "" && v.Form.Error == "" {
		v.Form.Error = lp.linkError
	}
	u := currentUser(r)
	switch {
	case lp.request != nil && lp.request.Status != db.RequestOpen:
		v.Closed = views.T(ctx, "requests.closed."+string(lp.request.Status))
	case !o.Accepts:
		v.Closed = views.T(ctx, "linkpay.closed", o.Name)
	case u != nil && u.ID == o.UserID:
		v.Own = true
	case u == nil:
		v.Step = views.LinkStepGuest
	default:
		prof, err := store.PaymentProfile(ctx, u.ID)
		switch {
		case db.ErrorCode(err) == db.ENOTFOUND || err == nil && !prof.Active:
			v.Step = views.LinkStepSetup
		case err != nil:
			fail(w, r, log, err)
			return
		default:
			v.Step, v.PaymentID, v.Card = views.LinkStepPIN, newPaymentID(), cardText(prof)
			v.Passkey = passkeyOffer(r, log, store, v.PaymentID, lp.fixed, "EUR")
		}
	}
	l := layout(r, views.T(ctx, "linkpay.title", o.Name))
	l.Meta = &views.Meta{Title: views.T(ctx, "linkpay.title", o.Name), Description: views.T(ctx, "linkpay.description", o.Name),
		URL: baseURL + lp.action, Image: baseURL + lp.action + "/qr.png", NoIndex: true}
	if lp.request != nil {
		l.Meta.Title = views.T(ctx, "reqlink.title", o.Name, v.Amount)
		l.Meta.Description = views.T(ctx, "linkpay.request_desc", o.Name, v.Amount)
		l.Title = l.Meta.Title
	}
	w.Header().Set("Cache-Control", "private, no-store")
	render(w, r, status, views.PayLinkPage(l, v))
}

// initials are the first letters of the first and last words of a name.
func initials(name string) string {
	words := strings.Fields(name)
	if len(words) == 0 {
		return "?"
	}
	first := func(s string) string {
		for _, c := range s {
			return strings.ToUpper(string(c))
		}
		return ""
	}
	if len(words) == 1 {
		return first(words[0])
	}
	return first(words[0]) + first(words[len(words)-1])
}

// handleToPay pays a personal pay link: a guest account first for a
// signed-out visitor (a name), payment setup the first time, then the PIN.
func handleToPay(log *slog.Logger, store *db.DB, provider db.PaymentProvider, s *sessionManager, baseURL string, skipPIN bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		if !linkLookupAllowed(w, r, log, store) {
			return
		}
		lp, ok := toPage(w, r, log, store)
		if !ok {
			return
		}
		payLinkPost(w, r, log, store, provider, s, baseURL, skipPIN, lp)
	})
}

// payLinkPost is the form of a pay link posted: the amount and note
// checked, then the viewer's step.
func payLinkPost(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, provider db.PaymentProvider, s *sessionManager,
	baseURL string, skipPIN bool, lp linkPage) {
	ctx := r.Context()
	f := r.PostForm
	form := views.Form{Values: map[string]string{"amount": f.Get("amount"), "note": f.Get("note"), "name": f.Get("name")},
		Problems: map[string]string{}}
	again := func(status int) { renderLink(w, r, log, store, baseURL, lp, status, form) }
	amount, note := lp.fixed, lp.note
	if lp.request != nil {
		amount, note = lp.request.Amount, lp.request.Note
	}
	if amount.Currency == "" {
		m, err := money.Parse(f.Get("amount"), "EUR")
		if err == nil {
			err = amountOverCap(r, store, m)
		}
		if err != nil {
			form.Problems["amount"] = views.ErrorText(ctx, err)
		}
		amount = m
		lp.linkError = ""
	}
	if lp.request == nil && lp.note == "" {
		note = strings.TrimSpace(f.Get("note"))
		if err := db.CheckLinkNote(note); err != nil {
			form.Problems["note"] = views.ErrorText(ctx, err)
		}
	}
	if len(form.Problems) > 0 {
		again(http.StatusUnprocessableEntity)
		return
	}
	if lp.request != nil && lp.request.Status != db.RequestOpen || !lp.owner.Accepts {
		again(http.StatusConflict)
		return
	}
	// Back here after setup, with what the payer chose kept in the link.
	back := lp.action
	if lp.request == nil {
		back += "?" + url.Values{"amount": {money.FormatPlain(amount, "en")}, "note": {note}}.Encode()
	}
	u := currentUser(r)
	if u == nil {
		if !withinLimits(w, r, log, store, rateLimit{"guest:address:" + clientAddress(r), guestsPerAddress, signupWindow}) {
			return
		}
		name := strings.TrimSpace(f.Get("name"))
		guest, err := store.CreateGuest(ctx, name, views.Locale(ctx))
		if db.ErrorCode(err) == db.EINVALID {
			form.Problems["name"] = views.ErrorText(ctx, err)
			again(http.StatusUnprocessableEntity)
			return
		}
		if err == nil {
			err = s.start(w, r, guest.ID)
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, "/payments/setup?"+url.Values{"next": {back}}.Encode(), http.StatusSeeOther)
		return
	}
	if u.ID == lp.owner.UserID {
		again(http.StatusUnprocessableEntity)
		return
	}
	if prof, err := store.PaymentProfile(ctx, u.ID); db.ErrorCode(err) == db.ENOTFOUND || err == nil && !prof.Active {
		http.Redirect(w, r, "/payments/setup?"+url.Values{"next": {back}}.Encode(), http.StatusSeeOther)
		return
	} else if err != nil {
		fail(w, r, log, err)
		return
	}
	in := db.LinkPayment{PayeeID: lp.owner.UserID, PayerID: u.ID, Amount: amount, Note: note,
		PaymentID: f.Get("payment_id"), PIN: f.Get("pin"), Passkey: f.Get("passkey"), SkipPIN: skipPIN}
	if lp.request != nil {
		in.RequestID = lp.request.ID
	}
	t, err := store.PayLink(ctx, provider, in)
	var pin *db.PINRefused
	switch {
	case err == nil:
		log.Info("link paid", "payee_id", lp.owner.UserID, "transfer_id", t.ID)
		var thread string
		if id, err := store.DirectThreadOf(ctx, u.ID, lp.owner.UserID); err == nil {
			thread = threadPath(id)
		}
		render(w, r, http.StatusOK, views.PayLinkDone(layout(r, views.T(ctx, "linkpay.paid")), lp.owner.Name,
			views.Money(ctx, t.Amount), note, thread))
	case errors.As(err, &pin):
		status := http.StatusUnprocessableEntity
		if db.ErrorCode(err) == db.ETOOMANY {
			status = http.StatusTooManyRequests
			if !pin.LockedUntil.IsZero() {
				w.Header().Set("Retry-After", strconv.Itoa(int(time.Until(pin.LockedUntil).Seconds())+1))
			}
		}
		form.Problems["pin"] = pinProblem(r, pin)
		again(status)
	case errors.Is(err, db.ErrSetupFirst):
		http.Redirect(w, r, "/payments/setup?"+url.Values{"next": {back}}.Encode(), http.StatusSeeOther)
	case db.ErrorCode(err) == db.EDECLINED:
		form.Error = views.ErrorText(ctx, err)
		again(http.StatusPaymentRequired)
	case db.ErrorCode(err) == db.ELIMIT || db.ErrorCode(err) == db.EINSUFFICIENT || db.ErrorCode(err) == db.EINVALID:
		form.Error = views.ErrorText(ctx, err)
		again(http.StatusUnprocessableEntity)
	case db.ErrorCode(err) == db.ECONFLICT:
		// Paid by someone else meanwhile, revoked, expired, in flight.
		if lp.request != nil {
			if fresh, ferr := store.RequestByToken(ctx, r.PathValue("token")); ferr == nil {
				lp.request = &fresh
			}
		}
		form.Error = views.ErrorText(ctx, err)
		again(http.StatusConflict)
	default:
		fail(w, r, log, err)
	}
}
