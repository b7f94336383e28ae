package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Settling up: one member pays another (by card with the PIN, or another
// way the receiver confirms) what the settle-up plan says. The payment is a
// card payment or a cash transfer like a share's, whose id says it settles
// (SettleID): applyTransfer then, in the same transaction, moves both
// positions by the amount and covers the outstanding shares of whichever of
// the two it leaves owing nobody (coverShares). Because the id carries it,
// a payment recorded by the reconciliation loop after a crash settles the
// same way.

// Refusals of settling up (worded in views/refusals_text.go).
var (
	errSettleSelf    = NewReason(EINVALID, "settle.self")
	errSettleMember  = NewReason(EINVALID, "settle.member")
	errSettleTooMuch = NewReason(EINVALID, "settle.too_much", "owed")
	errSettleNothing = NewReason(EINVALID, "settle.nothing")
	errSettleID      = NewReason(EINVALID, "settle.id")
	errClaimGone     = NewReason(ENOTFOUND, "settle.claim_gone")
	errClaimNotYours = NewReason(EFORBIDDEN, "settle.claim_not_yours")
)

// settleIDPattern finds the thread and receiver in a settlement's id: the
// client part of a card payment's id ("pay:u<payer>:settle-g<thread>-u<to>-<random>")
// or a confirmed claim's cash id ("settle-g<thread>-u<to>-c<claim>").
var settleIDPattern = regexp.MustCompile(`(?:^|:)settle-g(\d+)-u(\d+)-[A-Za-z0-9]+$`)

// SettleID is a fresh client id for a card payment that settles with
// receiver toID in a thread (the pay form's payment_id).
func SettleID(threadID, toID int64) string {
	var b [9]byte
	rand.Read(b[:])
	return fmt.Sprintf("settle-g%d-u%d-%s", threadID, toID, hex.EncodeToString(b[:]))
}

// settlementOf returns the thread and receiver of a transfer that settles
// up, ok false for any other.
func settlementOf(r TransferRequest) (threadID, toID int64, ok bool) {
	if r.ShareID != 0 || (r.Kind != TransferCardPayment && r.Kind != TransferCash) {
		return 0, 0, false
	}
	m := settleIDPattern.FindStringSubmatch(r.ID)
	if m == nil {
		return 0, 0, false
	}
	threadID, _ = strconv.ParseInt(m[1], 10, 64)
	toID, _ = strconv.ParseInt(m[2], 10, 64)
	return threadID, toID, true
}

// settleEffects moves both positions by the settlement's amount and covers
// shares, for a settlement just written, in its transaction, under the
// thread's row lock (taken here, after the money accounts, as every
// position write does).
func (d *DB) settleEffects(ctx context.Context, tx *sqlx.Tx, r TransferRequest, threadID, toID, payerID int64) error {
	if err := applyCredits(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM groups WHERE id = $1 FOR NO KEY UPDATE`, threadID); err != nil {
		return err
	}
	// An id that names a thread the two do not share (a client may choose
	// the id of a payment to a pay link) settles nothing: the money moved
	// between them all the same, outside any thread.
	var members int
	if err := tx.GetContext(ctx, &members, `SELECT count(*) FROM group_members WHERE group_id = $1 AND user_id IN ($2, $3)`,
		threadID, payerID, toID); err != nil {
		return err
	}
	if members != 2 || payerID == toID {
		return nil
	}
	// A card settlement pays at most what is owed, checked again here under
	// the thread's lock: two people who read the plan at different moments
	// could otherwise both pay the same creditor in full. The refusal is
	// the payment's (its charge is refunded). Cash confirmed by its receiver
	// records money that changed hands, whatever the plan said.
	if r.Kind == TransferCardPayment {
		owed, err := owedBetween(ctx, tx, threadID, payerID, toID, r.Amount.Currency)
		if err != nil {
			return err
		}
		if owed.Amount.IsZero() {
			return errSettleNothing.New()
		}
		if r.Amount.Amount.GreaterThan(owed.Amount) {
			return errSettleTooMuch.New(owed)
		}
	}
	legs := []positionLeg{{UserID: payerID, Amount: r.Amount.Amount}, {UserID: toID, Amount: r.Amount.Amount.Neg()}}
	if err := d.writePositions(ctx, tx, "pos:"+r.ID, threadID, 0, r.Amount.Currency, legs, true); err != nil {
		return err
	}
	return coverShares(ctx, tx, r.ID, threadID, []int64{payerID, toID}, r.Amount.Currency)
}

// settledShares are the outstanding shares, in the thread's open splits and
// currency $3, of the people in $2 whose position in it is not negative
// (they owe nobody), by split.
const settledShares = `
	SELECT sh.id AS share_id, s.id AS split_id
	FROM splits s JOIN shares sh ON sh.group_id = s.group_id AND sh.split_id = s.id
	LEFT JOIN share_payments p ON ` + paysShare + `
	LEFT JOIN ledger_accounts a ON a.kind = 'thread_position'
	      AND a.group_id = s.group_id AND a.user_id = sh.user_id AND a.currency = s.currency
	WHERE s.group_id = $1 AND s.status = 'open' AND s.currency = $3
	  AND sh.user_id = ANY($2) AND sh.user_id <> s.payee_id AND sh.amount > 0
	  AND p.share_id IS NULL AND coalesce(a.balance, 0) >= 0
	ORDER BY s.id, sh.id`

// coverShares marks as covered by transfer id the outstanding shares of
// whichever of people it leaves owing nobody in its currency: their debts
// were settled through the balances (directly, by offsets between the two,
// or through a third member the plan routed them by). The transfer is a
// settlement (its payer and receiver), or a split's position transfer that
// brought members to exactly even (writePositions). A
// cover moves no position (the settlement did); it makes the share count as
// paid, and closes the splits it leaves with nothing due. A share covered
// twice is impossible: share_payments_once refuses the second, and the
// transaction is retried.
//
// A first settle-up in a thread of many splits covers thousands of shares,
// under the thread's row lock, so what it writes does not grow with the
// splits beyond one row per share covered and per split closed: the covers
// are one statement, the splits' closing one more (closeIfPaidAll), with
// one message for all of them, and the cards are redrawn by one splits
// event naming the splits (their positions did not move: nothing syncs
// them).
func coverShares(ctx context.Context, tx *sqlx.Tx, id string, threadID int64, people []int64, currency string) error {
	var shares []struct {
		ShareID int64 `db:"share_id"`
		SplitID int64 `db:"split_id"`
	}
	if err := tx.SelectContext(ctx, &shares, settledShares, threadID, pq.Array(people), currency); err != nil {
		return err
	}
	if len(shares) == 0 {
		return nil
	}
	ids := make([]int64, len(shares))
	var splits []int64
	for i, c := range shares {
		ids[i] = c.ShareID
		if len(splits) == 0 || splits[len(splits)-1] != c.SplitID { // sorted by split
			splits = append(splits, c.SplitID)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO share_payments (transfer_id, share_id, kind)
		SELECT $1, s, 'cover' FROM unnest($2::bigint[]) AS s`, id, pq.Array(ids)); err != nil {
		return err
	}
	msg, err := closeIfPaidAll(ctx, tx, threadID, splits)
	if err != nil {
		return err
	}
	evs := []newEvent{{kind: EventSplits, splitIDs: splits, positionsSame: true}}
	if msg != 0 {
		evs = append(evs, newEvent{kind: EventMessage, messageID: msg, positionsSame: true})
	}
	return addEvents(ctx, tx, threadID, evs...)
}

// closeIfPaidAll is closeIfPaid for many splits of one thread (ids sorted):
// it takes their closing locks in id order in one statement, finds in one
// which are open with nothing due, and closes those in one more. It posts
// one message for them all: "Pizza: all paid" for one split, "Settled up:
// 12 splits are all paid" for more (requests say they are paid on their
// cards alone), and returns it (0 when none).
func closeIfPaidAll(ctx context.Context, tx sqlx.ExtContext, threadID int64, ids []int64) (int64, error) {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('split-close:' || s::text, 0))
		FROM unnest($1::bigint[]) WITH ORDINALITY AS u(s, n) ORDER BY n`, pq.Array(ids)); err != nil {
		return 0, err
	}
	// Joins, not a correlated subquery, as dueSharesSQL.
	var paid []int64
	if err := sqlx.SelectContext(ctx, tx, &paid, `SELECT x.id FROM (
			SELECT s.id, sh.id IS NOT NULL AND NOT `+shareFullyPaidAgg+` AS due
			FROM splits s
			LEFT JOIN shares sh ON sh.group_id = s.group_id AND sh.split_id = s.id AND sh.user_id <> s.payee_id AND sh.removed_at IS NULL
			LEFT JOIN share_payments p ON `+paysShare+`
			WHERE s.group_id = $1 AND s.id = ANY($2) AND s.status = 'open'
			GROUP BY s.id, sh.id, sh.amount) x
		GROUP BY x.id HAVING NOT coalesce(bool_or(x.due), false)
		ORDER BY x.id`, threadID, pq.Array(ids)); err != nil {
		return 0, err
	}
	if len(paid) == 0 {
		return 0, nil
	}
	var closed []struct {
		ID      int64  `db:"id"`
		Title   string `db:"title"`
		Request bool   `db:"request"`
	}
	if err := sqlx.SelectContext(ctx, tx, &closed, `UPDATE splits SET status = 'complete', closed_at = now()
		WHERE group_id = $1 AND id = ANY($2) AND status = 'open' RETURNING id, title, request`, threadID, pq.Array(paid)); err != nil {
		return 0, err
	}
	var said []int64 // closed splits that are not requests
	title := ""
	for _, c := range closed {
		if !c.Request {
			said = append(said, c.ID)
			title = c.Title
		}
	}
	switch len(said) {
	case 0:
		return 0, nil
	case 1:
		return insertMessageRow(ctx, tx, threadID, "system", 0, "", &said[0], SystemData{Event: "split_closed", Title: title})
	}
	return insertMessageRow(ctx, tx, threadID, "system", 0, "", nil, SystemData{Event: "splits_closed", Count: len(said)})
}

// owedBetween is what payer owes to in a thread and currency as far as a
// settlement may go: the lesser of the payer's debt and the receiver's
// credit (zero when either is not so).
func owedBetween(ctx context.Context, q sqlx.QueryerContext, threadID, payerID, toID int64, currency string) (money.Money, error) {
	var pos []struct {
		UserID  int64           `db:"user_id"`
		Balance decimal.Decimal `db:"balance"`
	}
	err := sqlx.SelectContext(ctx, q, &pos, `SELECT user_id, balance FROM ledger_accounts
		WHERE kind = 'thread_position' AND group_id = $1 AND currency = $2 AND user_id IN ($3, $4)`, threadID, currency, payerID, toID)
	if err != nil {
		return money.Money{}, err
	}
	debt, credit := decimal.Zero, decimal.Zero
	for _, p := range pos {
		if p.UserID == payerID {
			debt = p.Balance.Neg()
		} else {
			credit = p.Balance
		}
	}
	owed := decimal.Min(debt, credit)
	if owed.IsNegative() {
		owed = decimal.Zero
	}
	return atScale(owed, currency), nil
}

// Settlement asks to pay a member of a thread, by card with the PIN, what
// the payer owes them (at most; usually the settle-up plan's line).
type Settlement struct {
	ThreadID, PayerID, ToID int64
	Amount                  money.Money
	PaymentID               string // made with SettleID when the form was rendered
	PIN                     string
	Passkey                 string // or an assertion of one of the payer's passkeys (JSON), for this payment
	SkipPIN                 bool
}

// checkSettlement checks who pays whom and how much, before anything moves.
func (d *DB) checkSettlement(ctx context.Context, threadID, payerID, toID int64, amount money.Money, limit bool) error {
	if payerID == toID {
		return errSettleSelf.New()
	}
	var n int
	if err := d.x.GetContext(ctx, &n, `SELECT count(*) FROM group_members WHERE group_id = $1 AND user_id IN ($2, $3)`,
		threadID, payerID, toID); err != nil {
		return err
	}
	if n != 2 {
		return errSettleMember.New()
	}
	if !amount.Amount.IsPositive() {
		return errSettleNothing.New()
	}
	if !limit {
		return nil
	}
	owed, err := owedBetween(ctx, d.x, threadID, payerID, toID, amount.Currency)
	if err != nil {
		return err
	}
	if owed.Amount.IsZero() {
		return errSettleNothing.New()
	}
	if amount.Amount.GreaterThan(owed.Amount) {
		return errSettleTooMuch.New(owed)
	}
	return nil
}

// SettleByCard pays a settle-up line by card, confirmed with the PIN,
// through the ledger's card payment (same caps, same idempotent id: the same
// PaymentID again returns the first result without charging).
func (d *DB) SettleByCard(ctx context.Context, p PaymentProvider, in Settlement) (Transfer, error) {
	in.PaymentID = strings.TrimSpace(in.PaymentID)
	if th, to, ok := settlementOf(TransferRequest{ID: in.PaymentID, Kind: TransferCardPayment}); !ok || th != in.ThreadID || to != in.ToID {
		return Transfer{}, errSettleID.New()
	}
	release, err := d.holdPayment(ctx, "settle", in.PayerID, in.PaymentID)
	if err != nil {
		return Transfer{}, err
	}
	defer release()
	id := CardPaymentID(in.PayerID, in.PaymentID)
	if t, err := d.TransferByID(ctx, id); err == nil {
		return t, nil // a retry of the payment that went through
	}
	if err := d.checkSettlement(ctx, in.ThreadID, in.PayerID, in.ToID, in.Amount, true); err != nil {
		return Transfer{}, err
	}
	if !in.SkipPIN {
		if err := d.confirmPayment(ctx, in.PayerID, in.PIN, in.Passkey, in.PaymentID, in.Amount); err != nil {
			return Transfer{}, err
		}
	}
	prof, err := d.PaymentProfile(ctx, in.PayerID)
	if ErrorCode(err) == ENOTFOUND || (err == nil && !prof.Active) {
		return Transfer{}, ErrSetupFirst
	}
	if err != nil {
		return Transfer{}, err
	}
	var toName string
	if err := d.x.GetContext(ctx, &toName, `SELECT display_name FROM users WHERE id = $1`, in.ToID); err != nil {
		return Transfer{}, err
	}
	return d.PayByCard(ctx, p, CardPayment{ID: in.PaymentID, PayerID: in.PayerID, CollectorID: in.ToID, Amount: in.Amount,
		Token: prof.Token, Then: settleMessage(in.ThreadID, in.PayerID, toName, "card")})
}

// settleMessage posts "<payer> paid <to> <amount>" in the thread with the
// settlement's money.
func settleMessage(threadID, payerID int64, toName, method string) TransferHook {
	return TransferHook{After: func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error {
		_, err := insertMessage(ctx, tx, threadID, "system", payerID, "", nil,
			SystemData{Event: "settled", To: toName, Method: method, StoredAmount: storedAmount(t.Amount)})
		return err
	}}
}

// SettleClaim is a payment made outside Divvy, recorded by its payer, that
// the receiver confirms or rejects.
type SettleClaim struct {
	ID                int64
	ThreadID          int64
	PayerID, ToID     int64
	PayerName, ToName string
	Amount            money.Money
}

// ClaimSettlement records that the payer paid the receiver amount another
// way ("I paid another way" on a settle-up line, or "Léa gave me 20 € in
// cash" told by the payer): nothing moves until the receiver confirms. A
// claim may be more than the plan says (money changed hands); only the
// members and the amount are checked.
func (d *DB) ClaimSettlement(ctx context.Context, threadID, payerID, toID int64, amount money.Money) (int64, error) {
	if err := d.checkSettlement(ctx, threadID, payerID, toID, amount, false); err != nil {
		return 0, err
	}
	var id int64
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &id, `INSERT INTO settle_claims (group_id, payer_id, to_id, currency, amount, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, threadID, payerID, toID, amount.Currency, amount.Amount, d.ledgerTime())
		if err != nil {
			return err
		}
		var toName string
		if err := tx.GetContext(ctx, &toName, `SELECT display_name FROM users WHERE id = $1`, toID); err != nil {
			return err
		}
		if _, err := insertMessage(ctx, tx, threadID, "system", payerID, "", nil,
			SystemData{Event: "settle_claimed", To: toName, StoredAmount: storedAmount(amount)}); err != nil {
			return err
		}
		return addEvents(ctx, tx, threadID, newEvent{kind: EventBalances})
	})
	return id, err
}

