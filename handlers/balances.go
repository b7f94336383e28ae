package handlers

import (
	"context"
	"log/slog"
	"net/http"

	"divvy/db"
	"divvy/views"
)

// handleBalances is the Balances page: every member's standing and the
// settle-up plan, live.
func handleBalances(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		b, err := store.ThreadBalances(r.Context(), ms.thread.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		v := balancesPageView(r, store, ms, b)
		render(w, r, http.StatusOK, views.BalancesPage(layout(r, views.T(r.Context(), "balances.title")), v, ms.thread.EventSeq))
	})
}

// balancesView is a thread's balances as the viewer me sees them.
func balancesView(threadID int64, b db.ThreadBalance, me int64) views.Balances {
	v := views.Balances{ThreadID: threadID, Settled: b.Settled()}
	for _, c := range b.Currencies {
		for _, d := range b.Plans[c] {
			o := views.OweLine{From: d.From, To: d.To, FromName: d.FromName, ToName: d.ToName, Amount: d.Amount,
				FromMe: d.From == me, ToMe: d.To == me}
			if o.FromMe || o.ToMe {
				v.Mine = append(v.Mine, o)
			} else {
				v.Others = append(v.Others, o)
			}
		}
		for _, p := range b.Positions[c] {
			v.Standing = append(v.Standing, views.Standing{Name: p.Name, IsYou: p.UserID == me, Amount: p.Amount})
		}
	}
	for _, c := range b.Claims {
		v.Claims = append(v.Claims, views.ClaimLine{ID: c.ID, PayerName: c.PayerName, ToName: c.ToName, Amount: c.Amount,
			ForMe: c.ToID == me, Mine: c.PayerID == me})
	}
	return v
}

// balancesPageView is balancesView with what the Balances page also has:
// the form to record a payment made outside splits.
func balancesPageView(r *http.Request, store *db.DB, ms *membership, b db.ThreadBalance) views.Balances {
	me := currentUser(r).ID
	v := balancesView(ms.thread.ID, b, me)
	v.Currency = ms.thread.Currency
	if members, err := store.Members(r.Context(), ms.thread.ID); err == nil {
		for _, m := range members {
			if m.UserID != me {
				v.Members = append(v.Members, views.Person{ID: m.UserID, Name: m.DisplayName})
			}
		}
	}
	return v
}

type balanceSummaryOffKey struct{}

// withoutBalanceSummary leaves the balance summary off thread pages
// (BALANCE_SUMMARY=off, refused in production): the load harness's
// balances scenario compares the thread page with and without it.
func withoutBalanceSummary(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), balanceSummaryOffKey{}, true)))
	})
}

func balanceSummaryOff(r *http.Request) bool {
	off, _ := r.Context().Value(balanceSummaryOffKey{}).(bool)
	return off
}
