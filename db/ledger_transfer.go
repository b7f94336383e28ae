package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Refusals of this file (worded in views/refusals_text.go).
var (
	errTransferAccountMissing = NewReason(ENOTFOUND, "transfer.account_missing")
	errInsufficient           = NewReason(EINSUFFICIENT, "funds.insufficient")
	errTransferClash          = NewReason(ECONFLICT, "transfer.clash")
)

// outcome is what applying a request came to: a transfer (created now, or
// found from an earlier identical request) or a final failure (found, or
// fresh and still to be recorded against the id).
type outcome struct {
	t       Transfer
	created bool
	fail    *Error
	fresh   bool
}

// RecordTransfer applies a transfer request, once. It locks the two accounts
// (in id order), refuses an overdraft (EINSUFFICIENT), applies the rules of
// the kind (card payment caps: ELIMIT), writes the transfer, its entries and
// the new balances in one transaction, and returns the transfer.
//
// The same id sent again with the same parameters returns the first result,
// success or failure, even if the failure would not happen now (a failed id
// stays failed); with other parameters it is an ECONFLICT.
func (d *DB) RecordTransfer(ctx context.Context, r TransferRequest) (Transfer, error) {
	if err := checkTransferID(r.ID, 128); err != nil {
		return Transfer{}, err
	}
	o, err := d.recordTransfer(ctx, r)
	if err != nil {
		return Transfer{}, err
	}
	if o.fail != nil {
		return Transfer{}, o.fail
	}
	return o.t, nil
}

// recordTransfer runs applyTransfer in its own transaction, recording a
// fresh failure in the same transaction. A unique violation means a racing
// transaction got there first (a share paid, an id taken with other
// parameters): running again sees its result.
func (d *DB) recordTransfer(ctx context.Context, r TransferRequest) (outcome, error) {
	if err := checkTransferID(r.ID, 128); err != nil {
		return outcome{}, err
	}
	r, hash := prepare(r)
	var o outcome
	var err error
	for try := 0; try < 3; try++ {
		err = d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
			var err error
			if o, err = d.applyTransfer(ctx, tx, r, hash); err != nil {
				return err
			}
			if o.fail != nil && o.fresh {
				return storeFailure(ctx, tx, r.ID, hash, o.fail, d.ledgerTime())
			}
			return nil
		})
		if !isUniqueViolation(err) {
			break
		}
	}
	if err != nil {
		return outcome{}, ledgerErr(err)
	}
	return o, nil
}

// applyTransfer is the heart of the ledger, inside the caller's transaction.
// A use case that must move money together with other changes (a share
// marked paid, an event) calls it in its own transaction, with r and hash
// from prepare, and on a fresh failure calls storeFailure and commits.
func (d *DB) applyTransfer(ctx context.Context, sqltx *sqlx.Tx, r TransferRequest, hash string) (outcome, error) {
	// The statements of a transfer run prepared: planned once, one round
	// trip each, which shortens the time the busy rows stay locked.
	tx := d.prep(sqltx)
	if err := checkNamespace(r); err != nil {
		return outcome{}, err
	}
	// An earlier transfer of the transaction may have left its credit for
	// later: it is applied before this one locks or reads any account.
	if err := applyCredits(ctx, tx); err != nil {
		return outcome{}, err
	}
	// Requests with one id run one at a time, so the id is checked and then
	// taken without a race, whichever accounts they touch. The same
	// statement puts the rest of the transaction on generic plans (see
	// genericPlansSQL).
	lockID := `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`
	if !d.citus {
		lockID += `, ` + genericPlansSQL
	}
	if _, err := tx.ExecContext(ctx, lockID, r.ID); err != nil {
		return outcome{}, err
	}
	if o, found, err := priorOutcome(ctx, tx, r.ID, hash); err != nil || found {
		return o, err
	}
	failed := func(e *Error) (outcome, error) { return outcome{fail: e, fresh: true}, nil }
	if e := r.problem(); e != nil {
		return failed(e)
	}
	if r.Then.First != nil {
		// A refusal there is the id's final failure, like the ledger's own.
		var e *Error
		if err := r.Then.First(ctx, tx); errors.As(err, &e) && finalCodes[e.Code] {
			return failed(e)
		} else if err != nil {
			return outcome{}, err
		}
	}
	accts, later, err := lockAccounts(ctx, tx, r)
	if err != nil {
		return outcome{}, err
	}
	from, okFrom := accts[r.From]
	to, okTo := accts[r.To]
	if !okFrom || !okTo {
		return failed(errTransferAccountMissing.New())
	}
	now := d.ledgerTime()
	var capRate decimal.NullDecimal
	if e, err := d.checkTransfer(ctx, tx, r, from, to, now, &capRate); err != nil || e != nil {
		if err != nil {
			return outcome{}, err
		}
		return failed(e)
	}
	t := Transfer{ID: r.ID, Kind: r.Kind, From: r.From, To: r.To, Amount: r.Amount, PayerID: r.PayerID,
		SplitID: r.SplitID, ShareID: r.ShareID, PendingOf: r.PendingOf, Reverses: r.Reverses,
		ProviderRef: r.ProviderRef, CreatedAt: now}
	if r.Then.Before != nil {
		if err := r.Then.Before(ctx, tx, t); err != nil {
			return outcome{}, err
		}
	}
	if err := writeTransfer(ctx, tx, r, hash, now, capRate, later != 0); err != nil {
		return outcome{}, err
	}
	if err := noteSplitOfTransfer(ctx, tx, sqltx, r); err != nil {
		return outcome{}, err
	}
	if thread, toID, ok := settlementOf(r); ok && to.UserID == toID && (r.Kind != TransferCash || to.ThreadID == thread) {
		if err := d.settleEffects(ctx, sqltx, r, thread, toID, from.UserID); err != nil {
			return outcome{}, err
		}
	}
	if r.Then.After != nil {
		if err := r.Then.After(ctx, tx, t); err != nil {
			return outcome{}, err
		}
	}
	return outcome{t: t, created: true}, nil
}

