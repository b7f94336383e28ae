package db

// TransferKind says why money moved; each kind moves it between accounts of
// given kinds (checked by checkTransfer).
type TransferKind string

// The transfer kinds.
const (
	// TransferDeposit: equity -> a user's available balance (funding, adjustments).
	TransferDeposit TransferKind = "deposit"
	// TransferSend: a user's available balance -> another user's.
	TransferSend TransferKind = "transfer"
	// TransferCardPayment: the payer's clearing -> the collector's pending
	// balance, until the provider settles the charge. Capped per payer.
	TransferCardPayment TransferKind = "card_payment"
	// TransferSettlement: the collector's pending -> available balance, once the
	// provider settled the card payment named by PendingOf.
	TransferSettlement TransferKind = "settlement"
	// TransferVoid: the collector's pending balance -> back to the payer's
	// clearing, when the charge of PendingOf failed to settle.
	TransferVoid TransferKind = "void"
	// TransferCash: the payer's memo -> the collector's memo in a thread: a share
	// paid outside Divvy, recorded so it counts as paid.
	TransferCash TransferKind = "cash"
	// TransferPayout: a user's available balance -> payouts (to their bank).
	TransferPayout TransferKind = "payout"
	// TransferRefund: the collector's available balance -> the payer's clearing,
	// giving back the settled card payment named by Reverses; or, before it
	// settled, the collector's pending balance -> the payer's clearing, which
	// also resolves it (PendingOf = Reverses).
	TransferRefund TransferKind = "refund"
	// TransferReversal: the opposite of the transfer named by Reverses (a
	// deposit, send, cash mark or failed payout).
	TransferReversal TransferKind = "reversal"
	// TransferPosition: moves members' positions in a thread (positions.go),
	// with as many entries as members concerned; never money.
	TransferPosition TransferKind = "position"
	// TransferPartRefund: part of a share's card payment or cash mark (named
	// by PartOf) given back, the way a refund or reversal gives all of it
	// back, when an edit lowers the share below what was paid
	// (partrefund.go). Written by the edit only, never asked for.
	TransferPartRefund TransferKind = "part_refund"
)

func (k TransferKind) valid() bool {
	switch k {
	case TransferDeposit, TransferSend, TransferCardPayment, TransferSettlement, TransferVoid,
		TransferCash, TransferPayout, TransferRefund, TransferReversal:
		return true
	}
	return false
}
