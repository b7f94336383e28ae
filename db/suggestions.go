package db

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"divvy/db/command"
)

// TextData is what a text message carries besides its text: the money-talk
// suggestion found in it when it was posted, if any.
type TextData struct {
	Suggestion *Suggestion `json:"suggestion,omitempty"`
}

func (TextData) messageKind() string { return "text" }

// Suggestion is the form a text message suggests to the people it is
// about: a send from the debtor or a request from the creditor (Kind
// "debt"), or a split (Kind "split"). Only the two of them see it, and
// nothing happens until one opens the form and confirms it.
type Suggestion struct {
	Kind string `json:"kind"` // debt, split
	StoredAmount
	Debtor       int64  `json:"debtor,omitempty"`
	DebtorName   string `json:"debtor_name,omitempty"`
	Creditor     int64  `json:"creditor,omitempty"`
	CreditorName string `json:"creditor_name,omitempty"`
	// A split's people: its author, and the other person when there is one.
	Author int64 `json:"author,omitempty"`
	Other  int64 `json:"other,omitempty"`
	// Foreign: the amount is not in the thread's currency ("I owe you $12"
	// in a euro thread), so the form is told which.
	Foreign bool `json:"foreign,omitempty"`
}

// For says what the suggestion offers the viewer: "send" (to the
// creditor), "request" (from the debtor), "split", or "" for everyone
// else.
func (s *Suggestion) For(viewer int64) string {
	switch {
	case s == nil || viewer == 0:
		return ""
	case s.Kind == "debt" && viewer == s.Debtor:
		return "send"
	case s.Kind == "debt" && viewer == s.Creditor:
		return "request"
	case s.Kind == "split" && (viewer == s.Author || viewer == s.Other):
		return "split"
	}
	return ""
}

// suggest works out the suggestion of a text message posted by author in a
// thread, inside the posting transaction (members as they are now: someone
// who left is nobody to suggest anything about).
func suggest(ctx context.Context, tx sqlx.QueryerContext, threadID, author int64, body, currency string) (*Suggestion, error) {
	talk, ok := command.Detect(body, currency)
	if !ok {
		return nil, nil
	}
	var rows []struct {
		ID   int64  `db:"user_id"`
		Name string `db:"display_name"`
	}
	if err := sqlx.SelectContext(ctx, tx, &rows, `SELECT m.user_id, u.display_name FROM group_members m JOIN users u ON u.id = m.user_id
		WHERE m.group_id = $1 ORDER BY m.joined_at, m.user_id`, threadID); err != nil {
		return nil, err
	}
	people := make([]command.Person, len(rows))
	names := map[int64]string{}
	for i, r := range rows {
		people[i] = command.Person{ID: r.ID, Name: r.Name}
		names[r.ID] = r.Name
	}
	debtor, creditor, ok := talk.Parties(author, people)
	if !ok {
		return nil, nil
	}
	s := &Suggestion{StoredAmount: storedAmount(talk.Amount), Foreign: talk.Amount.Currency != currency}
	if talk.Kind == command.Share {
		s.Kind, s.Author, s.Other = "split", debtor, creditor
		return s, nil
	}
	s.Kind = "debt"
	s.Debtor, s.DebtorName, s.Creditor, s.CreditorName = debtor, names[debtor], creditor, names[creditor]
	return s, nil
}

// DismissSuggestion records that userID does not want the suggestion under
// a message of the thread: it is not shown to them again (on any device).
// Dismissing twice, or a message without a suggestion for them, is fine.
func (d *DB) DismissSuggestion(ctx context.Context, threadID, messageID, userID int64) error {
	_, err := d.x.ExecContext(ctx, `INSERT INTO suggestion_dismissals (group_id, message_id, user_id)
		SELECT group_id, id, $3 FROM messages WHERE group_id = $1 AND id = $2
		ON CONFLICT DO NOTHING`, threadID, messageID, userID)
	return err
}

// DismissedSuggestions returns which of the messages userID dismissed the
// suggestion of.
func (d *DB) DismissedSuggestions(ctx context.Context, threadID, userID int64, messageIDs []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(messageIDs) == 0 {
		return out, nil
	}
	var ids []int64
	err := d.x.SelectContext(ctx, &ids, `SELECT message_id FROM suggestion_dismissals
		WHERE group_id = $1 AND user_id = $2 AND message_id = ANY($3)`, threadID, userID, pq.Array(messageIDs))
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}
