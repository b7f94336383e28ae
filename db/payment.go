package db

import (
	"context"
	"time"

	"divvy/db/money"
)

// Refusals any payment provider answers with, so each is worded the same
// whichever provider refused.
var (
	ErrCardNumber        = NewReason(EINVALID, "card.number")
	ErrCardExpMonth      = NewReason(EINVALID, "card.exp_month")
	ErrCardExpYear       = NewReason(EINVALID, "card.exp_year")
	ErrCardExpired       = NewReason(EINVALID, "card.expired")
	ErrCardExpFar        = NewReason(EINVALID, "card.exp_far")
	ErrCardCVC           = NewReason(EINVALID, "card.cvc", "digits")
	ErrCardName          = NewReason(EINVALID, "card.name")
	ErrCardUnknown       = NewReason(EINVALID, "card.unknown")
	ErrCardExpiredCharge = NewReason(EDECLINED, "card.expired_charge")
	ErrCardDeclined      = NewReason(EDECLINED, "card.declined")
	ErrCardNoFunds       = NewReason(EDECLINED, "card.insufficient_funds")
	ErrChargeAmount      = NewReason(EINVALID, "charge.amount")
	ErrChargeNotFound    = NewReason(ENOTFOUND, "charge.not_found")
	ErrRefundTooMuch     = NewReason(EINVALID, "refund.too_much", "charged")
	ErrPayoutIBAN        = NewReason(EINVALID, "payout.iban")
	ErrPayoutRefused     = NewReason(EDECLINED, "payout.refused")
	ErrPayoutAmount      = NewReason(EINVALID, "payout.amount")
)

// PaymentProvider is the boundary with whoever moves real money: it keeps
// cards, charges them, refunds, pays out, and says when a charge has settled.
// The built-in implementation is the sandbox (package divvy/db/sandbox); a
// real provider plugs in behind the same methods.
//
// Refusals are *Error values: EINVALID for input that is wrong (a bad card
// number, an expired card), EDECLINED for a card or payout the provider
// refuses, EUNAVAILABLE when the provider cannot be reached (the same call
// with the same idempotency key may be tried again).
type PaymentProvider interface {
	// Tokenize checks a card and returns a token that stands for it. The
	// card number and CVC pass through memory only.
	Tokenize(ctx context.Context, in CardInput) (Card, error)
	// Charge takes amount from the card behind token. Calls with the same
	// idempotency key are the same charge to a real provider.
	Charge(ctx context.Context, token string, amount money.Money, idempotencyKey string) (Charge, error)
	// Refund gives back amount (at most what was charged) of a charge.
	Refund(ctx context.Context, chargeID string, amount money.Money, idempotencyKey string) error
	// Payout sends amount to a bank account (an IBAN) and returns the
	// provider's id for it.
	Payout(ctx context.Context, dest string, amount money.Money, idempotencyKey string) (payoutID string, err error)
	// SettlementStatus says whether the money of a charge has arrived.
	SettlementStatus(ctx context.Context, chargeID string) (SettlementStatus, error)
	// FindCharge says what became of a charge asked for with
	// idempotencyKey (on the card behind token, for amount, no earlier
	// than since): the charge, or ENOTFOUND when none was made. It never
	// charges.
	FindCharge(ctx context.Context, token string, amount money.Money, idempotencyKey string, since time.Time) (Charge, error)
	// FindPayout says what became of a payout asked for with
	// idempotencyKey: the provider's payout id, or ENOTFOUND when none was
	// sent. It never pays out.
	FindPayout(ctx context.Context, dest string, amount money.Money, idempotencyKey string) (payoutID string, err error)
}

// CardInput is what a person types into the card form. It is never stored
// or logged.
type CardInput struct {
	Number   string // digits, spaces and dashes allowed
	ExpMonth string // 1-12
	ExpYear  string // 2 or 4 digits
	CVC      string
	Name     string // the cardholder, as printed
}

// Card is what may be kept of a card: the provider's token and what a person
// needs to recognise it.
type Card struct {
	Token    string
	Brand    string // "visa", "mastercard", "amex", ...
	Last4    string
	ExpMonth int
	ExpYear  int
}

// Charge is a successful charge.
type Charge struct {
	ID        string // the provider's reference, stored on the card payment
	Amount    money.Money
	Brand     string
	Last4     string
	CreatedAt time.Time
}

// SettlementStatus is where the money of a charge stands.
type SettlementStatus string

// The settlement states. A charge starts pending and ends settled (the money
// arrived: the pending transfer is posted) or failed (it never will: voided).
const (
	SettlementPending SettlementStatus = "pending"
	SettlementSettled SettlementStatus = "settled"
	SettlementFailed  SettlementStatus = "failed"
)
