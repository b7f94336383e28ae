package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errTransferID          = NewReason(EINVALID, "transfer.id", "max")
	errTransferKind        = NewReason(EINVALID, "transfer.kind", "kind")
	errAmountInvalid       = NewReason(EINVALID, "amount.invalid", "why")
	errAmountZero          = NewReason(EINVALID, "amount.not_positive")
	errTransferSameAccount = NewReason(EINVALID, "transfer.same_account")
	errTransferPendingOf   = NewReason(EINVALID, "transfer.pending_of")
	errTransferReverses    = NewReason(EINVALID, "transfer.reverses")
	errTransferPaysShare   = NewReason(EINVALID, "transfer.pays_share")
	errCardPaymentFields   = NewReason(EINVALID, "transfer.card_fields")
)

// TransferRequest asks to move Amount from account From to account To.
// ID is the idempotency key, made by the client (a UUID, say): the same
// request sent again returns the first result.
type TransferRequest struct {
	ID          string
	Kind        TransferKind
	From, To    int64 // account ids
	Amount      money.Money
	PayerID     int64  // who initiated; card payment caps count on it
	SplitID     int64  // optional
	ShareID     int64  // optional; card payments and cash only, paid at most once
	PendingOf   string // settlement, void, refund before settlement: the card payment resolved
	Reverses    string // refund and reversal: the transfer they undo
	ProviderRef string // card payments: the provider's charge id
	// Then, when set, runs in the transaction that records a new transfer
	// (not on a replay of its id), so what goes with the money (the
	// payment's message, its live-update events) commits with it or not at
	// all. It is not part of the request's identity.
	Then TransferHook
}

// TransferHook is work that goes with a new transfer, in the transaction
// that records it (not on a replay of its id). First runs before the
// accounts are locked: it takes the locks that rank before accounts (a
// split's), so that every transaction locks in one order, and may refuse
// the transfer with what it finds under them. Before runs once the ledger's
// checks have passed, before the transfer is written; After runs once it is
// written, just before commit. Keep After short: the account credited is
// locked from the write to the commit, and every payment to the same person
// waits for it.
type TransferHook struct {
	First  func(ctx context.Context, tx sqlx.ExtContext) error
	Before func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error
	After  func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error
}

// Transfer is a recorded transfer.
type Transfer struct {
	ID          string
	Kind        TransferKind
	From, To    int64
	Amount      money.Money
	PayerID     int64
	SplitID     int64
	ShareID     int64
	PendingOf   string
	Reverses    string
	PartOf      string // a partial refund: the payment it gives part of back (partrefund.go)
	ProviderRef string
	CreatedAt   time.Time
}

var transferIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)

// checkTransferID refuses ids that cannot be an idempotency key. Clients get
// 100 characters; the ledger derives longer ids ("settle:" + id) itself.
func checkTransferID(id string, max int) error {
	if len(id) < 8 || len(id) > max || !transferIDPattern.MatchString(id) {
		return errTransferID.New(max)
	}
	return nil
}

// hash identifies the parameters of the request, so that its id reused with
// other parameters is told apart from a retry. ProviderRef is left out: two
// racing retries of one card payment may hold different charge ids.
func (r TransferRequest) hash() string {
	h := sha256.New()
	fmt.Fprintf(h, "v1\x00%s\x00%d\x00%d\x00%s\x00%s\x00%d\x00%d\x00%d\x00%s\x00%s",
		r.Kind, r.From, r.To, r.Amount.Amount.String(), r.Amount.Currency,
		r.PayerID, r.SplitID, r.ShareID, r.PendingOf, r.Reverses)
	return hex.EncodeToString(h.Sum(nil))
}

// prepare returns r normalized, and its hash.
func prepare(r TransferRequest) (TransferRequest, string) {
	r.normalize()
	return r, r.hash()
}

