package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"divvy/db/money"
)

// Positions are each member's standing in a thread, per currency, kept in
// the ledger (migrations/110_positions.sql): what they fronted minus what
// they owe, plus what they paid to others minus what they received. A
// position is a thread_position account; position transfers move them with
// entries that sum to zero, so a thread's positions sum to zero in every
// currency.
//
// A split contributes what its shares, payers and payments say: while it is
// not cancelled, +amount to each payer and -amount to each share's holder;
// and each payment of a share that nothing undid, +amount to the share's
// holder and -amount to the collector. Any transaction that changes a split
// (it writes an event naming it) or pays, refunds, voids or reverses a
// share of it notes the split; before commit, syncPositions posts the
// difference between that contribution and what the split's position
// transfers already add up to. Nothing is rewritten: a cancel or an undone
// payment is one more transfer that takes the contribution back.

// noteSplitOfTransfer notes the split of a money transfer that moves
// positions: a share's payment, or the refund, void or reversal of one.
func noteSplitOfTransfer(ctx context.Context, q sqlx.QueryerContext, tx *sqlx.Tx, r TransferRequest) error {
	if r.SplitID != 0 {
		noteSplit(tx, r.SplitID)
		return nil
	}
	if of := undoneBy(r); of != "" {
		// A settlement undone: the shares it covered, and what it moved
		// beyond them.
		var splits []int64
		if err := sqlx.SelectContext(ctx, q, &splits, `SELECT DISTINCT sh.split_id FROM share_payments p
			JOIN shares sh ON sh.id = p.share_id WHERE p.transfer_id = $1 AND p.kind = 'cover'`, of); err != nil {
			return err
		}
		for _, s := range splits {
			noteSplit(tx, s)
		}
		if v, ok := openChanges.Load(tx); ok {
			cs := v.(*changeSet)
			cs.undone = append(cs.undone, [2]string{of, r.ID})
		}
	}
	var split sql.NullInt64
	var err error
	if r.ShareID != 0 {
		err = sqlx.GetContext(ctx, q, &split, `SELECT split_id FROM shares WHERE id = $1`, r.ShareID)
	} else {
		of := undoneBy(r)
		if of == "" {
			return nil
		}
		err = sqlx.GetContext(ctx, q, &split, `SELECT coalesce(t.split_id, sh.split_id) FROM ledger_transfers t
			LEFT JOIN shares sh ON sh.id = t.share_id WHERE t.id = $1`, of)
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	noteSplit(tx, split.Int64)
	return nil
}

// undoneBy is the transfer r undoes, if it is a refund, void or reversal.
func undoneBy(r TransferRequest) string {
	switch r.Kind {
	case TransferVoid:
		return r.PendingOf
	case TransferRefund, TransferReversal:
		return r.Reverses
	}
	return ""
}

// undoPositions reverses the position transfer of transfer of (a
// settlement's part beyond the shares it covered), if it has one, as
// "pos:<by>".
func (d *DB) undoPositions(ctx context.Context, tx *sqlx.Tx, of, by string) error {
	var legs []struct {
		positionLeg
		ThreadID int64  `db:"group_id"`
		Currency string `db:"currency"`
	}
	if err := tx.SelectContext(ctx, &legs, `SELECT a.user_id, -e.amount AS amount, a.id AS account_id, a.group_id, a.currency
		FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		WHERE e.transfer_id = $1 ORDER BY a.user_id`, "pos:"+of); err != nil || len(legs) == 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM groups WHERE id = $1 FOR NO KEY UPDATE`, legs[0].ThreadID); err != nil {
		return err
	}
	out := make([]positionLeg, len(legs))
	for i, l := range legs {
		out[i] = l.positionLeg
	}
	return d.writePositions(ctx, tx, "pos:"+by, legs[0].ThreadID, 0, legs[0].Currency, out, true)
}

// splitPositionDelta is, per user, what split $1 of thread $2 (currency
// $3) should contribute to the positions less what its position transfers already
// did: the transfer that syncs them. Zero rows when they agree. The
// split's rows are read first, by thread (materialized): on Citus they are
// on the thread's node and the ledger on the coordinator, and the rest of
// the query joins the ledger with what they returned.
const splitPositionDelta = `
	WITH s AS MATERIALIZED (SELECT id, group_id, payee_id, total, status, currency FROM splits WHERE group_id = $2 AND id = $1),
	sh AS MATERIALIZED (SELECT id, user_id, amount FROM shares WHERE group_id = $2 AND split_id = $1),
	payers AS MATERIALIZED (SELECT user_id, amount FROM split_payers WHERE group_id = $2 AND split_id = $1),
	want (user_id, amount) AS (
		SELECT p.user_id, p.amount FROM s, payers p WHERE s.status <> 'cancelled'
		UNION ALL
		SELECT s.payee_id, s.total FROM s WHERE s.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM payers)
		UNION ALL
		SELECT sh.user_id, -sh.amount FROM sh, s WHERE s.status <> 'cancelled'
		UNION ALL
		SELECT u.user_id, u.amount FROM s
		CROSS JOIN sh
		JOIN share_payments p ON p.share_id = sh.id AND p.undone_by IS NULL AND p.kind <> 'cover'
		JOIN ledger_transfers t ON t.id = p.transfer_id
		CROSS JOIN LATERAL (VALUES (sh.user_id, t.amount - p.refunded), (s.payee_id, p.refunded - t.amount)) AS u (user_id, amount)
	),
	have (user_id, amount) AS (
		SELECT a.user_id, e.amount FROM ledger_transfers t
		JOIN ledger_entries e ON e.transfer_id = t.id
		JOIN ledger_accounts a ON a.id = e.account_id
		WHERE t.split_id = $1 AND t.kind = 'position'
	)
	SELECT user_id, sum(amount) AS amount,
		-- With each leg, the account it moves ($2 the thread, $3 the
		-- currency; 0 until it is opened) and how many position transfers
		-- the split has, which names the next one.
		coalesce((SELECT a.id FROM ledger_accounts a WHERE a.kind = 'thread_position' AND a.user_id = x.user_id
		          AND a.group_id = $2 AND a.currency = $3), 0) AS account_id,
		(SELECT count(*) FROM ledger_transfers WHERE split_id = $1 AND kind = 'position') AS done
	FROM (SELECT * FROM want UNION ALL SELECT user_id, -amount FROM have) x
	GROUP BY user_id HAVING sum(amount) <> 0
	ORDER BY user_id`

// dueAndDeltaSQL is, for split $1 of thread $2, read under the thread's
// row lock by a payment of one of its shares: whether it is open with
// nothing due (dueSharesSQL), and its position delta (splitPositionDelta,
// in the split's own currency), one row per leg, or one row of NULLs when
// none. The split's rows are read first (materialized), as in
// splitPositionDelta.
var dueAndDeltaSQL = `
	WITH due (open, due) AS MATERIALIZED (` + dueSharesSQL + `),
	delta AS (` + strings.ReplaceAll(splitPositionDelta, "$3", "(SELECT currency FROM s)") + `)
	SELECT due.open, due.due, (SELECT currency FROM splits WHERE group_id = $2 AND id = $1) AS currency,
		d.user_id, d.amount, d.account_id, d.done
	FROM due LEFT JOIN delta d ON true
	ORDER BY d.user_id`

// splitDelta is a split's position delta read under its thread's row lock
// in the transaction that syncs it.
type splitDelta struct {
	threadID int64
	currency string
	legs     []positionLeg
	done     int
}

// syncPositions posts, in tx, the position transfer of each split whose
// contribution changed. It runs last before commit (tryTx), after every
// money account the transaction locked: position accounts are always
// locked after those, and each split's sync holds its thread's row, so
// syncs of one thread run one at a time.
func (d *DB) syncPositions(ctx context.Context, tx *sqlx.Tx, cs *changeSet) error {
	for _, u := range cs.undone {
		if err := d.undoPositions(ctx, tx, u[0], u[1]); err != nil {
			return err
		}
	}
	if len(cs.splits) == 0 {
		return nil
	}
	splits := slices.Clone(cs.splits)
	slices.Sort(splits)
	var moved []int64 // threads whose positions moved
	for _, id := range splits {
		if sd, ok := cs.deltas[id]; ok {
			// Read under the thread's row lock, which this transaction
			// holds since, and nothing has changed the split since.
			if len(sd.legs) > 0 {
				event := !slices.Contains(moved, sd.threadID)
				tid := fmt.Sprintf("pos:s%d:%d", id, sd.done+1)
				if err := d.writePositions(ctx, tx, tid, sd.threadID, id, sd.currency, sd.legs, event); err != nil {
					return err
				}
				if event {
					moved = append(moved, sd.threadID)
				}
			}
			continue
		}
		// The thread's row is locked first: syncs of one thread run one at
		// a time, and the delta is read after the lock, by a statement of
		// its own, so it sees what the previous sync committed.
		var sp struct {
			ThreadID int64  `db:"group_id"`
			Currency string `db:"currency"`
		}
		// (Two statements: on Citus a lock must name the thread, which
		// the split's id alone does not.)
		err := tx.GetContext(ctx, &sp, `SELECT group_id, currency FROM splits WHERE id = $1`, id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // rolled back to a savepoint before it was made
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SELECT 1 FROM groups WHERE id = $1 FOR NO KEY UPDATE`, sp.ThreadID); err != nil {
			return err
		}
		var legs []struct {
			positionLeg
			Done int `db:"done"`
		}
		if err := tx.SelectContext(ctx, &legs, splitPositionDelta, id, sp.ThreadID, sp.Currency); err != nil {
			return err
		}
		if len(legs) == 0 {
			continue
		}
		out := make([]positionLeg, len(legs))
		for i, l := range legs {
			out[i] = l.positionLeg
		}
		// The thread's balances event goes with its first position
		// transfer, in the same statement.
		event := !slices.Contains(moved, sp.ThreadID)
		tid := fmt.Sprintf("pos:s%d:%d", id, legs[0].Done+1)
		if err := d.writePositions(ctx, tx, tid, sp.ThreadID, id, sp.Currency, out, event); err != nil {
			return err
		}
		if event {
			moved = append(moved, sp.ThreadID)
		}
	}
	return nil
}

