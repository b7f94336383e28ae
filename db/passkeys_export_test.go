package db

import (
	"context"

	"divvy/db/money"
)

// ConfirmPayment is confirmPayment, for tests: how every payment kind is
// confirmed (a passkey's assertion, else the PIN).
func ConfirmPayment(ctx context.Context, d *DB, userID int64, pin, passkey, paymentID string, amount money.Money) error {
	return d.confirmPayment(ctx, userID, pin, passkey, paymentID, amount)
}