// genericPlansSQL, in a select list, makes the statements that follow in
// the transaction (and only there: SET LOCAL) run on their generic plans.
// A transfer's statements are prepared, and PostgreSQL would otherwise
// plan most of them again on every call: with the parameters' values, a
// custom plan looks cheaper to it than the generic one, but planning costs
// more than running them. The read under the thread's row lock that says
// whether a split is paid in full and how its positions move
// (dueAndDeltaSQL) took 1.3-2.8 ms to plan and 0.3 ms to run on a quiet
// private cluster (EXPLAIN ANALYZE of the prepared statement), 0.02 ms and
// 0.16-0.26 ms on its generic plan; in a pay-ledger run, 165 of its 220
// calls were planned (pg_stat_statements.track_planning), and so were most
// calls of the card checks, the money statement and the credit. Their
// conditions are equalities on ids, which the generic plans look up by
// the same indexes. Not on Citus: there the ledger's tables are Citus local
// tables, and Citus cannot make a distributed plan of some of their
// statements without the parameters' values ("could not create distributed
// plan", TestLedgerOnCitus).
const genericPlansSQL = `set_config('plan_cache_mode', 'force_generic_plan', true)`

const selectPrior = `
	SELECT request_hash, '' AS code, '' AS message, true AS done FROM ledger_transfers WHERE id = $1
	UNION ALL
	SELECT request_hash, code, message, false FROM ledger_attempts WHERE id = $1`

// priorOutcome returns what an earlier request with the id came to.
func priorOutcome(ctx context.Context, q sqlx.QueryerContext, id, hash string) (outcome, bool, error) {
	var p struct {
		Hash    string `db:"request_hash"`
		Code    string `db:"code"`
		Message string `db:"message"`
		Done    bool   `db:"done"`
	}
	err := sqlx.GetContext(ctx, q, &p, selectPrior, id)
	if errors.Is(err, sql.ErrNoRows) {
		return outcome{}, false, nil
	}
	if err != nil {
		return outcome{}, false, err
	}
	if p.Hash != hash {
		return outcome{}, true, errIDReused.New(id)
	}
	if !p.Done {
		return outcome{fail: storedError(p.Code, p.Message)}, true, nil
	}
	t, err := loadTransfer(ctx, q, id)
	return outcome{t: t}, true, err
}

const insertAttempt = `
	INSERT INTO ledger_attempts (id, code, message, request_hash, created_at) VALUES ($1, $2, $3, $4, $5)`

// storeFailure records that the id failed for good, so a retry returns e.
func storeFailure(ctx context.Context, tx *sqlx.Tx, id, hash string, e *Error, now time.Time) error {
	if !finalCodes[e.Code] {
		return nil
	}
	if _, err := tx.ExecContext(ctx, insertAttempt, id, e.Code, e.stored(), hash, now); err != nil {
		return err
	}
	// A refused charge resolves its intent, if it had one.
	_, err := tx.ExecContext(ctx, `DELETE FROM ledger_intents_open WHERE id = $1`, id)
	return err
}

