package handlers

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"rsc.io/qr"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// The Money page's pay links: the personal link's handle, request links,
// and their QR codes and printable cards.

// requestsShown is how many request links the Money page lists.
const requestsShown = 20

type baseURLKey struct{}

// withBaseURL gives the handlers behind it the app's public address, for
// the links they show.
func withBaseURL(base string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), baseURLKey{}, base)))
	})
}

func baseURLOf(r *http.Request) string {
	b, _ := r.Context().Value(baseURLKey{}).(string)
	return b
}

// personalURL is a handle's pay link.
func personalURL(base, handle string) string { return base + "/to/" + url.PathEscape(handle) }

// requestURL is a request link.
func requestURL(base, token string) string { return base + "/r/" + token }

// linksView is the Money page's pay-link section for the viewer.
func linksView(r *http.Request, store *db.DB) (views.LinksView, error) {
	ctx := r.Context()
	u := currentUser(r)
	v := views.LinksView{HandleF: views.Form{Values: map[string]string{}}, RequestF: views.Form{Values: map[string]string{}}}
	prof, err := store.PaymentProfile(ctx, u.ID)
	if db.ErrorCode(err) == db.ENOTFOUND || err == nil && !prof.Active {
		// Payments off: the handle is kept, and its link says so.
		if h, herr := store.HandleOf(ctx, u.ID); herr == nil {
			v.Handle, v.URL = h.Handle, personalURL(baseURLOf(r), h.Handle)
		} else if db.ErrorCode(herr) != db.ENOTFOUND {
			return v, herr
		}
		return v, nil
	}
	if err != nil {
		return v, err
	}
	v.CanHave = true
	h, err := store.HandleOf(ctx, u.ID)
	switch {
	case err == nil:
		v.Handle, v.URL = h.Handle, personalURL(baseURLOf(r), h.Handle)
		v.HandleF.Values["handle"] = h.Handle
		if next := h.ChosenAt.Add(db.HandleChangeEvery); next.After(store.Now()) {
			v.NextFrom = views.Date(ctx, next)
		}
	case db.ErrorCode(err) != db.ENOTFOUND:
		return v, err
	}
	reqs, err := store.RequestLinks(ctx, u.ID, requestsShown)
	if err != nil {
		return v, err
	}
	for _, q := range reqs {
		line := views.RequestLine{ID: q.ID, Amount: views.Money(ctx, q.Amount), Note: q.Note, Status: string(q.Status),
			QRPath: "/money/requests/" + itoa(q.ID) + "/qr", Card: "/money/requests/" + itoa(q.ID) + "/card", CanStop: q.Status == db.RequestOpen}
		if q.Token != "" {
			line.URL = requestURL(baseURLOf(r), q.Token)
		}
		switch q.Status {
		case db.RequestOpen:
			line.Said = views.T(ctx, "requests.open", views.Date(ctx, q.ExpiresAt))
		case db.RequestPaid:
			line.Said = views.T(ctx, "requests.paid", q.PaidByName, views.DateTime(ctx, q.PaidAt))
		case db.RequestRevoked:
			line.Said = views.T(ctx, "requests.was_revoked")
		case db.RequestExpired:
			line.Said = views.T(ctx, "requests.expired")
		}
		v.Requests = append(v.Requests, line)
	}
	return v, nil
}

// moneyPageAgain shows the Money page with a pay-link form's problems.
func moneyPageAgain(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, status int, edit func(*views.LinksView)) {
	v, err := moneyView(r, store)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	edit(&v.Links)
	render(w, r, status, views.MoneyPage(layout(r, views.T(r.Context(), "money.title")), v))
}

// handleTriesPerHour bounds how many handles one person tries in an hour.
const handleTriesPerHour = 20

