package db

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Message is one entry of a thread's stream.
type Message struct {
	ID         int64           `db:"id"`
	ThreadID   int64           `db:"group_id"`
	Kind       string          `db:"kind"` // text, split, payment, reminder, system
	AuthorID   *int64          `db:"author_id"`
	AuthorName string          `db:"author_name"`
	Body       string          `db:"body"`
	SplitID    *int64          `db:"split_id"`
	Data       json.RawMessage `db:"data"`
	CreatedAt  time.Time       `db:"created_at"`

	// payload is Data decoded once when the row was read (see
	// decodePayloads): a thread page's rows are kept and shared by every
	// view of the thread until its next event, and decoding every
	// message's JSON on every view was a sixth of the page's CPU.
	payload MessageData
	decoded bool
}

// MessageData is what a message of one kind carries besides its text, one
// type per kind: SystemData, PaymentData, ReminderData (text and split
// messages carry none). It is stored as JSON in messages.data.
type MessageData interface{ messageKind() string }

// SystemData is what a system message says happened in the thread.
type SystemData struct {
	Event string `json:"event"`           // created, joined, left, removed, renamed, cash_claimed, split_closed, splits_closed, split_cancelled, payment_failed, split_changed, split_renamed, split_edited
	Title string `json:"title,omitempty"` // the split's
	To    string `json:"to,omitempty"`    // removed: who was; settled, settle_claimed: who was paid
	StoredAmount
	TransferID string `json:"transfer_id,omitempty"` // payment_failed: the voided payment
	From       string `json:"from,omitempty"`        // split_changed: the total before, in the amount's currency
	OldTitle   string `json:"old_title,omitempty"`   // split_renamed: the title before
	Method     string `json:"method,omitempty"`      // settled: card or cash
	Count      int    `json:"count,omitempty"`       // splits_closed: how many splits a settlement closed
}

// PaymentData is the data of a payment message: a share paid, or money
// sent to someone (Method "send", see SendMoney).
type PaymentData struct {
	ShareID int64 `json:"share_id"`
	StoredAmount
	Method     string `json:"method"` // card, cash, send
	TransferID string `json:"transfer_id"`
	// A send's recipient (name and id) and note.
	To   string `json:"to,omitempty"`
	ToID int64  `json:"to_id,omitempty"`
	Note string `json:"note,omitempty"`
	// Waiting: the recipient had not set up payments; the money waits for
	// them (see ClaimWaitingSends).
	Waiting bool `json:"waiting,omitempty"`
}

// ReminderData is the data of a reminder message.
type ReminderData struct {
	ShareID int64  `json:"share_id"`
	To      string `json:"to"` // the reminded person's name
	StoredAmount
	Title string `json:"title"` // the split's
}

func (SystemData) messageKind() string   { return "system" }
func (PaymentData) messageKind() string  { return "payment" }
func (ReminderData) messageKind() string { return "reminder" }

// StoredAmount is an amount as message data keeps it.
type StoredAmount struct {
	Amount   string `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
}

func storedAmount(m money.Money) StoredAmount {
	return StoredAmount{Amount: m.Amount.String(), Currency: m.Currency}
}

// Money is the amount; false when the message has none.
func (a StoredAmount) Money() (money.Money, bool) {
	d, err := decimal.NewFromString(a.Amount)
	if err != nil {
		return money.Money{}, false
	}
	m, err := money.New(d, a.Currency)
	return m, err == nil
}

// Payload is the message's data decoded by its kind; nil for split
// messages, and for data that does not decode. Nobody may change what it
// returns: rows read once are shared by the views of a thread.
func (m Message) Payload() MessageData {
	if m.decoded {
		return m.payload
	}
	return m.decode()
}

// decodePayloads decodes the data of messages just read, once (Payload).
func decodePayloads(ms []Message) {
	for i := range ms {
		ms[i].payload, ms[i].decoded = ms[i].decode(), true
	}
}

func (m Message) decode() MessageData {
	var d MessageData
	var err error
	switch m.Kind {
	case "system":
		var v SystemData
		err, d = json.Unmarshal(m.Data, &v), v
	case "payment":
		var v PaymentData
		err, d = json.Unmarshal(m.Data, &v), v
	case "reminder":
		var v ReminderData
		err, d = json.Unmarshal(m.Data, &v), v
	case "text":
		var v TextData
		err, d = json.Unmarshal(m.Data, &v), v
	}
	if err != nil {
		return nil
	}
	return d
}

// MaxMessageLength is the longest text message, in characters.
const MaxMessageLength = 2000

func postMessage(ctx context.Context, tx sqlx.ExtContext, threadID int64, kind string, authorID int64, body string, data MessageData) error {
	_, err := insertMessage(ctx, tx, threadID, kind, authorID, body, nil, data)
	return err
}

// insertMessage writes a message and its live-update event.
func insertMessage(ctx context.Context, tx sqlx.ExtContext, threadID int64, kind string, authorID int64, body string, splitID *int64, data MessageData) (int64, error) {
	id, err := insertMessageRow(ctx, tx, threadID, kind, authorID, body, splitID, data)
	if err != nil {
		return 0, err
	}
	var sid int64
	if splitID != nil {
		sid = *splitID
	}
	return id, addEvent(ctx, tx, threadID, EventMessage, id, sid)
}

// insertMessageRow writes a message without its event, for a caller that
// adds the event itself (see addEvents).
func insertMessageRow(ctx context.Context, tx sqlx.ExtContext, threadID int64, kind string, authorID int64, body string, splitID *int64, data MessageData) (int64, error) {
	b := []byte("{}")
	if data != nil {
		if data.messageKind() != kind {
			return 0, fmt.Errorf("db: %T in a %s message", data, kind)
		}
		var err error
		if b, err = json.Marshal(data); err != nil {
			return 0, err
		}
	}
	var author *int64
	if authorID != 0 {
		author = &authorID
	}
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `INSERT INTO messages (group_id, kind, author_id, body, split_id, data)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, threadID, kind, author, body, splitID, b)
	return id, err
}