// Account locks are always taken in one order, lock rank then id, which is
// what keeps transfers A->B and B->A from deadlocking. The credited account
// of a transfer that sorts last is not locked up front: nothing is checked
// against its balance (a credit cannot overdraw it), and it is locked by
// its credit, which the transaction applies as late as it can (creditLater):
// with the thread's events, or just before the positions and the commit.
// That account is the busy one (the collector everyone pays at once, the
// payouts account), so it is held for one statement and the commit, not for
// the checks and writes before them. Its other columns never change, so
// reading them unlocked is safe.
//
// The ranks come from the kinds the transfer's kind moves between. Should
// the accounts turn out to be of other kinds, checkTransfer refuses the
// transfer before anything else is locked, so the one lock held cannot be
// part of a deadlock.
var lockRank = map[AccountKind]int{AccountClearing: 0, AccountMemo: 1, AccountAvailable: 2, AccountEquity: 3,
	AccountPayouts: 4, AccountPending: 5, AccountPosition: 6}

// FOR NO KEY UPDATE, not FOR UPDATE: the entries' foreign keys take KEY
// SHARE locks on the accounts, which it lets through.
var lockAccountsSQL = `
	WITH locked AS (
		SELECT ` + accountColumns + ` FROM ledger_accounts WHERE id = ANY($1)
		ORDER BY ` + lockRankSQL() + `, id
		FOR NO KEY UPDATE
	)
	SELECT * FROM locked
	UNION ALL
	SELECT ` + accountColumns + ` FROM ledger_accounts WHERE id = $2`

