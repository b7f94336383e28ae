package db

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// HistoryItem is one transfer as it touched a user's money.
type HistoryItem struct {
	TransferID string
	Kind       TransferKind
	// Amount is the transfer's effect on the user: positive in, negative
	// out. Card payments made count as out (they left the user's card),
	// cash as a record in either direction.
	Amount     money.Money
	Pending    bool // money received that the provider has not settled yet
	SplitID    int64
	ThreadID   int64
	SplitTitle string
	// Counterpart is the other person of a split's transfer: who paid the
	// user, or whom the user paid ("" for payouts and the like).
	Counterpart string
	Note        string // what a pay-link payment was for
	CreatedAt   time.Time
}

// HistoryCursor is where a page of history starts: before this transfer
// (the zero cursor starts at the newest).
type HistoryCursor struct {
	At time.Time
	ID string
}

// History lists the latest transfers that moved a user's money: payments
// received and made (card and cash), settlements, payouts, refunds.
// Settlements move money between the user's own pending and available
// balances, so they are left out: the payment they settle is shown, no
// longer pending.
func (d *DB) History(ctx context.Context, userID int64, limit int) ([]HistoryItem, error) {
	items, _, err := d.HistoryPage(ctx, userID, HistoryCursor{}, limit)
	return items, err
}

// HistoryPage is History from a cursor, newest first; more says whether
// older transfers remain (the last item's time and id continue from there).
func (d *DB) HistoryPage(ctx context.Context, userID int64, before HistoryCursor, limit int) (items []HistoryItem, more bool, err error) {
	var rows []struct {
		ID          string          `db:"id"`
		Kind        string          `db:"kind"`
		Currency    string          `db:"currency"`
		Net         decimal.Decimal `db:"net"`
		Pending     bool            `db:"pending"`
		SplitID     *int64          `db:"split_id"`
		ThreadID    *int64          `db:"group_id"`
		Title       *string         `db:"title"`
		Counterpart *string         `db:"counterpart"`
		Note        string          `db:"note"`
		At          time.Time       `db:"created_at"`
	}
	var at *time.Time
	if !before.At.IsZero() {
		at = &before.At
	}
	err = d.x.SelectContext(ctx, &rows, `
		SELECT t.id, t.kind, t.currency, sum(e.amount) AS net,
		       (t.kind = 'card_payment' AND sum(e.amount) > 0
		        AND NOT EXISTS (SELECT 1 FROM ledger_transfers p WHERE p.pending_of = t.id)) AS pending,
		       s.id AS split_id, s.group_id, s.title,
		       coalesce(CASE WHEN lp.payer_id = $1 THEN lpe.display_name WHEN lp.payee_id = $1 THEN lpr.display_name END,
		                CASE WHEN sd.sender_id = $1 THEN sdr.display_name WHEN sd.recipient_id = $1 THEN sds.display_name END,
		                CASE WHEN s.payee_id = $1 THEN pu.display_name ELSE cu.display_name END) AS counterpart,
		       coalesce(lp.note, sd.note, '') AS note,
		       t.created_at
		FROM ledger_entries e
		JOIN ledger_accounts a ON a.id = e.account_id AND a.user_id = $1 AND a.kind <> 'thread_position'
		JOIN ledger_transfers t ON t.id = e.transfer_id
		LEFT JOIN ledger_transfers r ON r.id = t.reverses
		LEFT JOIN splits s ON s.id = coalesce(t.split_id, r.split_id)
		LEFT JOIN shares sh ON sh.id = coalesce(t.share_id, r.share_id)
		LEFT JOIN users pu ON pu.id = coalesce(t.payer_user_id, r.payer_user_id, sh.user_id)
		LEFT JOIN users cu ON cu.id = s.payee_id
		LEFT JOIN link_payments lp ON lp.transfer_id = coalesce(t.reverses, t.id)
		LEFT JOIN users lpr ON lpr.id = lp.payer_id
		LEFT JOIN users lpe ON lpe.id = lp.payee_id
		LEFT JOIN send_details sd ON sd.transfer_id = coalesce(t.reverses, t.pending_of, t.id)
		LEFT JOIN users sds ON sds.id = sd.sender_id
		LEFT JOIN users sdr ON sdr.id = sd.recipient_id
		WHERE t.kind NOT IN ('settlement')
		  AND ($3::timestamptz IS NULL OR (t.created_at, t.id) < ($3, $4))
		GROUP BY t.id, t.kind, t.currency, t.created_at, s.id, s.group_id, s.title, s.payee_id,
		         pu.display_name, cu.display_name, lp.payer_id, lp.payee_id, lp.note, lpr.display_name, lpe.display_name,
		         sd.sender_id, sd.recipient_id, sd.note, sds.display_name, sdr.display_name
		ORDER BY t.created_at DESC, t.id DESC
		LIMIT $2`, userID, limit+1, at, before.ID)
	if err != nil {
		return nil, false, err
	}
	if len(rows) > limit {
		rows, more = rows[:limit], true
	}
	items = make([]HistoryItem, 0, len(rows))
	for _, r := range rows {
		it := HistoryItem{TransferID: r.ID, Kind: TransferKind(r.Kind), Amount: atScale(r.Net, r.Currency), Pending: r.Pending,
			CreatedAt: r.At, Note: r.Note}
		if r.SplitID != nil {
			it.SplitID = *r.SplitID
		}
		if r.ThreadID != nil {
			it.ThreadID = *r.ThreadID
		}
		if r.Title != nil {
			it.SplitTitle = *r.Title
		}
		if r.Counterpart != nil {
			it.Counterpart = *r.Counterpart
		}
		items = append(items, it)
	}
	return items, more, nil
}