// positionLeg is one member's part of a position transfer: the account,
// when known (0: writePositions finds or opens it).
type positionLeg struct {
	UserID    int64           `db:"user_id"`
	Amount    decimal.Decimal `db:"amount"`
	AccountID int64           `db:"account_id"`
}

// writePositionsSQL writes a position transfer ($1) and its legs (accounts
// $7, amounts $8), locking the accounts in id order first; when $10, it also
// records thread $9's balances event (see addEvents), under the thread's
// row lock that its caller holds already.
const writePositionsSQL = `
	WITH locked AS (
		SELECT id FROM ledger_accounts WHERE id = ANY($7) ORDER BY id FOR NO KEY UPDATE
	), t AS (
		INSERT INTO ledger_transfers (id, kind, currency, minor, amount, split_id, request_hash, created_at)
		VALUES ($1, 'position', $2, $3, $4, $5, 'position', $6)
		RETURNING id
	), legs (account_id, amount) AS (
		SELECT * FROM unnest($7::bigint[], $8::numeric[])
	), entries AS (
		INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
		SELECT t.id, legs.account_id, $2, $3, legs.amount FROM t, legs
	), seq AS (
		UPDATE groups SET event_seq = event_seq + 1 WHERE id = $9 AND $10 RETURNING event_seq
	), event AS (
		INSERT INTO events (group_id, id, kind) SELECT $9, seq.event_seq, '` + EventBalances + `' FROM seq
	)
	UPDATE ledger_accounts a SET balance = a.balance + legs.amount
	FROM legs WHERE a.id = legs.account_id AND a.id IN (SELECT id FROM locked)
	RETURNING a.user_id, a.balance`

