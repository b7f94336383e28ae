package handlers

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// handleAskShow is the Request form: from whom, how much, what for.
func handleAskShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		renderAskForm(w, r, log, store, http.StatusOK, views.Form{Values: map[string]string{"to": q.Get("to"),
			"amount": q.Get("amount"), "note": q.Get("note")}})
	})
}

func renderAskForm(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, status int, f views.Form) {
	if f.Values == nil {
		f.Values = map[string]string{}
	}
	p, err := sendView(r, store, f)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	p.Request = true
	render(w, r, status, views.SendPageView(layout(r, views.T(r.Context(), "ask.title")), p))
}

// handleAsk posts a request card in the thread (see db.CreateRequest):
// nothing moves until the other person pays it with their PIN.
func handleAsk(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		pf := r.PostForm
		f := views.Form{Values: map[string]string{"to": pf.Get("to"), "amount": pf.Get("amount"), "note": pf.Get("note")},
			Problems: map[string]string{}}
		again := func(status int) { renderAskForm(w, r, log, store, status, f) }
		to, err := strconv.ParseInt(pf.Get("to"), 10, 64)
		if err != nil || to <= 0 {
			f.Problems["to"] = views.T(r.Context(), "ask.to_required")
		}
		amount, err := money.Parse(pf.Get("amount"), ms.thread.Currency)
		if err != nil {
			f.Problems["amount"] = views.ErrorText(r.Context(), err)
		}
		title := strings.TrimSpace(pf.Get("note"))
		if n := len([]rune(title)); n > db.MaxSendNote {
			f.Problems["note"] = views.T(r.Context(), "send.note_long_field", db.MaxSendNote)
		}
		if len(f.Problems) > 0 {
			again(http.StatusUnprocessableEntity)
			return
		}
		if title == "" {
			title = views.T(r.Context(), "ask.default_title")
		}
		id, err := store.CreateRequest(r.Context(), db.NewRequest{ThreadID: ms.thread.ID, RequesterID: currentUser(r).ID,
			PayerID: to, Amount: amount, Title: title})
		switch db.ReasonOf(err) {
		case "":
			if err != nil {
				fail(w, r, log, err)
				return
			}
			http.Redirect(w, r, threadPath(ms.thread.ID)+"#split-"+itoa(id), http.StatusSeeOther)
		case "ask.self":
			f.Problems["to"] = views.ErrorText(r.Context(), err)
			again(http.StatusUnprocessableEntity)
		case "ask.amount", "amount.invalid":
			f.Problems["amount"] = views.ErrorText(r.Context(), err)
			again(http.StatusUnprocessableEntity)
		default:
			fail(w, r, log, err)
		}
	})
}

// handleAskDecline is the requested person saying no.
func handleAskDecline(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		id, err := strconv.ParseInt(r.PathValue("split"), 10, 64)
		if err != nil || id <= 0 {
			fail(w, r, log, db.ErrNotFound.New("split"))
			return
		}
		threadID := currentMembership(r).thread.ID
		if err := store.DeclineRequest(r.Context(), threadID, id, currentUser(r).ID); err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, threadPath(threadID)+"#split-"+itoa(id), http.StatusSeeOther)
	})
}
