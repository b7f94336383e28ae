package db

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Split statuses as stored; "complete" is also derived when every share is paid.
const (
	SplitOpen      = "open"
	SplitComplete  = "complete"
	SplitCancelled = "cancelled"
)

// Share statuses, derived from the ledger and the share row.
const (
	ShareDue     = "due"
	SharePending = "pending" // "I paid another way", awaiting the collector
	SharePaid    = "paid"
	ShareSelf    = "self" // the collector's own part: nothing to pay
)

// Split is a bill in a thread with its shares.
type Split struct {
	ID            int64
	ThreadID      int64
	Title         string
	Note          string
	SpentOn       time.Time // the day the money was spent (the day it was posted unless told)
	Total         money.Money
	CollectorID   int64
	CollectorName string
	CreatedBy     int64
	Mode          money.Mode
	Status        string
	CreatedAt     time.Time
	Shares        []Share
	// Paid in another currency: the amount as paid and the rate used
	// (units of the split's currency per unit of it); nil when not.
	Original *money.Money
	Rate     decimal.Decimal
	// Request: a request for money (see CreateRequest); Declined once the
	// requested person said no.
	Request, Declined bool
	// Payers: who fronted the bill when several people did, the collector
	// first, then by amount; nil when the collector paid it all.
	Payers []Payer
}

// Payer is one of several people who paid a split's bill, and how much.
type Payer struct {
	UserID int64
	Name   string
	Amount money.Money
}

// Share is one person's part of a split and where it stands.
type Share struct {
	ID         int64
	UserID     int64
	Name       string
	Amount     money.Money
	Status     string
	Method     string // card, cash or cover (by a settle-up), when paid
	TransferID string // the ledger transfer that paid it (the latest, when paid in parts)
	RemindedAt *time.Time
	// Paid is what its payments nothing undid stand for (their amounts
	// less partial refunds): all of Amount once paid, less while it is
	// paid in part (an edit raised it after it was paid); PaymentIDs are
	// those payments, oldest first (a settlement's cover aside).
	Paid       money.Money
	PaymentIDs []string
}

// Left is what is left to pay of the share.
func (sh Share) Left() money.Money {
	if sh.Status == SharePaid || sh.Status == ShareSelf {
		return money.Zero(sh.Amount.Currency)
	}
	left, err := sh.Amount.Sub(sh.Paid)
	if err != nil || left.IsNegative() {
		return money.Zero(sh.Amount.Currency)
	}
	return left
}

// PaidInPart says whether the share is paid in part: something was paid,
// something is left.
func (sh Share) PaidInPart() bool {
	return sh.Status != SharePaid && sh.Status != ShareSelf && sh.Paid.IsPositive()
}

// Owing returns the shares someone other than the collector must pay.
func (s Split) Owing() []Share {
	out := make([]Share, 0, len(s.Shares))
	for _, sh := range s.Shares {
		if sh.Status != ShareSelf {
			out = append(out, sh)
		}
	}
	return out
}

// Progress returns how many owing shares are paid, how many there are, and
// the money collected of the money owed.
func (s Split) Progress() (paid, of int, collected, owed money.Money) {
	collected, owed = money.Zero(s.Total.Currency), money.Zero(s.Total.Currency)
	for _, sh := range s.Owing() {
		of++
		owed, _ = owed.Add(sh.Amount)
		if sh.Status == SharePaid {
			paid++
			collected, _ = collected.Add(sh.Amount)
		} else if sh.Paid.IsPositive() {
			collected, _ = collected.Add(sh.Paid)
		}
	}
	return paid, of, collected, owed
}

// ShareOf returns the share of a user, if they take part.
func (s Split) ShareOf(userID int64) (Share, bool) {
	for _, sh := range s.Shares {
		if sh.UserID == userID {
			return sh, true
		}
	}
	return Share{}, false
}

