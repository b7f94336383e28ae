package db

// Error codes of money moves, beside the general vocabulary of errors.go.
// Each is a refusal the person can act on (a 4xx, never a 500), and a
// transfer id refused with one of them stays refused.
const (
	// EDECLINED: the payment provider refused the card or the payout.
	EDECLINED = "declined"
	// EINSUFFICIENT: the account to debit holds less than the amount.
	EINSUFFICIENT = "insufficient_funds"
	// ELIMIT: a card payment cap (per payment or over 30 days) would be crossed.
	ELIMIT = "limit_reached"
)

// finalCodes are the failures recorded against a transfer id, so that a retry
// with the id returns the same failure. Internal and unavailable errors are
// not final: the same id may be tried again.
var finalCodes = map[string]bool{
	EDECLINED: true, EINSUFFICIENT: true, ELIMIT: true,
	EINVALID: true, ENOTFOUND: true, ECONFLICT: true, EFORBIDDEN: true,
}