// writePositions writes one position transfer: the legs (one per user,
// summing to zero) on the users' position accounts in the thread, which it
// opens if needed and locks in id order; with event, the thread's balances
// event too. splitID is 0 for a transfer that belongs to no split. The
// caller holds the thread's row lock (FOR NO KEY UPDATE), as every writer
// of position accounts does.
func (d *DB) writePositions(ctx context.Context, tx *sqlx.Tx, id string, threadID, splitID int64, currency string, legs []positionLeg, event bool) error {
	c, ok := money.LookupCurrency(currency)
	if !ok {
		return errCurrencyUnknown.New(currency)
	}
	ids := make([]int64, len(legs))
	amounts := make([]string, len(legs))
	total, sum := decimal.Zero, decimal.Zero
	for i, l := range legs {
		ids[i] = l.AccountID
		if ids[i] == 0 {
			a, err := ensureAccount(ctx, tx, AccountPosition, l.UserID, threadID, c.Code)
			if err != nil {
				return err
			}
			ids[i] = a.ID
		}
		amounts[i] = l.Amount.StringFixed(c.Minor)
		sum = sum.Add(l.Amount)
		if l.Amount.IsPositive() {
			total = total.Add(l.Amount)
		}
	}
	if !sum.IsZero() || total.IsZero() {
		return fmt.Errorf("db: position transfer %s does not balance (%s)", id, sum)
	}
	if event {
		if err := noteChange(tx, threadID); err != nil {
			return err
		}
	}
	var moved []struct {
		UserID  int64           `db:"user_id"`
		Balance decimal.Decimal `db:"balance"`
	}
	if err := sqlx.SelectContext(ctx, d.prep(tx), &moved, writePositionsSQL, id, c.Code, c.Minor, total.StringFixed(c.Minor), nullID(splitID),
		d.ledgerTime(), pq.Array(ids), pq.Array(amounts), threadID, event); err != nil {
		return err
	}
	if len(moved) != len(legs) {
		return fmt.Errorf("db: position transfer %s moved %d of %d accounts", id, len(moved), len(legs))
	}
	if splitID == 0 {
		return nil // a settlement covers for itself (coverShares), so that undoing it uncovers
	}
	// A split's change that brings members to exactly even: what they owe
	// there is offset by what they are owed, and no settlement will ever
	// involve them. Their outstanding shares are covered by this
	// transfer, for good (a later move of their position is about new
	// debts), and the splits it leaves with nothing due close.
	var even []int64
	for _, m := range moved {
		if m.Balance.IsZero() {
			even = append(even, m.UserID)
		}
	}
	if len(even) == 0 {
		return nil
	}
	slices.Sort(even)
	return coverShares(ctx, tx, id, threadID, even, c.Code)
}

