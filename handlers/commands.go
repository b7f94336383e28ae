package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"

	"divvy/db"
	"divvy/db/command"
	"divvy/db/money"
	"divvy/views"
)

// handleCommand answers a money command typed in the composer ("/send 20
// @sam taxi", "#envoyer 50EUR @sam") by opening the form it names,
// prefilled: a command never moves money by itself. It returns false when
// body is an ordinary message. A command with a problem (no amount, two
// people, a name nobody in the thread has) keeps its text in the composer,
// with the sentence under it.
func handleCommand(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, ms *membership, body string) bool {
	c, ok, err := command.Parse(body, ms.thread.Currency)
	if !ok {
		return false
	}
	problem := func(text string) {
		f := views.Form{Values: map[string]string{"body": body}, Problems: map[string]string{"body": text}}
		composerProblem(w, r, log, store, ms, f)
	}
	if err != nil {
		problem(commandProblem(r, err))
		return true
	}
	q := url.Values{}
	amount := money.FormatPlain(c.Amount, views.Locale(r.Context()))
	if c.Amount.Currency != ms.thread.Currency {
		amount += " " + c.Amount.Currency
	}
	if c.Mention != "" {
		members, err := store.Members(r.Context(), ms.thread.ID)
		if err != nil {
			fail(w, r, log, err)
			return true
		}
		names := make([]string, len(members))
		for i, m := range members {
			names[i] = m.DisplayName
		}
		i := command.Match(c.Mention, names)
		switch {
		case i < 0:
			problem(views.T(r.Context(), "command.unknown_person", c.Mention))
			return true
		case members[i].UserID == currentUser(r).ID && c.Kind != command.Split:
			problem(views.T(r.Context(), "command.self"))
			return true
		}
		q.Set("to", itoa(members[i].UserID))
	}
	var to string
	switch c.Kind {
	case command.Split:
		q.Del("to")
		q.Set("total", amount)
		q.Set("title", c.Note)
		to = threadPath(ms.thread.ID) + "/splits/new?" + q.Encode()
	default:
		q.Set("amount", amount)
		q.Set("note", c.Note)
		to = threadPath(ms.thread.ID) + "/" + string(c.Kind) + "?" + q.Encode()
	}
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusOK)
		return true
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return true
}

// commandProblem words what is wrong with a command.
func commandProblem(r *http.Request, err error) string {
	for e, key := range map[error]string{
		command.ErrNoAmount: "command.no_amount", command.ErrTwoAmounts: "command.two_amounts",
		command.ErrNoPerson: "command.no_person", command.ErrTwoPeople: "command.two_people", command.ErrTooLong: "command.too_long",
	} {
		if errors.Is(err, e) {
			return views.T(r.Context(), key)
		}
	}
	return views.ErrorText(r.Context(), err)
}

// composerProblem shows the composer again with its text and the problem
// under it (422): in place with htmx, else on the thread page.
func composerProblem(w http.ResponseWriter, r *http.Request, log *slog.Logger, store *db.DB, ms *membership, f views.Form) {
	symbol := currencySymbol(ms.thread.Currency)
	if isHTMX(r) {
		w.Header().Set("HX-Retarget", "#"+views.ComposerID)
		w.Header().Set("HX-Reswap", "outerHTML")
		render(w, r, http.StatusUnprocessableEntity, views.Composer(ms.thread.ID, symbol, f, false))
		return
	}
	t, err := threadView(r, store, ms)
	if err != nil {
		fail(w, r, log, err)
		return
	}
	t.Composer = f
	render(w, r, http.StatusUnprocessableEntity, views.ThreadPage(layout(r, ms.thread.Name), t))
}