// lockRankSQL is lockRank as an SQL expression of an account's kind.
func lockRankSQL() string {
	kinds := make([]AccountKind, 0, len(lockRank))
	for k := range lockRank {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var b strings.Builder
	b.WriteString("CASE kind")
	for _, k := range kinds {
		fmt.Fprintf(&b, " WHEN '%s' THEN %d", k, lockRank[k])
	}
	b.WriteString(" END")
	return b.String()
}

// lockCardAccountsSQL is lockAccountsSQL for a card payment, with the
// locks that go with it in the same round trip, in this order: first the
// payer $3's caps lock (lockPayerCaps: before the accounts), then the
// accounts, then the shared lock on the payee, the owner of account $4,
// that RemovePayments takes exclusively (see checkTransfer). Each lock's
// condition reads the one before, which makes PostgreSQL take them in
// that order. What they guard is read by the next statement, which sees
// what committed before they were granted.
var lockCardAccountsSQL = `
	WITH caps AS MATERIALIZED (
		SELECT pg_advisory_xact_lock(hashtextextended('card-caps:' || $3::text, 0))
	), locked AS (
		SELECT ` + accountColumns + ` FROM ledger_accounts WHERE id = ANY($1) AND (SELECT count(*) FROM caps) = 1
		ORDER BY ` + lockRankSQL() + `, id
		FOR NO KEY UPDATE
	), payee AS MATERIALIZED (
		SELECT pg_advisory_xact_lock_shared(hashtextextended('payee:' || user_id::text, 0))
		FROM ledger_accounts WHERE id = $4 AND (SELECT count(*) FROM locked) >= 0
	)
	SELECT * FROM locked
	UNION ALL
	SELECT ` + accountColumns + ` FROM ledger_accounts WHERE id = $2 AND (SELECT count(*) FROM payee) >= 0`

// lockAccounts locks the accounts of transfer r and returns them, and the
// one it left unlocked (0 if none). For a card payment it also takes the
// payer's caps lock and the payee's shared lock (lockCardAccountsSQL).
func lockAccounts(ctx context.Context, tx sqlx.QueryerContext, r TransferRequest) (map[int64]Account, int64, error) {
	from, to := r.From, r.To
	lock, later := []int64{from, to}, int64(0)
	if m, ok := moves[r.Kind]; ok && from != to {
		if rf, rt := lockRank[m[0]], lockRank[m[1]]; rt > rf || (rt == rf && to > from) {
			lock, later = []int64{from}, to
		}
	}
	var rows []accountRow
	var err error
	if r.Kind == TransferCardPayment {
		err = sqlx.SelectContext(ctx, tx, &rows, lockCardAccountsSQL, pq.Array(lock), later, r.PayerID, to)
	} else {
		err = sqlx.SelectContext(ctx, tx, &rows, lockAccountsSQL, pq.Array(lock), later)
	}
	if err != nil {
		return nil, 0, err
	}
	m := make(map[int64]Account, len(rows))
	for _, r := range rows {
		m[r.ID] = r.account()
	}
	return m, later, nil
}

// writeTransfer writes the transfer, its two entries and the new balances
// in one statement, and keeps the settlement queue (a card payment joins
// it, its settlement or void leaves it) and the queue of open intents. The
// triggers check at commit that the entries balance. The balances updated
// are those of legs $17 (all of them, or the debited one when the credit
// is left for later); a card payment's amount in the cap currency is its
// amount at rate $16.
const writeTransferSQL = `
	WITH t AS (
		INSERT INTO ledger_transfers (id, kind, currency, minor, amount, payer_user_id, split_id, share_id,
			pending_of, reverses, provider_ref, request_hash, created_at, cap_amount)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, round($5::numeric / $16::numeric, 6))
		RETURNING id
	), legs (account_id, amount) AS (
		SELECT * FROM unnest($14::bigint[], $15::numeric[])
	), entries AS (
		INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
		SELECT t.id, legs.account_id, $3, $4, legs.amount FROM t, legs
	), queued AS (
		INSERT INTO ledger_pending (transfer_id, check_after)
		SELECT t.id, $13 FROM t WHERE $2 = 'card_payment'
	), dequeued AS (
		DELETE FROM ledger_pending WHERE transfer_id = $9
	), resolved AS (
		-- A card payment resolves its charge intent; a payout's reversal
		-- resolves the payout's.
		DELETE FROM ledger_intents_open WHERE id = $1 OR id = $10
	)
	UPDATE ledger_accounts a SET balance = a.balance + legs.amount
	FROM legs WHERE a.id = legs.account_id AND a.id = ANY($17)`

// writeTransfer writes the transfer r. A card payment counts against the
// rolling cap at today's rate, capRate (read with its checks; NULL for the
// other kinds). With creditLater, the credited account's balance is left
// for creditLater.
func writeTransfer(ctx context.Context, tx sqlx.ExtContext, r TransferRequest, hash string, now time.Time, capRate decimal.NullDecimal, later bool) error {
	c, _ := money.LookupCurrency(r.Amount.Currency)
	amt := r.Amount.Amount.StringFixed(c.Minor)
	if r.Kind != TransferCardPayment {
		capRate = decimal.NullDecimal{}
	}
	update := []int64{r.From, r.To}
	cs := changesOf(tx)
	if later && cs != nil && r.From != r.To {
		update = update[:1]
	} else if r.From == r.To {
		update = update[:1] // refused by checkTransfer before this; one row all the same
	}
	res, err := tx.ExecContext(ctx, writeTransferSQL,
		r.ID, string(r.Kind), c.Code, c.Minor, amt, nullID(r.PayerID), nullID(r.SplitID), nullID(r.ShareID),
		nullString(r.PendingOf), nullString(r.Reverses), nullString(r.ProviderRef), hash, now,
		pq.Array([]int64{r.From, r.To}), pq.Array([]string{"-" + amt, amt}), capRate, pq.Array(update))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != int64(len(update)) {
		return fmt.Errorf("ledger: transfer %s updated %d of %d balances (%v)", r.ID, n, len(update), err)
	}
	if len(update) == 1 {
		creditLater(cs, r.To, r.Amount.Amount, int32(c.Minor))
	}
	return nil
}

// creditLater leaves the credit of a transfer's credited account to the
// end of the transaction: addEvents applies it in the statement that locks
// the thread's row (before that lock), applyTransfer before the next
// transfer, and the transaction before its positions sync and commit
// (tryTx), whichever comes first. Until then the account is not locked and
// its balance lacks the credit; nothing in between reads it.
func creditLater(cs *changeSet, account int64, amount decimal.Decimal, minor int32) {
	cs.credits = append(cs.credits, credit{account: account, amount: amount, minor: minor})
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func isUniqueViolation(err error) bool {
	var pqe *pq.Error
	return errors.As(err, &pqe) && pqe.Code == "23505"
}

// ledgerErr maps what the database refused, when the checks in Go did not
// catch it first (a race, or a bug): the constraints are the backstop.
func ledgerErr(err error) error {
	var pqe *pq.Error
	if !errors.As(err, &pqe) {
		return err
	}
	switch {
	case pqe.Constraint == "ledger_accounts_no_overdraft":
		return errInsufficient.New()
	case pqe.Constraint == "share_payments_once":
		return ErrSharePaid.New()
	case pqe.Code == "23505":
		return errTransferClash.New()
	}
	return fmt.Errorf("ledger: %w", err)
}
