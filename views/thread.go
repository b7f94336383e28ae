package views

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Thread is the conversation page.
type Thread struct {
	ID          int64
	Name        string
	Currency    string
	Symbol      string // on the currency button
	IsOrganizer bool
	Members     []MemberItem
	Messages    Messages
	Composer    Form
	LastEventID int64 // the live stream starts after it
	Balances    Balances
	NoBalances  bool // no balance summary (BALANCE_SUMMARY=off, load measurements)
	// Direct: a two-person thread, titled with the other person's name
	// (With), without invite link.
	Direct bool
	With   string
}

// MemberItem is one line of the members list.
type MemberItem struct {
	ThreadID int64
	UserID   int64
	Name     string
	Role     string
	IsYou    bool
	IsGuest  bool
	// CanRemove is set when the reader organizes the thread and this
	// member is not an organizer: the list offers "Remove".
	CanRemove bool
	// InDirect: shown in the pair's own two-person thread, where "Message"
	// would lead back to the same page.
	InDirect bool
}

// Messages is one page of a thread's stream, oldest first.
type Messages struct {
	ThreadID   int64
	Items      []MessageItem
	HasEarlier bool
}

// EarliestID is the id to ask "earlier than" for the next page.
func (m Messages) EarliestID() int64 {
	if len(m.Items) == 0 {
		return 0
	}
	return m.Items[0].ID
}

// MessageItem is one message as the reader sees it.
type MessageItem struct {
	ID     int64
	Kind   string // text, split, payment, reminder, system
	Author string
	Mine   bool
	Text   string     // text messages
	Event  string     // system messages: created, joined
	Split  *SplitCard // split messages
	// Payments and reminders: the amount, the split's title, who is
	// reminded, and how a payment was made.
	Amount, Title, To, Method string
	// Edits of a split: the total before (split_changed), the title before
	// (split_renamed).
	From, OldTitle string
	Waiting        bool // a send waiting for its recipient to set up payments
	// SendState: where a send that waited stands now ("", waiting,
	// claimed, returned, voided).
	SendState string
	Count     int // splits_closed: how many splits a settlement closed
	At        time.Time
	// HTML, when set, is the message as already rendered for this reader
	// (messages other than split cards never change once posted).
	HTML string
	// Suggest is the money-talk suggestion under a text message, for the
	// reader only (never part of HTML, which is shared).
	Suggest *Suggestion
}

// Suggestion offers a reader the form a message's money talk calls for:
// "Send 15 € to Sam?", "Request 20 € from Sam?", "Split 60 €?".
type Suggestion struct {
	ThreadID  int64
	MessageID int64
	Action    string // send, request, split
	Amount    string // formatted for the reader
	Name      string // the other person (send, request)
	Href      string // the prefilled form
	Mine      bool   // under the reader's own message: on its side
}

// SuggestionID is the id of the suggestion under message id.
func SuggestionID(messageID int64) string { return "s" + strconv.FormatInt(messageID, 10) }

// Segment is a piece of message text: plain, or a link.
type Segment struct {
	Text string
	URL  string
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"']+`)

// Linkify splits text into plain pieces and http(s) links. Only http and
// https become links, so a message cannot carry javascript: or data: URLs;
// templ escapes every piece.
func Linkify(text string) []Segment {
	var out []Segment
	last := 0
	for _, loc := range linkPattern.FindAllStringIndex(text, -1) {
		start, end := loc[0], loc[1]
		// A sentence's closing punctuation is not part of the link.
		for end > start && strings.ContainsRune(".,;:!?)]}", rune(text[end-1])) {
			end--
		}
		if start > last {
			out = append(out, Segment{Text: text[last:start]})
		}
		out = append(out, Segment{Text: text[start:end], URL: text[start:end]})
		last = end
	}
	if last < len(text) {
		out = append(out, Segment{Text: text[last:]})
	}
	return out
}

// Clock formats a time of day for the reader, in the reader's time zone:
// 24-hour in French, 12-hour in English.
func Clock(ctx context.Context, t time.Time) string {
	t = t.In(Zone(ctx))
	if Locale(ctx) == "fr" {
		return t.Format("15:04")
	}
	return t.Format("3:04 PM")
}

func threadURL(id int64, rest string) string {
	return "/threads/" + strconv.FormatInt(id, 10) + rest
}

func roleText(ctx context.Context, role string) string {
	return T(ctx, "role."+role)
}

// Region ids that handlers target with htmx swaps.
const (
	MessagesID = "messages"
	ComposerID = "composer"
)

// quietThread reports a thread where nobody has said or split anything
// yet: it shows what to do first.
func quietThread(m Messages) bool {
	if m.HasEarlier {
		return false
	}
	for _, it := range m.Items {
		if it.Kind != "system" {
			return false
		}
	}
	return true
}