// CreateSplit saves a checked plan as a split in the thread, with its shares
// and its card in the thread, in one transaction. The creator must be a
// member; the collector and every participant must be members.
func (d *DB) CreateSplit(ctx context.Context, threadID, creatorID int64, plan SplitPlan) (int64, error) {
	var id int64
	err := d.inTx(ctx, nil, func(tx *sqlx.Tx) error {
		// The rows of the people the split names (its creator, collector,
		// shares and payers) are locked so that one of them leaving or
		// being removed meanwhile waits for this split and then sees what
		// they owe in it (memberOwes); the thread's other members are not
		// locked, so splits created at once in a big thread do not all
		// share locks on every member's row.
		named := []int64{creatorID, plan.CollectorID}
		for _, s := range plan.Shares {
			named = append(named, s.UserID)
		}
		for _, p := range plan.Payers {
			named = append(named, p.UserID)
		}
		slices.Sort(named)
		named = slices.Compact(named)
		var members []int64
		if err := tx.SelectContext(ctx, &members, `SELECT user_id FROM group_members WHERE group_id = $1 AND user_id = ANY($2) FOR KEY SHARE`,
			threadID, pq.Array(named)); err != nil {
			return err
		}
		in := map[int64]bool{}
		for _, m := range members {
			in[m] = true
		}
		if !in[creatorID] {
			return ErrNotFound.New("thread")
		}
		if !in[plan.CollectorID] {
			return errCollectorNotMember.New()
		}
		for _, s := range plan.Shares {
			if !in[s.UserID] {
				return errPeopleNotMembers.New()
			}
		}
		for _, p := range plan.Payers {
			if !in[p.UserID] {
				return errPayerMember
			}
		}
		nonce, token := d.newLink()
		oa, oc, rate := plan.original()
		err := tx.GetContext(ctx, &id, `INSERT INTO splits (group_id, title, currency, total, payee_id, created_by, mode, spec, pay_nonce, pay_token_hash,
				note, spent_on, original_amount, original_currency, rate, request)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			threadID, plan.Title, plan.Total.Currency, plan.Total.Amount, plan.CollectorID, creatorID, plan.Mode, plan.Spec, nonce, hashToken(token),
			plan.Note, plan.SpentOn, oa, oc, rate, plan.Request)
		if err != nil {
			return err
		}
		// Every share in one statement, and every payer in one.
		users := make([]int64, len(plan.Shares))
		amounts := make([]string, len(plan.Shares))
		for i, s := range plan.Shares {
			users[i], amounts[i] = s.UserID, s.Amount.Amount.String()
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO shares (group_id, split_id, user_id, position, amount)
			SELECT $1, $2, s.user_id, s.n - 1, s.amount FROM unnest($3::bigint[], $4::numeric[]) WITH ORDINALITY AS s(user_id, amount, n)`,
			threadID, id, pq.Array(users), pq.Array(amounts)); err != nil {
			return err
		}
		if len(plan.Payers) > 0 {
			users, amounts = users[:0], amounts[:0]
			for _, p := range plan.Payers {
				users, amounts = append(users, p.UserID), append(amounts, p.Amount.Amount.String())
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO split_payers (group_id, split_id, user_id, amount)
				SELECT $1, $2, p.user_id, p.amount FROM unnest($3::bigint[], $4::numeric[]) AS p(user_id, amount)`,
				threadID, id, pq.Array(users), pq.Array(amounts)); err != nil {
				return err
			}
		}
		if err := checkSplitAddsUp(ctx, tx, threadID, id); err != nil {
			return err
		}
		_, err = insertMessage(ctx, tx, threadID, "split", creatorID, plan.Title, &id, nil)
		return err
	})
	return id, err
}

type splitRow struct {
	ID            int64            `db:"id"`
	ThreadID      int64            `db:"group_id"`
	Title         string           `db:"title"`
	Note          string           `db:"note"`
	SpentOn       time.Time        `db:"spent_on"`
	Currency      string           `db:"currency"`
	Total         decimal.Decimal  `db:"total"`
	CollectorID   int64            `db:"payee_id"`
	CollectorName string           `db:"payee_name"`
	CreatedBy     int64            `db:"created_by"`
	Mode          string           `db:"mode"`
	Status        string           `db:"status"`
	CreatedAt     time.Time        `db:"created_at"`
	OrigAmount    *decimal.Decimal `db:"original_amount"`
	OrigCurrency  *string          `db:"original_currency"`
	Rate          *decimal.Decimal `db:"rate"`
	Request       bool             `db:"request"`
	Declined      bool             `db:"declined"`
	Payers        []byte           `db:"payers"` // JSON, from splitsQuery only
}

type shareRow struct {
	ID          int64            `db:"id"`
	SplitID     int64            `db:"split_id"`
	UserID      int64            `db:"user_id"`
	Name        string           `db:"display_name"`
	Amount      decimal.Decimal  `db:"amount"`
	CashClaimed *time.Time       `db:"cash_claimed_at"`
	RemindedAt  *time.Time       `db:"reminded_at"`
	TransferID  *string          `db:"transfer_id"`
	PaidKind    *string          `db:"paid_kind"`
	PaidAmount  *decimal.Decimal `db:"paid_amount"` // what the payment stands for; nil for a cover
}

const splitsQuery = `SELECT s.id, s.group_id, s.title, s.note, coalesce(s.spent_on, s.created_at::date) AS spent_on, s.currency, s.total, s.payee_id, u.display_name AS payee_name,
	s.created_by, s.mode, s.status, s.created_at, s.original_amount, s.original_currency, s.rate, s.request, s.declined_at IS NOT NULL AS declined,
	(SELECT json_agg(json_build_object('user_id', sp.user_id, 'name', pu.display_name, 'amount', sp.amount::text)
		ORDER BY sp.user_id <> s.payee_id, sp.amount DESC, sp.user_id)
	 FROM split_payers sp JOIN users pu ON pu.id = sp.user_id WHERE sp.group_id = s.group_id AND sp.split_id = s.id) AS payers
	FROM splits s JOIN users u ON u.id = s.payee_id WHERE s.id = ANY($1)`

const sharesQuery = sharesSelect + `
	-- ARRAY(SELECT unnest(...)) hides how many ids there are from the
	-- planner, so the prepared statement keeps one generic plan (sized for
	-- about ten splits) instead of planning this query again on every call:
	-- with the count in sight, each plan looked cheaper than the generic one.
	WHERE sh.split_id = ANY(ARRAY(SELECT unnest($1::bigint[])))
	ORDER BY sh.split_id, sh.position, p.part`

// shareOfQuery is one person's share of a split.
const shareOfQuery = sharesSelect + `
	WHERE sh.split_id = $1 AND sh.user_id = $2
	ORDER BY p.part`

// sharesSelect is a row per share and payment of it nothing undid (a
// share paid in parts has several, in order), or one without a payment.
const sharesSelect = `SELECT sh.id, sh.split_id, sh.user_id, u.display_name, sh.amount, sh.cash_claimed_at, sh.reminded_at,
	p.transfer_id, p.kind AS paid_kind, p.amount - p.refunded AS paid_amount
	FROM shares sh
	JOIN users u ON u.id = sh.user_id AND sh.removed_at IS NULL
	LEFT JOIN share_payments p ON ` + paysShare

// paysShare is true of the rows p of share_payments that pay share sh: a
// card payment or cash transfer for it that nothing reversed, refunded or
// voided, or a settlement's cover. Usually one; a share an edit raised
// after it was paid may be paid in parts, one row each (one per part, by
// the index share_payments_once). Every query that asks whether a share is
// paid uses it, and sums what the rows stand for (see shareFullyPaid).
const paysShare = `p.share_id = sh.id AND p.undone_by IS NULL`

// shareFullyPaid is true of share sh when it is paid in full: covered by a
// settlement, or its payments nothing undid stand for (amount less partial
// refunds) its amount. Correlated: for queries on plain PostgreSQL that
// look at a few shares (see shareFullyPaidAgg for the grouped form).
const shareFullyPaid = `(EXISTS (SELECT 1 FROM share_payments p WHERE ` + paysShare + ` AND p.kind = 'cover')
	OR coalesce((SELECT sum(p.amount - p.refunded) FROM share_payments p WHERE ` + paysShare + ` AND p.kind <> 'cover'), -1) >= sh.amount)`

// shareFullyPaidAgg is shareFullyPaid in a query grouped by share, over
// the rows p joined on paysShare.
const shareFullyPaidAgg = `(coalesce(bool_or(p.kind = 'cover'), false)
	OR coalesce(sum(p.amount - p.refunded) FILTER (WHERE p.kind <> 'cover'), -1) >= sh.amount)`

func (r splitRow) split() Split {
	var orig *money.Money
	var rate decimal.Decimal
	if r.OrigAmount != nil && r.OrigCurrency != nil && r.Rate != nil {
		m := atScale(*r.OrigAmount, *r.OrigCurrency)
		orig, rate = &m, *r.Rate
	}
	s := Split{Original: orig, Rate: rate, ID: r.ID, ThreadID: r.ThreadID, Title: r.Title, Note: r.Note, SpentOn: r.SpentOn, Total: atScale(r.Total, r.Currency),
		CollectorID: r.CollectorID, CollectorName: r.CollectorName, CreatedBy: r.CreatedBy, Mode: money.Mode(r.Mode),
		Status: r.Status, CreatedAt: r.CreatedAt, Request: r.Request, Declined: r.Declined}
	if len(r.Payers) > 0 {
		var ps []struct {
			UserID int64           `json:"user_id"`
			Name   string          `json:"name"`
			Amount decimal.Decimal `json:"amount"`
		}
		// Written by PostgreSQL's json_agg from typed columns: it parses.
		if err := json.Unmarshal(r.Payers, &ps); err == nil {
			for _, p := range ps {
				s.Payers = append(s.Payers, Payer{UserID: p.UserID, Name: p.Name, Amount: atScale(p.Amount, r.Currency)})
			}
		}
	}
	return s
}

// Splits returns the splits with these ids, with their shares, by id.
// Thread pages call it on every view, so it reads through prepared
// statements.
func (d *DB) Splits(ctx context.Context, ids []int64) (map[int64]Split, error) {
	return readSplits(ids, func(dest any, query string, args ...any) error {
		return d.selectPrepared(ctx, d.x, dest, query, args...)
	})
}

// splitsByID is Splits through q (say, a transaction).
func splitsByID(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64]Split, error) {
	return readSplits(ids, func(dest any, query string, args ...any) error {
		return sqlx.SelectContext(ctx, q, dest, query, args...)
	})
}

// readSplits reads the splits with these ids and their shares through
// selectRows.
func readSplits(ids []int64, selectRows func(dest any, query string, args ...any) error) (map[int64]Split, error) {
	out := make(map[int64]Split, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []splitRow
	if err := selectRows(&rows, splitsQuery, pq.Array(ids)); err != nil {
		return nil, err
	}
	var shares []shareRow
	if err := selectRows(&shares, sharesQuery, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.split()
	}
	// Shares come ordered by split (a share paid in parts as one run of
	// rows), so each split's shares are one run of a single array (capped,
	// so that appending to one copies).
	all := make([]Share, 0, len(shares))
	for i := 0; i < len(shares); {
		id := shares[i].SplitID
		s := out[id]
		first := len(all)
		for i < len(shares) && shares[i].SplitID == id {
			j := i + 1
			for j < len(shares) && shares[j].ID == shares[i].ID {
				j++
			}
			all = append(all, shareOf(shares[i:j], s))
			i = j
		}
		s.Shares = all[first:len(all):len(all)]
		out[id] = s
	}
	for id, s := range out {
		if s.Status == SplitOpen {
			if paid, of, _, _ := s.Progress(); of > 0 && paid == of {
				s.Status = SplitComplete
				out[id] = s
			}
		}
	}
	return out, nil
}

// shareOf is a share as split s shows it, from its rows (one per payment
// nothing undid, in order, or one without a payment).
func shareOf(rows []shareRow, s Split) Share {
	r := rows[0]
	c := s.Total.Currency
	sh := Share{ID: r.ID, UserID: r.UserID, Name: r.Name, Amount: atScale(r.Amount, c), RemindedAt: r.RemindedAt, Paid: money.Zero(c)}
	covered := false
	paid := decimal.Zero
	for _, p := range rows {
		if p.TransferID == nil {
			continue
		}
		sh.TransferID = *p.TransferID
		sh.Method = "card"
		if *p.PaidKind == "cash" || *p.PaidKind == "cover" {
			sh.Method = *p.PaidKind
		}
		if p.PaidAmount == nil {
			covered = true
			continue
		}
		paid = paid.Add(*p.PaidAmount)
		sh.PaymentIDs = append(sh.PaymentIDs, *p.TransferID)
	}
	sh.Paid = atScale(paid, c)
	switch {
	case r.UserID == s.CollectorID:
		sh.Status, sh.Method, sh.TransferID = ShareSelf, "", ""
	case covered || (sh.TransferID != "" && paid.GreaterThanOrEqual(sh.Amount.Amount)):
		sh.Status = SharePaid
		if covered {
			sh.Paid = sh.Amount
		}
	case r.CashClaimed != nil:
		sh.Status = SharePending
	default:
		sh.Status = ShareDue
	}
	return sh
}

// SplitInThread returns one split of a thread; a split of another thread is
// ENOTFOUND, so ids cannot be probed across threads.
func (d *DB) SplitInThread(ctx context.Context, threadID, splitID int64) (Split, error) {
	m, err := d.Splits(ctx, []int64{splitID})
	if err != nil {
		return Split{}, err
	}
	s, ok := m[splitID]
	if !ok || s.ThreadID != threadID {
		return Split{}, ErrNotFound.New("split")
	}
	return s, nil
}

// SplitShare returns a split of the thread without its other shares, and
// the person's share of it (false when they have none): what paying a share
// needs, read without the status of every other share. The split's Status
// is as stored (open until closed), and its Shares hold that one share.
func (d *DB) SplitShare(ctx context.Context, threadID, splitID, userID int64) (Split, Share, bool, error) {
	var rows []splitRow
	if err := d.selectPrepared(ctx, d.x, &rows, splitsQuery, pq.Array([]int64{splitID})); err != nil {
		return Split{}, Share{}, false, err
	}
	if len(rows) == 0 || rows[0].ThreadID != threadID {
		return Split{}, Share{}, false, ErrNotFound.New("split")
	}
	s := rows[0].split()
	var shares []shareRow
	if err := d.selectPrepared(ctx, d.x, &shares, shareOfQuery, splitID, userID); err != nil || len(shares) == 0 {
		return s, Share{}, false, err
	}
	sh := shareOf(shares, s)
	s.Shares = []Share{sh}
	return s, sh, true, nil
}

// SplitPayToken returns the token of a split's pay link.
func (d *DB) SplitPayToken(ctx context.Context, splitID int64) (string, error) {
	var r struct {
		Nonce []byte `db:"pay_nonce"`
		Hash  []byte `db:"pay_token_hash"`
	}
	if err := d.x.GetContext(ctx, &r, `SELECT pay_nonce, pay_token_hash FROM splits WHERE id = $1`, splitID); err != nil {
		return "", mapErr(err, "split")
	}
	return d.showToken(r.Nonce, r.Hash), nil
}

// SplitByPayToken returns the split a pay link opens (ENOTFOUND for an
// unknown token or a cancelled split).
func (d *DB) SplitByPayToken(ctx context.Context, token string) (Split, error) {
	var id int64
	err := d.x.GetContext(ctx, &id, `SELECT id FROM splits WHERE pay_token_hash = $1 AND status <> 'cancelled'`, hashToken(token))
	if err != nil {
		return Split{}, errPayLinkInvalid.New()
	}
	m, err := d.Splits(ctx, []int64{id})
	if err != nil {
		return Split{}, err
	}
	return m[id], nil
}
