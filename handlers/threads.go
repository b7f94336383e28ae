package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// messagesPerPage is how many messages a thread shows before "earlier".
const messagesPerPage = 50

func currencyCodes() []string {
	var cs []string
	for _, c := range money.Currencies() {
		cs = append(cs, c.Code)
	}
	return cs
}

func handleThreadNew() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := views.Form{Values: map[string]string{"currency": "EUR"}}
		render(w, r, http.StatusOK, views.NewThreadPage(layout(r, views.T(r.Context(), "newthread.title")), f, currencyCodes()))
	})
}

func handleThreadCreate(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		in := db.NewThread{Name: r.PostForm.Get("name"), Currency: r.PostForm.Get("currency")}
		problems := in.Problems()
		if len(problems) > 0 {
			f := views.Form{Values: map[string]string{"name": in.Name, "currency": in.Currency}, Problems: problems}
			render(w, r, http.StatusUnprocessableEntity, views.NewThreadPage(layout(r, views.T(r.Context(), "newthread.title")), f, currencyCodes()))
			return
		}
		g, err := store.CreateThread(r.Context(), currentUser(r).ID, in)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		http.Redirect(w, r, "/threads/"+strconv.FormatInt(g.ID, 10), http.StatusSeeOther)
	})
}

func handleThreadShow(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms := currentMembership(r)
		t, err := threadView(r, store, ms)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusOK, views.ThreadPage(layout(r, ms.thread.Name), t))
	})
}

func threadView(r *http.Request, store *db.DB, ms *membership) (views.Thread, error) {
	me := currentUser(r).ID
	// The live stream starts after the event id read with the membership,
	// before the page's rows, so nothing between the two is lost (a
	// message in both is shown once).
	rows, err := store.ThreadPage(r.Context(), ms.thread.ID, ms.thread.EventSeq, messagesPerPage)
	if err != nil {
		return views.Thread{}, err
	}
	t := views.Thread{
		ID:          ms.thread.ID,
		Name:        ms.thread.Name,
		Currency:    ms.thread.Currency,
		Symbol:      currencySymbol(ms.thread.Currency),
		IsOrganizer: ms.member.Role == db.RoleOrganizer,
		Messages:    messagesView(r, store, ms.thread.ID, rows.Messages, rows.Earlier, rows.Splits),
		LastEventID: ms.thread.EventSeq,
		Members:     memberItems(ms.thread.ID, rows.Members, me),
	}
	// Read after the page's rows: a move in between is also in the stream.
	if balanceSummaryOff(r) {
		t.NoBalances = true
	} else {
		b, err := store.ThreadBalancesAt(r.Context(), ms.thread.ID, ms.thread.EventSeq)
		if err != nil {
			return views.Thread{}, err
		}
		t.Balances = balancesView(ms.thread.ID, b, me)
	}
	if ms.thread.Direct {
		directView(&t)
	}
	return t, nil
}

func currencySymbol(code string) string {
	if c, ok := money.LookupCurrency(code); ok && c.Symbol != "" {
		return c.Symbol
	}
	return code
}

// earlierMessages is the page of messages before a message.
func earlierMessages(r *http.Request, store *db.DB, threadID, before int64) (views.Messages, error) {
	ms, more, splits, err := store.MessagePage(r.Context(), threadID, before, messagesPerPage)
	if err != nil {
		return views.Messages{}, err
	}
	return messagesView(r, store, threadID, ms, more, splits), nil
}

// messagesView is a page of messages with the cards of the splits they
// show, as the viewer sees them.
func messagesView(r *http.Request, store *db.DB, threadID int64, ms []db.Message, more bool, splits map[int64]db.Split) views.Messages {
	me := currentUser(r).ID
	page := views.Messages{ThreadID: threadID, HasEarlier: more, Items: make([]views.MessageItem, 0, len(ms))}
	locale := views.Locale(r.Context())
	dismissed := dismissedSuggestions(r, store, threadID, ms, me)
	sends := sendOutcomes(r, store, ms)
	for _, m := range ms {
		var send string
		if d, ok := m.Payload().(db.PaymentData); ok && d.Waiting {
			send = sends[d.TransferID]
		}
		if m.Kind != "split" {
			var title string
			if m.SplitID != nil {
				title = splits[*m.SplitID].Title
			}
			if html, ok := renderedMessages.get(r.Context(), store, m, me, locale, title, send); ok {
				it := views.MessageItem{ID: m.ID, Kind: m.Kind, HTML: html}
				if d, ok := m.Payload().(db.TextData); ok && !dismissed[m.ID] {
					it.Suggest = suggestionItem(r.Context(), m, d.Suggestion, me)
				}
				page.Items = append(page.Items, it)
				continue
			}
		}
		it := messageItem(r.Context(), m, me)
		it.SendState = send
		if m.SplitID != nil {
			s, ok := splits[*m.SplitID]
			if ok && m.Kind == "split" {
				c := splitCard(r, s)
				it.Split = &c
			}
			if ok {
				it.Title = s.Title
			}
		}
		page.Items = append(page.Items, it)
	}
	return page
}

