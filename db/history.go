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
	CreatedAt  time.Time
}

// History lists the latest transfers that moved a user's money: payments
// received and made (card and cash), settlements, payouts, refunds.
// Settlements move money between the user's own pending and available
// balances, so they are left out: the payment they settle is shown, no
// longer pending.
func (d *DB) History(ctx context.Context, userID int64, limit int) ([]HistoryItem, error) {
	var rows []struct {
		ID       string          `db:"id"`
		Kind     string          `db:"kind"`
		Currency string          `db:"currency"`
		Net      decimal.Decimal `db:"net"`
		Pending  bool            `db:"pending"`
		SplitID  *int64          `db:"split_id"`
		ThreadID *int64          `db:"group_id"`
		Title    *string         `db:"title"`
		At       time.Time       `db:"created_at"`
	}
	err := d.x.SelectContext(ctx, &rows, `
		SELECT t.id, t.kind, t.currency, sum(e.amount) AS net,
		       (t.kind = 'card_payment' AND sum(e.amount) > 0
		        AND NOT EXISTS (SELECT 1 FROM ledger_transfers p WHERE p.pending_of = t.id)) AS pending,
		       t.split_id, s.group_id, s.title, t.created_at
		FROM ledger_entries e
		JOIN ledger_accounts a ON a.id = e.account_id AND a.user_id = $1
		JOIN ledger_transfers t ON t.id = e.transfer_id
		LEFT JOIN splits s ON s.id = t.split_id
		WHERE t.kind NOT IN ('settlement')
		GROUP BY t.id, s.group_id, s.title
		ORDER BY t.created_at DESC, t.id
		LIMIT $2`, userID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]HistoryItem, 0, len(rows))
	for _, r := range rows {
		it := HistoryItem{TransferID: r.ID, Kind: TransferKind(r.Kind), Amount: atScale(r.Net, r.Currency), Pending: r.Pending, CreatedAt: r.At}
		if r.SplitID != nil {
			it.SplitID = *r.SplitID
		}
		if r.ThreadID != nil {
			it.ThreadID = *r.ThreadID
		}
		if r.Title != nil {
			it.SplitTitle = *r.Title
		}
		out = append(out, it)
	}
	return out, nil
}