// PostText posts a text message from a member. The membership is checked
// in the same statement, so a removed member cannot post.
func (d *DB) PostText(ctx context.Context, threadID, userID int64, body string) (Message, error) {
	body = strings.TrimSpace(body)
	switch n := utf8.RuneCountInString(body); {
	case n == 0:
		return Message{}, Errorf(EINVALID, "message_empty")
	case n > MaxMessageLength:
		return Message{}, Errorf(EINVALID, "message_long")
	}
	var id int64
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		var currency string
		err := tx.GetContext(ctx, &currency, `SELECT g.currency FROM group_members m JOIN groups g ON g.id = m.group_id
			WHERE m.group_id = $1 AND m.user_id = $2`, threadID, userID)
		if err != nil {
			return mapErr(err, "thread")
		}
		// Money talk ("je te dois 15 €"): the suggestion is worked out
		// once, here, with the members as they are.
		var data MessageData
		if s, err := suggest(ctx, tx, threadID, userID, body, currency); err != nil {
			return err
		} else if s != nil {
			data = TextData{Suggestion: s}
		}
		id, err = insertMessage(ctx, tx, threadID, "text", userID, body, nil, data)
		return err
	})
	if err != nil {
		return Message{}, err
	}
	ms, err := d.messages(ctx, `m.id = $1`, id)
	if err != nil || len(ms) == 0 {
		return Message{}, err
	}
	return ms[0], nil
}

const messageQuery = `SELECT m.id, m.group_id, m.kind, m.author_id, coalesce(u.display_name, '') AS author_name,
	m.body, m.split_id, m.data, m.created_at
	FROM messages m LEFT JOIN users u ON u.id = m.author_id WHERE `

// messages reads messages through a prepared statement per where clause
// (there are a few, all constants).
func (d *DB) messages(ctx context.Context, where string, args ...any) ([]Message, error) {
	return d.messagesInto(ctx, nil, where, args...)
}

// messagesInto appends to ms, which a caller that knows how many rows to
// expect sizes beforehand.
func (d *DB) messagesInto(ctx context.Context, ms []Message, where string, args ...any) ([]Message, error) {
	err := d.selectPrepared(ctx, d.x, &ms, messageQuery+where, args...)
	decodePayloads(ms)
	return ms, err
}

// Messages returns up to limit messages of a thread older than before (all
// when before is 0), oldest first, and whether there are earlier ones. It
// reads one page by index, so a thread with many thousands of messages opens
// as fast as a new one.
func (d *DB) Messages(ctx context.Context, threadID, before int64, limit int) ([]Message, bool, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	ms, err := d.messagesInto(ctx, make([]Message, 0, limit+1), `m.group_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3`, threadID, before, limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(ms) > limit
	if more {
		ms = ms[:limit]
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms, more, nil
}

// MessagePage returns a page of a thread's messages (see Messages), whether
// there are earlier ones, and the splits its split messages show.
func (d *DB) MessagePage(ctx context.Context, threadID, before int64, limit int) ([]Message, bool, map[int64]Split, error) {
	msgs, more, err := d.Messages(ctx, threadID, before, limit)
	if err != nil {
		return nil, false, nil, err
	}
	var ids []int64
	for _, m := range msgs {
		if m.Kind == "split" && m.SplitID != nil {
			ids = append(ids, *m.SplitID)
		}
	}
	splits, err := d.Splits(ctx, ids)
	if err != nil {
		return nil, false, nil, err
	}
	return msgs, more, splits, nil
}