// handleHandleChoose chooses or changes the viewer's handle.
func handleHandleChoose(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		// Refusals say whether a name or handle exists: bounded, so they
		// cannot be used to walk everyone's names.
		uid := currentUser(r).ID
		if !withinLimits(w, r, log, store, rateLimit{"handle:user:" + strconv.FormatInt(uid, 10), handleTriesPerHour, time.Hour}) {
			return
		}
		typed := r.PostForm.Get("handle")
		_, err := store.ChooseHandle(r.Context(), uid, typed)
		switch db.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/money?notice=links.handle_saved#money-links", http.StatusSeeOther)
		case db.EINVALID, db.ECONFLICT:
			moneyPageAgain(w, r, log, store, http.StatusUnprocessableEntity, func(v *views.LinksView) {
				v.HandleF = views.Form{Values: map[string]string{"handle": typed},
					Problems: map[string]string{"handle": views.ErrorText(r.Context(), err)}}
				v.NextFrom = "" // the form stays, with the sentence
			})
		default:
			fail(w, r, log, err)
		}
	})
}

// handleRequestLinkCreate makes a request link for a fixed amount and note.
func handleRequestLinkCreate(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ctx := r.Context()
		f := r.PostForm
		form := views.Form{Values: map[string]string{"amount": f.Get("amount"), "note": f.Get("note")}, Problems: map[string]string{}}
		amount, err := money.Parse(f.Get("amount"), "EUR")
		if err != nil {
			form.Problems["amount"] = views.ErrorText(ctx, err)
		}
		if err := db.CheckLinkNote(f.Get("note")); err != nil {
			form.Problems["note"] = views.ErrorText(ctx, err)
		}
		if len(form.Problems) == 0 {
			_, err = store.CreateRequestLink(ctx, currentUser(r).ID, amount, f.Get("note"))
			switch db.ErrorCode(err) {
			case "":
				http.Redirect(w, r, "/money?notice=requests.made#money-links", http.StatusSeeOther)
				return
			case db.EINVALID, db.ECONFLICT:
				form.Error = views.ErrorText(ctx, err)
			default:
				fail(w, r, log, err)
				return
			}
		}
		moneyPageAgain(w, r, log, store, http.StatusUnprocessableEntity, func(v *views.LinksView) { v.RequestF = form })
	})
}

// handleRequestLinkRevoke cancels one of the viewer's request links.
func handleRequestLinkRevoke(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		switch err := store.RevokeRequestLink(r.Context(), currentUser(r).ID, id); db.ErrorCode(err) {
		case "":
			http.Redirect(w, r, "/money?notice=requests.revoked#money-links", http.StatusSeeOther)
		case db.ECONFLICT:
			moneyPageAgain(w, r, log, store, http.StatusConflict, func(v *views.LinksView) {
				v.RequestF.Error = views.ErrorText(r.Context(), err)
			})
		default:
			fail(w, r, log, err)
		}
	})
}

// ownRequest is the viewer's request link of the path.
func ownRequest(r *http.Request, store *db.DB) (db.RequestLink, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return db.RequestLink{}, db.ErrNotFound.New("request")
	}
	q, err := store.RequestLinkOf(r.Context(), currentUser(r).ID, id)
	if err == nil && q.Token == "" {
		err = db.ErrNotFound.New("request")
	}
	return q, err
}

// handleLinkQR answers the QR code of the viewer's personal link or of one
// of their request links, as SVG or PNG (format).
func handleLinkQR(log *slog.Logger, store *db.DB, what, format string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var text string
		switch what {
		case "handle":
			h, err := store.HandleOf(r.Context(), currentUser(r).ID)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			text = personalURL(baseURLOf(r), h.Handle)
		default:
			q, err := ownRequest(r, store)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			text = requestURL(baseURLOf(r), q.Token)
		}
		if format == "png" {
			writeQRPNG(w, r, log, text)
			return
		}
		writeQR(w, r, log, text)
	})
}

