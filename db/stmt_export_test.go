package db

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// SelectPrepared runs a read query through d's prepared statement, via q
// (the pool or a transaction).
func SelectPrepared(ctx context.Context, d *DB, q sqlx.QueryerContext, dest any, query string, args ...any) error {
	return d.selectPrepared(ctx, q, dest, query, args...)
}

// CountShareRows reads the shares of split cards through their prepared
// statement, via q, and returns how many there are.
func CountShareRows(ctx context.Context, d *DB, q sqlx.QueryerContext, splitIDs []int64) (int, error) {
	var rows []shareRow
	err := d.selectPrepared(ctx, q, &rows, sharesQuery, pq.Array(splitIDs))
	return len(rows), err
}
