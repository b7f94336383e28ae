package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"divvy/db"
	"divvy/db/money"
	"divvy/views"
)

// suggestionItem is the money-talk suggestion under message m for reader
// me: nil unless me is one of the two people it is about. Its link opens
// the form the chat commands open (send, request, split), prefilled.
func suggestionItem(ctx context.Context, m db.Message, s *db.Suggestion, me int64) *views.Suggestion {
	action := s.For(me)
	if action == "" {
		return nil
	}
	amount, ok := s.Money()
	if !ok {
		return nil
	}
	it := &views.Suggestion{ThreadID: m.ThreadID, MessageID: m.ID, Action: action, Amount: views.Money(ctx, amount),
		Mine: m.AuthorID != nil && *m.AuthorID == me}
	q := url.Values{}
	plain := money.FormatPlain(amount, views.Locale(ctx))
	if s.Foreign {
		plain += " " + amount.Currency
	}
	path := threadPath(m.ThreadID)
	switch action {
	case "send":
		it.Name = s.CreditorName
		q.Set("to", itoa(s.Creditor))
		q.Set("amount", plain)
		path += "/send"
	case "request":
		it.Name = s.DebtorName
		q.Set("to", itoa(s.Debtor))
		q.Set("amount", plain)
		path += "/request"
	case "split":
		q.Set("total", plain)
		path += "/splits/new"
	}
	it.Href = path + "?" + q.Encode()
	return it
}

// dismissedSuggestions reads which suggestions on a page of messages the
// reader dismissed; only when the page has one for them.
func dismissedSuggestions(r *http.Request, store *db.DB, threadID int64, ms []db.Message, me int64) map[int64]bool {
	var ids []int64
	for _, m := range ms {
		if m.Kind != "text" {
			continue
		}
		if d, ok := m.Payload().(db.TextData); ok && d.Suggestion.For(me) != "" {
			ids = append(ids, m.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	out, err := store.DismissedSuggestions(r.Context(), threadID, me, ids)
	if err != nil {
		// Shown once more rather than the page lost: it moves no money.
		return nil
	}
	return out
}

// dismissedInBatch is dismissedSuggestions for the messages of a batch of
// events replayed to one viewer.
func dismissedInBatch(r *http.Request, store *db.DB, threadID int64, b *eventBatch, me int64) map[int64]bool {
	if len(b.messages) == 0 {
		return nil
	}
	ms := make([]db.Message, 0, len(b.messages))
	for _, m := range b.messages {
		ms = append(ms, m)
	}
	return dismissedSuggestions(r, store, threadID, ms, me)
}

// handleSuggestionDismiss hides a message's suggestion from the reader for
// good. With htmx the line is removed in place; without, back to the
// thread.
func handleSuggestionDismiss(log *slog.Logger, store *db.DB) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		threadID := currentMembership(r).thread.ID
		id, err := strconv.ParseInt(r.PathValue("message"), 10, 64)
		if err != nil || id <= 0 {
			renderError(w, r, http.StatusNotFound, "error.404")
			return
		}
		if err := store.DismissSuggestion(r.Context(), threadID, id, currentUser(r).ID); err != nil {
			fail(w, r, log, err)
			return
		}
		if isHTMX(r) {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Redirect(w, r, threadPath(threadID)+"#m"+itoa(id), http.StatusSeeOther)
	})
}
