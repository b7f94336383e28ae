package db

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// SetClock makes the ledger read the time from now, so tests can place
// payments in the past of the 30-day window. Call it before using d.
func SetClock(d *DB, now func() time.Time) { d.now = now }

// SetFaults makes the use cases stop where f returns an error, as a crash
// between two steps would.
func SetFaults(d *DB, f func(point string) error) { d.faults = f }

// ApplyTransferTx runs the core of RecordTransfer inside tx, so a test can
// break the transaction before it commits.
func ApplyTransferTx(ctx context.Context, d *DB, tx *sqlx.Tx, r TransferRequest) (Transfer, error) {
	r, hash := prepare(r)
	o, err := d.applyTransfer(ctx, tx, r, hash)
	return o.result(err)
}

// SyncSplitPositions posts the position transfer of a split written
// straight in SQL by a test, as a use case that changed it would.
func SyncSplitPositions(ctx context.Context, d *DB, splitID int64) error {
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		noteSplit(tx, splitID)
		return nil
	})
}

// SyncSplitsPositions is SyncSplitPositions for many splits in one
// transaction (seeding big threads).
func SyncSplitsPositions(ctx context.Context, d *DB, splitIDs []int64) error {
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		for _, id := range splitIDs {
			noteSplit(tx, id)
		}
		return nil
	})
}
