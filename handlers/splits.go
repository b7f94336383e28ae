package handlers

import (
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

// splitFormFromRequest reads the split form into a draft, and the view of
// the form with every typed value kept.
func splitFormFromRequest(r *http.Request, ms *membership, members []db.Member) (db.SplitDraft, views.SplitForm) {
	f := r.PostForm
	d := db.SplitDraft{
		Title:    f.Get("title"),
		Note:     f.Get("note"),
		Date:     f.Get("date"),
		Total:    f.Get("total"),
		Currency: strings.ToUpper(strings.TrimSpace(f.Get("currency"))),
		Mode:     money.Mode(f.Get("mode")),
		Values:   map[int64]string{},
		Tax:      f.Get("tax"),
		Tip:      f.Get("tip"),

		OrigAmount:   f.Get("orig_amount"),
		OrigCurrency: strings.ToUpper(strings.TrimSpace(f.Get("orig_currency"))),
		Rate:         f.Get("rate"),
	}
	d.CollectorID, _ = strconv.ParseInt(f.Get("collector"), 10, 64)
	d.People = ids(f["people"])
	v := splitFormView(ms, members)
	v.Form.Values = map[string]string{
		"title": d.Title, "note": d.Note, "date": d.Date, "total": d.Total, "currency": d.Currency, "collector": f.Get("collector"),
		"mode": string(d.Mode), "tax": d.Tax, "tip": d.Tip,
		"orig_amount": d.OrigAmount, "orig_currency": d.OrigCurrency, "rate": d.Rate, "rate_for": f.Get("rate_for"),
	}
	v.People = map[int64]bool{}
	for _, id := range d.People {
		v.People[id] = true
	}
	for _, m := range members {
		key := "value_" + strconv.FormatInt(m.UserID, 10)
		d.Values[m.UserID] = f.Get(key)
		v.Form.Values[key] = f.Get(key)
	}
	// Several payers: paid_<user id>, for anyone the form names (the plan
	// refuses someone who is not a member).
	d.Paid = map[int64]string{}
	for key := range f {
		if id, err := strconv.ParseInt(strings.TrimPrefix(key, "paid_"), 10, 64); err == nil && strings.HasPrefix(key, "paid_") {
			d.Paid[id] = f.Get(key)
			v.Form.Values[key] = f.Get(key)
		}
	}
	for i := range v.Items {
		n := strconv.Itoa(i)
		it := db.DraftItem{Name: f.Get("item_name_" + n), Amount: f.Get("item_amount_" + n), People: ids(f["item_people_"+n])}
		d.Items = append(d.Items, it)
		v.Items[i].Name, v.Items[i].Amount = it.Name, it.Amount
		for _, id := range it.People {
			v.Items[i].People[id] = true
		}
	}
	return d, v
}

// newcomers reads the names typed in the split form's "add people by
// name" field (comma or line separated, each once) and adds them to the
// draft as placeholders with ids -1, -2, ... and to a copy of members.
func newcomers(r *http.Request, d *db.SplitDraft, v *views.SplitForm, members []db.Member) ([]db.Member, []string) {
	raw := r.PostForm.Get("newcomers")
	v.Form.Values["newcomers"] = raw
	var names []string
	seen := map[string]bool{}
	for _, n := range strings.FieldsFunc(raw, func(c rune) bool { return c == ',' || c == '\n' || c == ';' }) {
		n = strings.Join(strings.Fields(n), " ")
		if n != "" && !seen[strings.ToLower(n)] {
			seen[strings.ToLower(n)] = true
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return members, nil
	}
	all := append(append([]db.Member(nil), members...), make([]db.Member, len(names))...)
	for i, n := range names {
		id := -int64(i + 1)
		all[len(members)+i] = db.Member{UserID: id, DisplayName: n, IsGuest: true}
		d.People = append(d.People, id)
	}
	return all, names
}

func ids(values []string) []int64 {
	var out []int64
	for _, s := range values {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// splitFormView is the empty form of a thread: everyone takes part, the
// organizer... the viewer collects, equal split in the thread's currency.
func splitFormView(ms *membership, members []db.Member) views.SplitForm {
	v := views.SplitForm{ThreadID: ms.thread.ID, ThreadName: ms.thread.Name, Currencies: currencyCodes(), People: map[int64]bool{}}
	for _, m := range members {
		v.Members = append(v.Members, views.Person{ID: m.UserID, Name: m.DisplayName})
	}
	for i := 0; i < views.ItemRows; i++ {
		v.Items = append(v.Items, views.ItemRow{Index: i, People: map[int64]bool{}})
	}
	return v
}

func handleSplitNew(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		members, err := store.Members(r.Context(), ms.thread.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		v := splitFormView(ms, members)
		v.Form.Values = map[string]string{"currency": ms.thread.Currency, "mode": string(money.ModeEqual),
			"collector": strconv.FormatInt(currentUser(r).ID, 10), "date": timeNow().In(views.Zone(r.Context())).Format(time.DateOnly),
			// Prefilled by a command ("/split 47,50 € pizza").
			"title": r.URL.Query().Get("title"), "total": r.URL.Query().Get("total")}
		for _, m := range members {
			v.People[m.UserID] = true
		}
		render(w, r, http.StatusOK, views.SplitFormPage(layout(r, views.T(r.Context(), "split.title")), v))
	})
}

// prefillRate fills the rate of a split paid in another currency from the
// reference rates when that currency was just chosen (the form's rate is
// for another one, or none), and says whether it did; the rate field then
// says where the rate came from, or that none is known (and it is left
// empty, to be typed). A rate typed for the currency chosen is kept.
func prefillRate(r *http.Request, store *db.DB, d *db.SplitDraft, v *views.SplitForm) (bool, error) {
	if d.OrigCurrency == "" || d.OrigCurrency == d.Currency {
		return false, nil
	}
	rate, asOf, ok, err := store.ReferenceRate(r.Context(), d.OrigCurrency, d.Currency)
	if err != nil {
		return false, err
	}
	if ok {
		v.RateHint = views.T(r.Context(), "split.rate_ecb", views.Date(r.Context(), asOf))
	} else {
		v.RateHint = views.T(r.Context(), "split.rate_none", d.OrigCurrency)
	}
	if v.Form.Values["rate_for"] == d.OrigCurrency {
		return false, nil
	}
	d.Rate = ""
	if ok {
		d.Rate = views.RateText(r.Context(), rate)
	}
	v.Form.Values["rate"], v.Form.Values["rate_for"] = d.Rate, d.OrigCurrency
	return true, nil
}

// previewOf computes the preview of a draft with the same code that saves it.
func previewOf(r *http.Request, d db.SplitDraft, members []db.Member) (db.SplitPlan, map[string]error, views.SplitPreview) {
	plan, problems := d.Plan(members)
	var p views.SplitPreview
	if len(problems) > 0 {
		// Show the first problem that is about the numbers; field problems
		// are shown next to their fields on submit.
		for _, k := range []string{"split", "total", "people", "items", "tax", "tip"} {
			if err, ok := problems[k]; ok {
				p.Problem = views.ErrorText(r.Context(), err)
				return plan, problems, p
			}
		}
		for k, err := range problems {
			if k != "title" {
				p.Problem = views.ErrorText(r.Context(), err)
				return plan, problems, p
			}
		}
	}
	names := map[int64]string{}
	for _, m := range members {
		names[m.UserID] = m.DisplayName
	}
	for _, s := range plan.Shares {
		p.Lines = append(p.Lines, views.PreviewLine{Name: names[s.UserID], Amount: views.Money(r.Context(), s.Amount)})
	}
	if len(plan.Shares) > 0 {
		p.Total = views.Money(r.Context(), plan.Total)
	}
	if plan.Original != nil {
		p.Converted = views.Converted(r.Context(), *plan.Original, plan.Rate, plan.Total)
	}
	return plan, problems, p
}

// handleSplitPreview answers the form's live preview (htmx).
func handleSplitPreview(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		members, err := store.Members(r.Context(), ms.thread.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		d, v := splitFormFromRequest(r, ms, members)
		prefilled, err := prefillRate(r, store, &d, &v)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		all, names := newcomers(r, &d, &v, members)
		_, problems, p := previewOf(r, d, all)
		if len(names) > 0 && d.Mode != money.ModeEqual && len(problems) == 0 {
			p = views.SplitPreview{Problem: views.T(r.Context(), "split.newcomers_equal")}
		}
		render(w, r, http.StatusOK, views.PreviewAndRate(p, v, prefilled))
	})
}

func handleSplitCreate(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		members, err := store.Members(r.Context(), ms.thread.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		d, v := splitFormFromRequest(r, ms, members)
		if _, err := prefillRate(r, store, &d, &v); err != nil {
			fail(w, r, log, err)
			return
		}
		all, names := newcomers(r, &d, &v, members)
		plan, problems, p := previewOf(r, d, all)
		if len(names) > 0 && d.Mode != money.ModeEqual {
			if problems == nil {
				problems = map[string]error{}
			}
			problems["newcomers"] = db.Errorf(db.EINVALID, "split.newcomers_equal")
		}
		if len(problems) > 0 {
			v.Preview = p
			v.Form.Problems = map[string]string{}
			for k, e := range problems {
				v.Form.Problems[k] = views.ErrorText(r.Context(), e)
			}
			if msg, ok := v.Form.Problems["split"]; ok {
				v.Form.Error = msg
			}
			render(w, r, http.StatusUnprocessableEntity, views.SplitFormPage(layout(r, views.T(r.Context(), "split.title")), v))
			return
		}
		if len(names) > 0 {
			// The people added by name become guests of the thread, then
			// the plan is made again with their real ids.
			guests, err := store.AddNamedGuests(r.Context(), ms.thread.ID, currentUser(r).ID, names, views.Locale(r.Context()))
			if err != nil {
				fail(w, r, log, err)
				return
			}
			for i, id := range d.People {
				if id < 0 {
					d.People[i] = guests[-id-1].UserID
				}
			}
			if plan, problems, _ = previewOf(r, d, append(members, guests...)); len(problems) > 0 {
				fail(w, r, log, db.Errorf(db.EINVALID, "split.newcomers_equal"))
				return
			}
		}
		splitID, err := store.CreateSplit(r.Context(), ms.thread.ID, currentUser(r).ID, plan)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if len(names) > 0 {
			// They get the split's pay link from the collector: its page has it.
			http.Redirect(w, r, splitPath(ms.thread.ID, splitID)+"?notice=split.newcomers_added", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/threads/"+strconv.FormatInt(ms.thread.ID, 10)+"#split-"+strconv.FormatInt(splitID, 10), http.StatusSeeOther)
	})
}

// splitCard builds the card of a split as the viewer sees it.
func splitCard(r *http.Request, s db.Split) views.SplitCard {
	ctx := r.Context()
	me := currentUser(r).ID
	paid, of, collected, owed := s.Progress()
	c := views.SplitCard{
		ID: s.ID, ThreadID: s.ThreadID, Title: s.Title, Total: views.Money(ctx, s.Total), CollectorName: s.CollectorName,
		Status: s.Status, Paid: paid, Of: of, Collected: views.Money(ctx, collected), Owed: views.Money(ctx, owed),
		Progress: collected, Max: owed, Remaining: views.Money(ctx, remaining(collected, owed)), IsCollector: s.CollectorID == me,
		Request: s.Request, Declined: s.Declined,
	}
	if s.Request && len(s.Shares) > 0 {
		c.PayerName = s.Shares[0].Name
	}
	if s.Original != nil {
		c.Converted = views.Converted(ctx, *s.Original, s.Rate, s.Total)
	}
	if len(s.Payers) > 1 {
		ps := make([]views.PayerText, len(s.Payers))
		for i, p := range s.Payers {
			ps[i] = views.PayerText{Name: p.Name, Amount: views.Money(ctx, p.Amount), IsViewer: p.UserID == me}
		}
		c.PaidBy = views.PaidBy(ctx, ps)
	}
	for _, sh := range s.Shares {
		line := views.ShareLine{ID: sh.ID, Name: sh.Name, Amount: views.Money(ctx, sh.Amount), Status: sh.Status,
			Method: sh.Method, IsViewer: sh.UserID == me, ToPay: views.Money(ctx, sh.Left()),
			Reminded: sh.RemindedAt != nil && sh.RemindedAt.After(timeNow().Add(-remindEvery))}
		if sh.PaidInPart() {
			line.PaidSoFar = views.Money(ctx, sh.Paid)
		}
		c.Shares = append(c.Shares, line)
		if line.IsViewer && sh.Status != db.ShareSelf {
			l := line
			c.Viewer = &l
		}
	}
	return c
}

func remaining(collected, owed money.Money) money.Money {
	left, err := owed.Sub(collected)
	if err != nil {
		return owed
	}
	return left
}

func splitPath(threadID, splitID int64) string {
	return "/threads/" + strconv.FormatInt(threadID, 10) + "/splits/" + strconv.FormatInt(splitID, 10)
}

func threadPath(threadID int64) string { return "/threads/" + strconv.FormatInt(threadID, 10) }

// splitFromPath loads the split of the path within the member's thread.
func splitFromPath(r *http.Request, store *db.DB) (db.Split, error) {
	id, err := strconv.ParseInt(r.PathValue("split"), 10, 64)
	if err != nil || id <= 0 {
		return db.Split{}, db.ErrNotFound.New("split")
	}
	return store.SplitInThread(r.Context(), currentMembership(r).thread.ID, id)
}

// handleSplitCard answers the card fragment of a split (htmx refreshes).
func handleSplitCard(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := splitFromPath(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if s.Request {
			render(w, r, http.StatusOK, views.RequestCardView(splitCard(r, s)))
			return
		}
		render(w, r, http.StatusOK, views.SplitCardView(splitCard(r, s)))
	})
}

func handleSplitShow(log *slog.Logger, store *db.DB, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := splitFromPath(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		token, err := store.SplitPayToken(r.Context(), s.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		uncompressed(w) // the page shows the pay link's token
		page := views.SplitPage{ThreadName: currentMembership(r).thread.Name, Card: splitCard(r, s), PayURL: baseURL + "/pay/" + url.PathEscape(token),
			Fixed: s.Mode != money.ModeEqual && s.Mode != money.ModeShares}
		if s.Mode != money.ModeShares {
			// Someone added gets an equal part (taken from the collector's
			// own share once anything is paid): say how much.
			if parts, err := money.Allocate(s.Total, money.Spec{Mode: money.ModeEqual, People: len(s.Shares) + 1}); err == nil {
				part := parts[len(parts)-1]
				paid, _, _, _ := s.Progress()
				own, in := s.ShareOf(s.CollectorID)
				if s.Mode == money.ModeEqual && paid == 0 || in && !own.Amount.Amount.LessThan(part.Amount) {
					page.AddAmount = views.Money(r.Context(), part)
				} else {
					page.NoRoom = true
				}
			}
		}
		page.CanResetLink = page.Card.IsCollector || currentMembership(r).member.Role == db.RoleOrganizer
		page.CanEdit = mayEdit(r, s)
		page.Note, page.SpentOn = s.Note, views.Date(r.Context(), s.SpentOn)
		edits, err := store.SplitHistory(r.Context(), s.ThreadID, s.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		page.History = splitHistory(r, edits)
		members, err := store.Members(r.Context(), s.ThreadID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		creator := s.CollectorName
		for _, m := range members {
			if m.UserID == s.CreatedBy {
				creator = m.DisplayName
			}
		}
		page.Created = views.T(r.Context(), "split.history_created", creator, views.DateTime(r.Context(), s.CreatedAt))
		if page.Card.IsCollector {
			for _, m := range members {
				if _, in := s.ShareOf(m.UserID); !in {
					page.Addable = append(page.Addable, views.Person{ID: m.UserID, Name: m.DisplayName})
				}
			}
		}
		render(w, r, http.StatusOK, views.SplitPageView(layout(r, s.Title), page))
	})
}

// handleSplitQR draws the split's pay link as a QR code.
func handleSplitQR(log *slog.Logger, store *db.DB, baseURL string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := splitFromPath(r, store)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		token, err := store.SplitPayToken(r.Context(), s.ID)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		writeQR(w, r, log, baseURL+"/pay/"+url.PathEscape(token))
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// handleSplitAddPerson adds a member who joined later to a split.
func handleSplitAddPerson(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		splitID, err1 := strconv.ParseInt(r.PathValue("split"), 10, 64)
		userID, err2 := strconv.ParseInt(r.PostForm.Get("user_id"), 10, 64)
		if err1 != nil || err2 != nil {
			renderError(w, r, http.StatusUnprocessableEntity, "error.400")
			return
		}
		if err := store.AddToSplit(r.Context(), ms.thread.ID, splitID, userID, currentUser(r).ID, false); err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, splitPath(ms.thread.ID, splitID), http.StatusSeeOther)
	})
}