// sendOutcomes reads where the sends of a page of messages that waited
// for their recipient stand now (their card says it: waiting, gone back,
// not gone through); only when the page has one.
func sendOutcomes(r *http.Request, store *db.DB, ms []db.Message) map[string]string {
	var ids []string
	for _, m := range ms {
		if d, ok := m.Payload().(db.PaymentData); ok && d.Waiting {
			ids = append(ids, d.TransferID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	out, err := store.SendOutcomes(r.Context(), ids)
	if err != nil {
		return nil // shown as waiting rather than the page lost
	}
	return out
}

func messageItem(ctx context.Context, m db.Message, me int64) views.MessageItem {
	it := views.MessageItem{ID: m.ID, Kind: m.Kind, Author: m.AuthorName, Text: m.Body, At: m.CreatedAt}
	it.Mine = m.AuthorID != nil && *m.AuthorID == me
	var amount db.StoredAmount
	switch d := m.Payload().(type) {
	case db.SystemData:
		it.Event, it.Title, it.To, amount, it.OldTitle = d.Event, d.Title, d.To, d.StoredAmount, d.OldTitle
		if from, ok := (db.StoredAmount{Amount: d.From, Currency: d.Currency}).Money(); ok {
			it.From = views.Money(ctx, from)
		}
		it.To, it.Method, it.Count = d.To, d.Method, d.Count
	case db.PaymentData:
		it.Method, amount = d.Method, d.StoredAmount
		if d.Method == "send" {
			it.To, it.Title, it.Waiting = d.To, d.Note, d.Waiting
		}
	case db.ReminderData:
		it.To, it.Title, amount = d.To, d.Title, d.StoredAmount
	case db.TextData:
		it.Suggest = suggestionItem(ctx, m, d.Suggestion, me)
	}
	if am, ok := amount.Money(); ok {
		it.Amount = views.Money(ctx, am)
	}
	return it
}

// handleMessagesEarlier answers "earlier messages" with the previous page.
func handleMessagesEarlier(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before, err := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		if err != nil || before <= 0 {
			renderError(w, r, http.StatusBadRequest, "error.400")
			return
		}
		page, err := earlierMessages(r, store, currentMembership(r).thread.ID, before)
		if err != nil {
			fail(w, r, log, err)
			return
		}
		render(w, r, http.StatusOK, views.EarlierPage(page))
	})
}

// handleMessagePost posts a text message. With htmx it answers with the new
// message and a fresh composer; without, it goes back to the thread.
func handleMessagePost(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !parseForm(w, r) {
			return
		}
		ms := currentMembership(r)
		who := itoa(currentUser(r).ID) + ":" + itoa(ms.thread.ID)
		if !withinLimits(w, r, log, store, rateLimit{"messages:minute:" + who, messagesPerMinute, time.Minute},
			rateLimit{"messages:hour:" + who, messagesPerHour, time.Hour}) {
			return
		}
		if handleCommand(w, r, log, store, ms, r.PostForm.Get("body")) {
			return
		}
		symbol := currencySymbol(ms.thread.Currency)
		m, err := store.PostText(r.Context(), ms.thread.ID, currentUser(r).ID, r.PostForm.Get("body"))
		if db.ErrorCode(err) == db.EINVALID {
			f := views.Form{Values: map[string]string{"body": r.PostForm.Get("body")}, Problems: map[string]string{"body": views.ErrorText(r.Context(), err)}}
			if isHTMX(r) {
				w.Header().Set("HX-Retarget", "#"+views.ComposerID)
				w.Header().Set("HX-Reswap", "outerHTML")
				render(w, r, http.StatusUnprocessableEntity, views.Composer(ms.thread.ID, symbol, f, false))
				return
			}
			t, terr := threadView(r, store, ms)
			if terr != nil {
				fail(w, r, log, terr)
				return
			}
			t.Composer = f
			render(w, r, http.StatusUnprocessableEntity, views.ThreadPage(layout(r, ms.thread.Name), t))
			return
		}
		if err != nil {
			fail(w, r, log, err)
			return
		}
		if isHTMX(r) {
			render(w, r, http.StatusOK, views.Posted(ms.thread.ID, symbol, messageItem(r.Context(), m, currentUser(r).ID)))
			return
		}
		http.Redirect(w, r, "/threads/"+strconv.FormatInt(ms.thread.ID, 10)+"#m"+strconv.FormatInt(m.ID, 10), http.StatusSeeOther)
	})
}

func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }

// handleGroupsMoved sends /groups/<rest> to /threads/<rest>, query kept.
func handleGroupsMoved() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		to := "/threads" + strings.TrimPrefix(r.URL.EscapedPath(), "/groups")
		if r.URL.RawQuery != "" {
			to += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, to, http.StatusPermanentRedirect)
	})
}
