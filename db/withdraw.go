package db

import (
	"context"

	"divvy/db/money"
)

// Withdrawal asks to pay available money out to the user's bank account,
// confirmed with their PIN.
type Withdrawal struct {
	UserID   int64
	PayoutID string // the idempotency key, made with the form
	Amount   money.Money
	IBAN     string
	PIN      string
}

// Withdraw pays money out like Payout, once the PIN is confirmed: a
// *PINRefused says why it was not, ErrSetupFirst that payments are not set
// up. While a request with the same payout id is still running, others are
// refused (ECONFLICT) before their PIN is counted.
func (d *DB) Withdraw(ctx context.Context, p PaymentProvider, w Withdrawal) (Transfer, error) {
	if err := checkTransferID(w.PayoutID, 100); err != nil {
		return Transfer{}, err
	}
	release, err := d.holdPayment(ctx, "payout", w.UserID, w.PayoutID)
	if err != nil {
		return Transfer{}, err
	}
	defer release()
	if err := d.confirmPIN(ctx, w.UserID, w.PIN); err != nil {
		return Transfer{}, err
	}
	t, _, err := d.Payout(ctx, p, PayoutRequest{ID: w.PayoutID, UserID: w.UserID, Amount: w.Amount, Destination: w.IBAN})
	return t, err
}
