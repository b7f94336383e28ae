package db

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jmoiron/sqlx"
)

// linkThread returns the two-person thread of a link's payer and payee,
// creating it the first time (a pay link makes them contacts), inside the
// payment's transaction; either of them who left it is back in it.
func linkThread(ctx context.Context, tx sqlx.ExtContext, payerID, payeeID int64, currency string) (int64, error) {
	lo, hi := directPair(payerID, payeeID)
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('direct:' || $1::text || ':' || $2::text, 0))`, lo, hi); err != nil {
		return 0, err
	}
	var id int64
	err := sqlx.GetContext(ctx, tx, &id, `SELECT group_id FROM direct_threads WHERE user_lo = $1 AND user_hi = $2`, lo, hi)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return createDirect(ctx, tx, payerID, payeeID, currency)
	case err != nil:
		return 0, err
	}
	for _, u := range []int64{payerID, payeeID} {
		if _, err := rejoinDirect(ctx, tx, id, u); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// DirectThreadOf returns the two-person thread of a and b (ENOTFOUND when
// they have none).
func (d *DB) DirectThreadOf(ctx context.Context, a, b int64) (int64, error) {
	lo, hi := directPair(a, b)
	var id int64
	err := d.x.GetContext(ctx, &id, `SELECT group_id FROM direct_threads WHERE user_lo = $1 AND user_hi = $2`, lo, hi)
	return id, mapErr(err, "thread")
}
