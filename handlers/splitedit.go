package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db"
	"divvy/views"
)

// mayEdit says whether the viewer may edit split s: its collector or an
// organizer of the thread (the store checks it again under the split's lock).
func mayEdit(r *http.Request, s db.Split) bool {
	return s.CollectorID == currentUser(r).ID || currentMembership(r).member.Role == db.RoleOrganizer
}

// editForm completes the split form for editing s.
func editForm(v views.SplitForm, s db.Split, canDelete bool) views.SplitForm {
	v.EditSplitID, v.CollectorName, v.CanDelete = s.ID, s.CollectorName, canDelete
	for _, sh := range s.Shares {
		if sh.Status == db.SharePaid || sh.Status == db.SharePending || sh.PaidInPart() {
			v.MoneyMoved = true
		}
	}
	return v
}

// handleSplitEditShow shows the split form filled with the split as it is.
func handleSplitEditShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		s, err := splitFromPath(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if !mayEdit(r, s) {
			fail(w, r, log, db.ErrEditWho.New(s.CollectorName))
			return
		}
		members, err := store.Members(r.Context(), ms.thread.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		d, err := store.SplitDraftOf(r.Context(), s, members)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		v := editForm(splitFormView(ms, members), s, s.CollectorID == currentUser(r).ID && s.Status != db.SplitCancelled)
		v.Form.Values = map[string]string{"title": d.Title, "note": d.Note, "date": d.Date, "total": d.Total, "currency": d.Currency,
			"collector": itoa(d.CollectorID), "mode": string(d.Mode), "tax": d.Tax, "tip": d.Tip,
			"orig_amount": d.OrigAmount, "orig_currency": d.OrigCurrency, "rate": d.Rate, "rate_for": d.OrigCurrency}
		if _, err := prefillRate(r, store, &d, &v); err != nil {
			fail(w, r, log, err)
			return
		}
		for id, val := range d.Values {
			v.Form.Values["value_"+itoa(id)] = val
		}
		for id, val := range d.Paid {
			v.Form.Values["paid_"+itoa(id)] = val
		}
		for _, id := range d.People {
			v.People[id] = true
		}
		for i, it := range d.Items {
			if i >= len(v.Items) {
				v.Items = append(v.Items, views.ItemRow{Index: i, People: map[int64]bool{}})
			}
			v.Items[i].Name, v.Items[i].Amount = it.Name, it.Amount
			for _, id := range it.People {
				v.Items[i].People[id] = true
			}
		}
		_, _, v.Preview = previewOf(r, d, members)
		render(w, r, http.StatusOK, views.SplitFormPage(layout(r, views.T(r.Context(), "split.edit_title")), v))
	})
}

// editRefusalField is the form field next to which a refusal of an edit is
// said ("" for the top of the form).
var editRefusalField = map[string]string{
	"split.edit_cannot_refund":   "total",
	"split.edit_currency":        "total",
	"split.cancelled":            "total",
	"split.people_not_members":   "people",
	"split.collector_not_member": "people",
}

// handleSplitEditSave saves an edit of a split (see db.EditSplit). A form
// with problems, or an edit the store refuses, is shown again with every
// typed value and the sentence next to its field; nothing is written.
func handleSplitEditSave(log *slog.Logger, store *db.DB, provider db.PaymentProvider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		s, err := splitFromPath(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if !mayEdit(r, s) {
			fail(w, r, log, db.ErrEditWho.New(s.CollectorName))
			return
		}
		members, err := store.Members(r.Context(), ms.thread.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		d, v := splitFormFromRequest(r, ms, members)
		v = editForm(v, s, s.CollectorID == currentUser(r).ID && s.Status != db.SplitCancelled)
		if _, err := prefillRate(r, store, &d, &v); err != nil {
			fail(w, r, log, err)
			return
		}
		plan, problems, p := previewOf(r, d, members)
		status := http.StatusUnprocessableEntity
		if len(problems) == 0 {
			err = store.EditSplit(r.Context(), provider, ms.thread.ID, s.ID, currentUser(r).ID, plan)
			if err == nil {
				http.Redirect(w, r, splitPath(ms.thread.ID, s.ID)+"?notice=split.edit_saved", http.StatusSeeOther)
				return
			}
			switch db.ErrorCode(err) {
			case db.EINVALID, db.ECONFLICT, db.EFORBIDDEN, db.EINSUFFICIENT:
			default:
				fail(w, r, log, err)
				return
			}
			problems = map[string]error{editRefusalField[db.ReasonOf(err)]: err}
			status = map[string]int{db.ECONFLICT: http.StatusConflict, db.EFORBIDDEN: http.StatusForbidden}[db.ErrorCode(err)]
			if status == 0 {
				status = http.StatusUnprocessableEntity
			}
		}
		v.Preview = p
		v.Form.Problems = map[string]string{}
		for k, e := range problems {
			v.Form.Problems[k] = views.ErrorText(r.Context(), e)
		}
		if msg, ok := v.Form.Problems["split"]; ok {
			v.Form.Error = msg
		}
		if msg, ok := v.Form.Problems[""]; ok {
			v.Form.Error = msg
		}
		render(w, r, status, views.SplitFormPage(layout(r, views.T(r.Context(), "split.edit_title")), v))
	})
}

