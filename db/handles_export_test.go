package db

import "context"

// HandleSkeleton exposes handleSkeleton to the tests, which check it
// against the database's name_skeleton.
var HandleSkeleton = handleSkeleton

// EnsurePendingAccount makes a person's pending account in currency, as a
// first card payment to them would.
func EnsurePendingAccount(d *DB, userID int64, currency string) error {
	_, err := ensureAccount(context.Background(), d.x, AccountPending, userID, 0, currency)
	return err
}