// ConfirmClaim is the receiver confirming a claim: a cash transfer between
// the two memo accounts (its id derived from the claim, so confirming twice
// records it once), which settles like a card payment.
func (d *DB) ConfirmClaim(ctx context.Context, threadID, claimID, receiverID int64) error {
	c, err := d.openClaim(ctx, threadID, claimID, receiverID)
	if err != nil {
		return err
	}
	id := fmt.Sprintf("settle-g%d-u%d-c%d", threadID, c.ToID, c.ID)
	hook := settleMessage(threadID, c.PayerID, c.ToName, "cash")
	after := hook.After
	hook.After = func(ctx context.Context, tx sqlx.ExtContext, t Transfer) error {
		res, err := tx.ExecContext(ctx, `UPDATE settle_claims SET transfer_id = $3 WHERE group_id = $1 AND id = $2
			AND transfer_id IS NULL AND rejected_at IS NULL`, threadID, claimID, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errClaimGone.New()
		}
		return after(ctx, tx, t)
	}
	_, err = d.RecordCash(ctx, CashPayment{ID: id, PayerID: c.PayerID, CollectorID: c.ToID, ThreadID: threadID, Amount: c.Amount, Then: hook})
	return err
}

// RejectClaim is the receiver saying they did not receive it.
func (d *DB) RejectClaim(ctx context.Context, threadID, claimID, receiverID int64) error {
	if _, err := d.openClaim(ctx, threadID, claimID, receiverID); err != nil {
		return err
	}
	return d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE settle_claims SET rejected_at = $3 WHERE group_id = $1 AND id = $2
			AND transfer_id IS NULL AND rejected_at IS NULL`, threadID, claimID, d.ledgerTime())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errClaimGone.New()
		}
		return addEvents(ctx, tx, threadID, newEvent{kind: EventBalances})
	})
}

func (d *DB) openClaim(ctx context.Context, threadID, claimID, receiverID int64) (SettleClaim, error) {
	cs, err := openClaims(ctx, d.x, threadID, claimID)
	if err != nil {
		return SettleClaim{}, err
	}
	if len(cs) == 0 {
		return SettleClaim{}, errClaimGone.New()
	}
	if cs[0].ToID != receiverID {
		return SettleClaim{}, errClaimNotYours.New()
	}
	return cs[0], nil
}

// openClaims are a thread's claims waiting for their receiver (one, when
// claimID is not 0), oldest first.
func openClaims(ctx context.Context, q sqlx.QueryerContext, threadID, claimID int64) ([]SettleClaim, error) {
	var rows []struct {
		ID        int64           `db:"id"`
		PayerID   int64           `db:"payer_id"`
		ToID      int64           `db:"to_id"`
		PayerName string          `db:"payer_name"`
		ToName    string          `db:"to_name"`
		Currency  string          `db:"currency"`
		Amount    decimal.Decimal `db:"amount"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT c.id, c.payer_id, c.to_id, p.display_name AS payer_name, t.display_name AS to_name,
		c.currency, c.amount
		FROM settle_claims c JOIN users p ON p.id = c.payer_id JOIN users t ON t.id = c.to_id
		WHERE c.group_id = $1 AND c.transfer_id IS NULL AND c.rejected_at IS NULL AND ($2 = 0 OR c.id = $2)
		ORDER BY c.id`, threadID, claimID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	out := make([]SettleClaim, len(rows))
	for i, r := range rows {
		out[i] = SettleClaim{ID: r.ID, ThreadID: threadID, PayerID: r.PayerID, ToID: r.ToID, PayerName: r.PayerName,
			ToName: r.ToName, Amount: atScale(r.Amount, r.Currency)}
	}
	return out, nil
}
