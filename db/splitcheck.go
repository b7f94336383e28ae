package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// checkSplitAddsUp checks, in the transaction that wrote them, that the
// shares of a split add up to its total, and its payers too when it names
// any. Every writer of shares and payers calls it before committing. The
// deferred triggers of migrations 020 and 112 check the same at commit on
// plain PostgreSQL; on Citus they cannot (a trigger on a shard cannot read
// other tables), so this check and the audit's split_adds_up are what hold
// there.
func checkSplitAddsUp(ctx context.Context, tx *sqlx.Tx, threadID, splitID int64) error {
	var c struct {
		Total  decimal.Decimal `db:"total"`
		Shares decimal.Decimal `db:"shares"`
		Payers decimal.Decimal `db:"payers"`
		N      int             `db:"n"`
	}
	err := tx.GetContext(ctx, &c, `SELECT s.total,
			(SELECT coalesce(sum(amount), 0) FROM shares WHERE group_id = $1 AND split_id = $2) AS shares,
			(SELECT coalesce(sum(amount), 0) FROM split_payers WHERE group_id = $1 AND split_id = $2) AS payers,
			(SELECT count(*) FROM split_payers WHERE group_id = $1 AND split_id = $2) AS n
		FROM splits s WHERE s.group_id = $1 AND s.id = $2`, threadID, splitID)
	if err != nil {
		return fmt.Errorf("check split %d adds up: %w", splitID, err)
	}
	if !c.Shares.Equal(c.Total) {
		return fmt.Errorf("shares of split %d add up to %s, not its total %s", splitID, c.Shares, c.Total)
	}
	if c.N > 0 && !c.Payers.Equal(c.Total) {
		return fmt.Errorf("payers of split %d add up to %s, not its total %s", splitID, c.Payers, c.Total)
	}
	return nil
}