// handleLinkCard is a printable A6 card with the QR code of the viewer's
// personal link or of one of their request links.
func handleLinkCard(log *slog.Logger, store *db.DB, what string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u := currentUser(r)
		c := views.PrintCardView{Title: views.T(ctx, "linkpay.title", u.DisplayName)}
		switch what {
		case "handle":
			h, err := store.HandleOf(ctx, u.ID)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			c.URL, c.QRPath = personalURL(baseURLOf(r), h.Handle), "/money/link/qr.svg"
		default:
			q, err := ownRequest(r, store)
			if err != nil {
				fail(w, r, log, err)
				return
			}
			c.URL, c.QRPath = requestURL(baseURLOf(r), q.Token), "/money/requests/"+itoa(q.ID)+"/qr.svg"
			c.Amount, c.Note = views.Money(ctx, q.Amount), q.Note
		}
		w.Header().Set("Referrer-Policy", "no-referrer")
		render(w, r, http.StatusOK, views.PrintCard(layout(r, c.Title), c))
	})
}

// handleToQR is the public QR code of a personal link (its link preview's
// image), counted like the link's page.
func handleToQR(log *slog.Logger, store *db.DB, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !linkLookupAllowed(w, r, log, store) {
			return
		}
		o, err := store.HandleOwner(r.Context(), r.PathValue("handle"))
		if err != nil {
			if db.ErrorCode(err) == db.ENOTFOUND {
				renderError(w, r, http.StatusNotFound, "error.404")
				return
			}
			fail(w, r, log, err)
			return
		}
		writeQRPNG(w, r, log, personalURL(baseURL, o.Handle))
	})
}

// handleRequestLinkShow shows a request link to whoever has it.
func handleRequestLinkShow(log *slog.Logger, store *db.DB, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !linkLookupAllowed(w, r, log, store) {
			return
		}
		lp, ok := requestPage(w, r, log, store)
		if !ok {
			return
		}
		renderLink(w, r, log, store, baseURL, lp, http.StatusOK, views.Form{})
	})
}

// handleRequestLinkPay pays a request link (once: a second payer is told it is
// paid).
func handleRequestLinkPay(log *slog.Logger, store *db.DB, provider db.PaymentProvider, s *sessionManager, baseURL string, skipPIN bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		if !linkLookupAllowed(w, r, log, store) {
			return
		}
		lp, ok := requestPage(w, r, log, store)
		if !ok {
			return
		}
		payLinkPost(w, r, log, store, provider, s, baseURL, skipPIN, lp)
	})
}

// requestPage finds the request link of the path (the 404 page when no
// link has that token).
func requestPage(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB) (linkPage, bool) {
	token := r.PathValue("token")
	q, err := store.RequestByToken(r.Context(), token)
	if err == nil {
		var o db.HandleOwner
		o, err = store.RequestOwner(r.Context(), q.UserID)
		if err == nil {
			return linkPage{owner: o, request: &q, action: "/r/" + url.PathEscape(token), fixed: q.Amount, note: q.Note}, true
		}
	}
	if db.ErrorCode(err) == db.ENOTFOUND {
		renderError(w, r, http.StatusNotFound, "error.404")
		return linkPage{}, false
	}
	fail(w, r, log, err)
	return linkPage{}, false
}

// writeQRPNG answers with text as a QR code in PNG: 8 pixels a module,
// four modules of quiet zone.
func writeQRPNG(w http.ResponseWriter, r *http.Request, log *slog.Logger, text string) {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	const quiet, scale = 4, 8
	n := (code.Size + 2*quiet) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := 0; y < code.Size; y++ {
		for x := 0; x < code.Size; x++ {
			if !code.Black(x, y) {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				row := ((y+quiet)*scale + dy) * img.Stride
				for dx := 0; dx < scale; dx++ {
					img.Pix[row+(x+quiet)*scale+dx] = 0
				}
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		fail(w, r, log, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Write(b.Bytes())
}