// normalize puts the amount at its currency's scale, so 5, 5.0 and 5.00 EUR
// are one request.
func (r *TransferRequest) normalize() {
	r.Amount.Currency = strings.ToUpper(r.Amount.Currency)
	if m, err := money.New(r.Amount.Amount, r.Amount.Currency); err == nil {
		r.Amount = m
	}
}

// problem checks what can be checked without the database.
func (r TransferRequest) problem() *Error {
	if !r.Kind.valid() {
		return errTransferKind.New(r.Kind)
	}
	if _, err := money.New(r.Amount.Amount, r.Amount.Currency); err != nil {
		return errAmountInvalid.New(err)
	}
	if !r.Amount.IsPositive() {
		return errAmountZero.New()
	}
	if r.From == 0 || r.To == 0 || r.From == r.To {
		return errTransferSameAccount.New()
	}
	resolves := r.Kind == TransferSettlement || r.Kind == TransferVoid
	if (r.PendingOf != "") != resolves && (r.Kind != TransferRefund || r.PendingOf != r.Reverses) {
		return errTransferPendingOf.New()
	}
	if (r.Reverses != "") != (r.Kind == TransferRefund || r.Kind == TransferReversal) {
		return errTransferReverses.New()
	}
	if r.ShareID != 0 && r.Kind != TransferCardPayment && r.Kind != TransferCash {
		return errTransferPaysShare.New()
	}
	if r.Kind == TransferCardPayment && (r.PayerID == 0 || r.ProviderRef == "") {
		return errCardPaymentFields.New()
	}
	return nil
}

const selectTransfer = `
	SELECT t.id, t.kind, t.currency, t.amount, t.payer_user_id, t.split_id, t.share_id,
	       t.pending_of, t.reverses, t.part_of, t.provider_ref, t.created_at,
	       (SELECT e.account_id FROM ledger_entries e WHERE e.transfer_id = t.id AND e.amount < 0 ORDER BY e.id LIMIT 1) AS from_account,
	       (SELECT e.account_id FROM ledger_entries e WHERE e.transfer_id = t.id AND e.amount > 0 ORDER BY e.id LIMIT 1) AS to_account
	FROM ledger_transfers t WHERE t.id = $1`

type transferRow struct {
	ID          string          `db:"id"`
	Kind        string          `db:"kind"`
	Currency    string          `db:"currency"`
	Amount      decimal.Decimal `db:"amount"`
	PayerID     sql.NullInt64   `db:"payer_user_id"`
	SplitID     sql.NullInt64   `db:"split_id"`
	ShareID     sql.NullInt64   `db:"share_id"`
	PendingOf   sql.NullString  `db:"pending_of"`
	Reverses    sql.NullString  `db:"reverses"`
	PartOf      sql.NullString  `db:"part_of"`
	ProviderRef sql.NullString  `db:"provider_ref"`
	CreatedAt   time.Time       `db:"created_at"`
	From        sql.NullInt64   `db:"from_account"`
	To          sql.NullInt64   `db:"to_account"`
}

func (r transferRow) transfer() Transfer {
	return Transfer{ID: r.ID, Kind: TransferKind(r.Kind), From: r.From.Int64, To: r.To.Int64,
		Amount: atScale(r.Amount, r.Currency), PayerID: r.PayerID.Int64, SplitID: r.SplitID.Int64,
		ShareID: r.ShareID.Int64, PendingOf: r.PendingOf.String, Reverses: r.Reverses.String, PartOf: r.PartOf.String,
		ProviderRef: r.ProviderRef.String, CreatedAt: r.CreatedAt.UTC()}
}

func loadTransfer(ctx context.Context, q sqlx.QueryerContext, id string) (Transfer, error) {
	var r transferRow
	if err := sqlx.GetContext(ctx, q, &r, selectTransfer, id); err != nil {
		return Transfer{}, mapErr(err, "transfer")
	}
	return r.transfer(), nil
}

// TransferByID returns one transfer.
func (d *DB) TransferByID(ctx context.Context, id string) (Transfer, error) {
	return loadTransfer(ctx, d.x, id)
}
