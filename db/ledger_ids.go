package db

import (
	"regexp"
	"strconv"
)

// Transfer ids live in namespaces (migrations/070_ledger_id_namespaces.sql
// enforces them). An id a client sends, such as the payment_id of a pay
// form, is an idempotency key of that person for that action only: the
// ledger stores it as "pay:u<payer>:<id>" or "payout:u<user>:<id>", so one
// person's ids never meet another's, and a refused request burns only its
// sender's id. Ids the ledger derives itself are functions of the transfer
// they resolve or undo ("settle:<payment>", "refund:<payment>", ...), in
// prefixes no client id can reach, so nobody can take them first.

// clientIDMax is the longest id a client may send; the ledger id made from
// it, and the ids derived from that one, stay within the 128 characters of
// the column.
const clientIDMax = 64

// CardPaymentID is the ledger id of the card payment that payer asked for
// with clientID (the pay form's payment_id).
func CardPaymentID(payerID int64, clientID string) string {
	return "pay:u" + strconv.FormatInt(payerID, 10) + ":" + clientID
}

// PayoutID is the ledger id of the withdrawal that user asked for with
// clientID (the withdraw form's payout_id).
func PayoutID(userID int64, clientID string) string {
	return "payout:u" + strconv.FormatInt(userID, 10) + ":" + clientID
}

// SettlementID is the id of the settlement of the card payment paymentID.
func SettlementID(paymentID string) string { return "settle:" + paymentID }

// VoidID is the id of the void of the card payment paymentID.
func VoidID(paymentID string) string { return "void:" + paymentID }

// RefundID is the id of the refund of the card payment paymentID.
func RefundID(paymentID string) string { return "refund:" + paymentID }

// ReversalID is the id of the reversal of transferID.
func ReversalID(transferID string) string { return "reversal:" + transferID }

// PartRefundID is the id of the n-th partial refund (from 1) of the
// payment paymentID.
func PartRefundID(n int, paymentID string) string { return "part" + strconv.Itoa(n) + ":" + paymentID }

var reservedIDPrefix = regexp.MustCompile(`^((pay|payout|settle|void|refund|reversal|pos)|part[0-9]+):`)

var errIDNamespace = NewReason(EINVALID, "transfer.id_namespace", "id", "kind")

// checkNamespace refuses a request whose id is not in its kind's namespace,
// as the database would, but before anything is locked or recorded: a
// refusal stored against an id someone else will need is the squat the
// namespaces exist to prevent.
func checkNamespace(r TransferRequest) error {
	var want string
	switch r.Kind {
	case TransferCardPayment:
		want = CardPaymentID(r.PayerID, "")
	case TransferPayout:
		want = PayoutID(r.PayerID, "")
	case TransferSettlement:
		want = SettlementID(r.PendingOf)
	case TransferVoid:
		want = VoidID(r.PendingOf)
	case TransferRefund:
		want = RefundID(r.Reverses)
	case TransferReversal:
		want = ReversalID(r.Reverses)
	default:
		if reservedIDPrefix.MatchString(r.ID) {
			return errIDNamespace.New(r.ID, string(r.Kind))
		}
		return nil
	}
	prefixOnly := r.Kind == TransferCardPayment || r.Kind == TransferPayout
	if prefixOnly && (r.PayerID == 0 || len(r.ID) <= len(want) || r.ID[:len(want)] != want) ||
		!prefixOnly && r.ID != want {
		return errIDNamespace.New(r.ID, string(r.Kind))
	}
	return nil
}
