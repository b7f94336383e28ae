package handlers

import (
	"log/slog"
	"net/http"
	"strconv"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// cancelPage says what cancelling the split gives back, and whether the
// collector's balance still holds the card payments to refund (money that
// was withdrawn cannot be refunded from Divvy).
func cancelPage(r *http.Request, store *db.DB, s db.Split) (views.CancelPage, error) {
	ctx := r.Context()
	p := views.CancelPage{ThreadName: currentMembership(r).thread.Name, Card: splitCard(r, s)}
	byCard := money.Zero(s.Total.Currency)
	for _, sh := range s.Shares {
		if sh.Status != db.SharePaid {
			continue
		}
		p.Refunds = append(p.Refunds, views.CancelLine{Name: sh.Name, Amount: views.Money(ctx, sh.Amount), Method: sh.Method})
		if sh.Method == "card" {
			byCard, _ = byCard.Add(sh.Amount)
		}
	}
	if byCard.IsZero() {
		return p, nil
	}
	bs, err := store.Balances(ctx, s.CollectorID)
	if err != nil {
		return p, err
	}
	held := money.Zero(s.Total.Currency)
	for _, b := range bs {
		if b.Currency == held.Currency {
			held, _ = b.Available.Add(b.Pending)
		}
	}
	if held.Amount.LessThan(byCard.Amount) {
		p.Needed, p.Held = views.Money(ctx, byCard), views.Money(ctx, held)
	}
	return p, nil
}

// handleSplitCancelShow asks the collector to confirm cancelling: it is the
// step the split page's "Cancel the split" leads to.
func handleSplitCancelShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := splitFromPath(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if s.CollectorID != currentUser(r).ID {
			fail(w, r, log, db.ErrCollectorCancels.New(s.CollectorName))
			return
		}
		if s.Status != db.SplitOpen {
			http.Redirect(w, r, splitPath(s.ThreadID, s.ID), http.StatusSeeOther)
			return
		}
		p, err := cancelPage(r, store, s)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusOK, views.CancelPageView(layout(r, views.T(r.Context(), "cancel.title", s.Title)), p))
	})
}

// cancelRefused answers a cancel the collector's balance cannot refund
// with the explained confirmation page (409), before anything is refunded.
// It reports whether it answered.
func cancelRefused(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, threadID, splitID int64) bool {
	s, err := store.SplitInThread(r.Context(), threadID, splitID)
	if err != nil || s.CollectorID != currentUser(r).ID || s.Status != db.SplitOpen {
		return false // CancelSplit gives the answer
	}
	p, err := cancelPage(r, store, s)
	if err != nil || p.Needed == "" {
		return false
	}
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", splitPath(threadID, splitID)+"/cancel")
	}
	render(w, r, http.StatusConflict, views.CancelPageView(layout(r, views.T(r.Context(), "cancel.title", s.Title)), p))
	return true
}

func handleSplitCancel(log *slog.Logger, store *db.DB, provider db.PaymentProvider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		splitID, err := strconv.ParseInt(r.PathValue("split"), 10, 64)
		if err != nil {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		if cancelRefused(w, r, log, store, ms.thread.ID, splitID) {
			return
		}
		if err := store.CancelSplit(r.Context(), provider, ms.thread.ID, splitID, currentUser(r).ID); err != nil {
			if db.ErrorCode(err) == db.EINSUFFICIENT && cancelRefused(w, r, log, store, ms.thread.ID, splitID) {
				return
			}
			fail(w, r, log, err)
			return
		}
		respondWithCard(w, r, log, store, ms.thread.ID, splitID, "")
	})
}