// Position is one member's standing in a thread in one currency: positive,
// they are owed; negative, they owe.
type Position struct {
	UserID int64
	Name   string
	Amount money.Money
}

// ThreadPositions returns the positions of a thread's members, per
// currency, read from their position accounts (one index scan, O(members)),
// skipping zeros, sorted by currency then user id.
func (d *DB) ThreadPositions(ctx context.Context, threadID int64) (map[string][]Position, error) {
	return threadPositions(ctx, d.x, threadID)
}

func threadPositions(ctx context.Context, q sqlx.QueryerContext, threadID int64) (map[string][]Position, error) {
	var rows []struct {
		UserID   int64           `db:"user_id"`
		Name     string          `db:"display_name"`
		Currency string          `db:"currency"`
		Balance  decimal.Decimal `db:"balance"`
	}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT a.user_id, u.display_name, a.currency, a.balance
		FROM ledger_accounts a JOIN users u ON u.id = a.user_id
		WHERE a.kind = 'thread_position' AND a.group_id = $1 AND a.balance <> 0
		ORDER BY a.currency, a.user_id`, threadID)
	if err != nil {
		return nil, err
	}
	out := map[string][]Position{}
	for _, r := range rows {
		out[r.Currency] = append(out[r.Currency], Position{UserID: r.UserID, Name: r.Name, Amount: atScale(r.Balance, r.Currency)})
	}
	return out, nil
}

// plans remembers settle-up plans by the balances they settle: the exact
// plan for 20 people takes about 10 ms (money.SettleUp), and every view of a
// thread asks for the same plan until a position moves.
var plans = &planCache{m: map[string][]money.Transfer{}}

type planCache struct {
	mu sync.Mutex
	m  map[string][]money.Transfer
}

// planCacheSize bounds the cache; when full it starts again empty.
const planCacheSize = 4096

func (c *planCache) settleUp(net []money.Money) ([]money.Transfer, error) {
	var k strings.Builder
	for _, m := range net {
		k.WriteString(m.Currency)
		k.WriteString(m.Amount.String())
		k.WriteByte(' ')
	}
	key := k.String()
	c.mu.Lock()
	plan, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return plan, nil
	}
	plan, err := money.SettleUp(net)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= planCacheSize {
		c.m = map[string][]money.Transfer{}
	}
	c.m[key] = plan
	c.mu.Unlock()
	return plan, nil
}

// Currencies returns the keys of a positions map, sorted.
func positionCurrencies(m map[string][]Position) []string {
	out := make([]string, 0, len(m))
	for c := range m {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Debt is one transfer of a settle-up plan: From pays To.
type Debt struct {
	From, To         int64
	FromName, ToName string
	Amount           money.Money
}

// ThreadBalance is where a thread's members stand, per currency: their
// positions and the settle-up plan with the fewest transfers
// (money.SettleUp: the minimum up to 20 people per currency, greedy above).
type ThreadBalance struct {
	Currencies []string              // sorted
	Positions  map[string][]Position // non-zero only
	Plans      map[string][]Debt
	Claims     []SettleClaim // payments made another way, waiting for their receiver
}

// Settled reports whether nobody owes anything.
func (b ThreadBalance) Settled() bool { return len(b.Currencies) == 0 }

// ThreadBalancesAt is ThreadBalances for a page that read the thread's
// event id seq: every move of a position or claim writes an event, so the
// balances read for an id serve every view at that id or an earlier one
// (kept for the latest id seen per thread; a result read later is never
// older than seq). Views that come while a read for their id or a later one
// is under way wait for it instead of reading the same rows again: after a
// write to a busy thread, all its viewers ask for the new id at once.
func (d *DB) ThreadBalancesAt(ctx context.Context, threadID, seq int64) (ThreadBalance, error) {
	d.balances.mu.Lock()
	if c, ok := d.balances.m[threadID]; ok && c.seq >= seq {
		d.balances.mu.Unlock()
		return c.b, nil
	}
	return d.balances.loading.load(ctx, &d.balances.mu, threadID, seq, 0, func() (ThreadBalance, error) {
		return d.readBalancesAt(ctx, threadID, seq)
	})
}

// readBalancesAt reads the thread's balances and keeps them for views at
// seq or before.
func (d *DB) readBalancesAt(ctx context.Context, threadID, seq int64) (ThreadBalance, error) {
	d.balances.reads.Add(1)
	b, err := d.ThreadBalances(ctx, threadID)
	if err != nil {
		return b, err
	}
	d.balances.mu.Lock()
	if d.balances.m == nil || len(d.balances.m) >= planCacheSize {
		d.balances.m = map[int64]balanceAt{}
	}
	if c, ok := d.balances.m[threadID]; !ok || c.seq < seq {
		d.balances.m[threadID] = balanceAt{seq: seq, b: b}
	}
	d.balances.mu.Unlock()
	return b, nil
}

// balancesCache is ThreadBalancesAt's: the balances of each thread at the
// latest event id a page asked for, and the read under way per thread.
type balancesCache struct {
	mu      sync.Mutex
	m       map[int64]balanceAt
	loading seqLoads[ThreadBalance]
	reads   atomic.Int64 // reads from the database, for tests
}

type balanceAt struct {
	seq int64
	b   ThreadBalance
}

// ThreadBalances reads the thread's positions (O(members)) and makes the
// settle-up plan of each currency.
func (d *DB) ThreadBalances(ctx context.Context, threadID int64) (ThreadBalance, error) {
	ps, err := threadPositions(ctx, d.x, threadID)
	if err != nil {
		return ThreadBalance{}, err
	}
	b, err := balanceOf(ps)
	if err != nil {
		return b, err
	}
	b.Claims, err = openClaims(ctx, d.x, threadID, 0)
	return b, err
}

func balanceOf(ps map[string][]Position) (ThreadBalance, error) {
	b := ThreadBalance{Currencies: positionCurrencies(ps), Positions: ps, Plans: map[string][]Debt{}}
	for _, c := range b.Currencies {
		net := make([]money.Money, len(ps[c]))
		for i, p := range ps[c] {
			net[i] = p.Amount
		}
		plan, err := plans.settleUp(net)
		if err != nil {
			return ThreadBalance{}, fmt.Errorf("db: settle up %s: %w", c, err)
		}
		for _, t := range plan {
			from, to := ps[c][t.From], ps[c][t.To]
			b.Plans[c] = append(b.Plans[c], Debt{From: from.UserID, To: to.UserID, FromName: from.Name, ToName: to.Name, Amount: t.Amount})
		}
	}
	return b, nil
}