// splitHistory is the history list of a split's page, newest first.
func splitHistory(r *http.Request, edits []db.SplitEdit) []views.HistoryEntry {
	ctx := r.Context()
	amount := func(a db.StoredAmount) string {
		if m, ok := a.Money(); ok {
			return views.Money(ctx, m)
		}
		return a.Amount
	}
	day := func(s string) string {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return s
		}
		return views.Date(ctx, t)
	}
	out := make([]views.HistoryEntry, 0, len(edits))
	for i := len(edits) - 1; i >= 0; i-- {
		e := edits[i]
		h := views.HistoryEntry{At: views.DateTime(ctx, e.At), Who: e.EditorName}
		b, a := e.Before, e.After
		if b.Title != a.Title {
			h.Changes = append(h.Changes, views.T(ctx, "split.history_title", b.Title, a.Title))
		}
		if b.Total != a.Total {
			h.Changes = append(h.Changes, views.T(ctx, "split.history_total", amount(b.Total), amount(a.Total)))
		}
		was := map[int64]db.ShareState{}
		for _, sh := range b.Shares {
			was[sh.UserID] = sh
		}
		now := map[int64]bool{}
		for _, sh := range a.Shares {
			now[sh.UserID] = true
			old, ok := was[sh.UserID]
			switch {
			case !ok:
				h.Changes = append(h.Changes, views.T(ctx, "split.history_added", sh.Name, amount(sh.StoredAmount)))
			case !sameAmount(old.StoredAmount, sh.StoredAmount):
				h.Changes = append(h.Changes, views.T(ctx, "split.history_share", sh.Name, amount(old.StoredAmount), amount(sh.StoredAmount)))
			}
		}
		for _, sh := range b.Shares {
			if !now[sh.UserID] {
				h.Changes = append(h.Changes, views.T(ctx, "split.history_removed", sh.Name, amount(sh.StoredAmount)))
			}
		}
		if a.Original != nil && (b.Original == nil || *b.Original != *a.Original || b.Rate != a.Rate) {
			rate, _ := decimal.NewFromString(a.Rate)
			h.Changes = append(h.Changes, views.T(ctx, "split.history_original", amount(*a.Original), views.RateText(ctx, rate)))
		}
		if b.Note != a.Note {
			h.Changes = append(h.Changes, views.T(ctx, "split.history_note"))
		}
		if b.SpentOn != a.SpentOn {
			h.Changes = append(h.Changes, views.T(ctx, "split.history_date", day(b.SpentOn), day(a.SpentOn)))
		}
		switch {
		case e.GivenBack == 1:
			h.Changes = append(h.Changes, views.T(ctx, "split.history_given_one"))
		case e.GivenBack > 1:
			h.Changes = append(h.Changes, views.T(ctx, "split.history_given", e.GivenBack))
		}
		out = append(out, h)
	}
	return out
}

func sameAmount(a, b db.StoredAmount) bool {
	x, ok1 := a.Money()
	y, ok2 := b.Money()
	return ok1 && ok2 && x.Currency == y.Currency && x.Amount.Equal(y.Amount)
}
