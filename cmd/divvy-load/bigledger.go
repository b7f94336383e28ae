package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// bigLedger measures the pay scenario (ledger alone) on the database as
// the run left it, then preloads a big ledger into it with SQL and
// measures again: the ratio of the p50 latencies says how much a big
// ledger slows a payment down.
func (h *harness) bigLedger(ctx context.Context) error {
	if h.db == nil {
		h.report(row{Scenario: "big-ledger", Rate: nanf(), P50: nanf(), P99: nanf(), Note: "skipped: no database (pass -db with -url)"})
		return nil
	}
	kind, note := ledgerOnly, "pay-ledger"
	if h.cfg.url != "" {
		kind, note = withPIN, "pay (with PIN: the hash dominates)"
	}
	s, err := h.use(ctx, kind)
	if err != nil {
		return err
	}
	var before int64
	if err := h.db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&before); err != nil {
		return err
	}
	m1, err := h.payLoad(ctx, s, "big-ledger-before", kind)
	if err != nil {
		return err
	}
	r1 := loadRow("big-ledger-before", kind, "pay/s", h.cfg.c, m1, fmt.Sprintf("%s on the run's database as it is: %d ledger entries", note, before))
	h.report(r1)

	took, err := h.preload(ctx, h.cfg.preload)
	if err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	var after int64
	if err := h.db.QueryRowContext(ctx, `SELECT count(*) FROM ledger_entries`).Scan(&after); err != nil {
		return err
	}
	m2, err := h.payLoad(ctx, s, "big-ledger-after", kind)
	if err != nil {
		return err
	}
	r2 := loadRow("big-ledger-after", kind, "pay/s", h.cfg.c, m2,
		fmt.Sprintf("same after preloading %d transfers (%d entries, triggers on) in %s: %d ledger entries; p50 x%s, p99 x%s",
			h.cfg.preload, 2*h.cfg.preload, took.Round(100*time.Millisecond), after, formatNum(ratio(r2p50(m2), r1.P50)), formatNum(ratio(ms(summarize(m2.lat).P99), r1.P99))))
	h.report(r2)
	h.sum.set("bigledger_entries", after)
	h.sum.set("bigledger_preload_s", took.Seconds())
	h.sum.set("bigledger_p50_ms_before", r1.P50)
	h.sum.set("bigledger_p50_ms_after", r2.P50)
	h.sum.set("bigledger_ratio", ratio(r2.P50, r1.P50))
	return nil
}

func r2p50(m measured) float64 { return ms(summarize(m.lat).P50) }

// preloadWorkers load in parallel, each over its own filler people (so
// their balance updates never wait for each other).
const preloadWorkers = 2

// preload loads n ledger transfers with SQL: n/2 settled card payments of
// filler people to one another (payer's card clearing -> collector pending,
// then pending -> available), two balanced entries each, the balances
// updated to match, in batches of big transactions. The ledger's triggers
// stay on: each transfer is checked balanced at commit.
func (h *harness) preload(ctx context.Context, n int) (time.Duration, error) {
	start := time.Now()
	pairs := n / 2
	people := min(max(pairs/25, 100), 10_000)
	people -= people % preloadWorkers
	h.prog.phase(fmt.Sprintf("big-ledger: preload %d transfers", n), 0)
	tag := "preload-" + h.in.runID
	_, err := h.db.ExecContext(ctx, `
		WITH u AS (
			INSERT INTO users (display_name, is_guest)
			SELECT 'Ledger filler ' || g, true FROM generate_series(1, $1) g
			RETURNING id
		)
		INSERT INTO ledger_accounts (kind, user_id, currency, minor, may_go_negative)
		SELECT k.kind, u.id, 'EUR', 2, k.kind = 'provider_clearing'
		FROM u CROSS JOIN (VALUES ('provider_clearing'), ('user_pending'), ('user_available')) AS k (kind)`, people)
	if err != nil {
		return 0, err
	}
	batch := min(25_000, max(pairs/preloadWorkers, 1))
	var jobs []int // first pair of each batch
	for lo := 0; lo < pairs; lo += batch {
		jobs = append(jobs, lo)
	}
	// Worker w takes batches w, w+W, ... and its own people, those whose
	// number is w modulo W: two transactions at once never lock the same
	// accounts.
	err = parallel(ctx, preloadWorkers, preloadWorkers, func(ctx context.Context, w int) error {
		conn, err := h.db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		// The fillers numbered from 0, with their accounts, indexed: joining
		// a batch's pairs to them must not be a nested loop.
		for _, q := range []string{
			`CREATE TEMP TABLE preload_people AS
			 SELECT (row_number() OVER (ORDER BY u.id) - 1)::int AS n, u.id AS user_id,
			        c.id AS clearing, p.id AS pending, a.id AS available
			 FROM users u
			 JOIN ledger_accounts c ON c.user_id = u.id AND c.kind = 'provider_clearing'
			 JOIN ledger_accounts p ON p.user_id = u.id AND p.kind = 'user_pending'
			 JOIN ledger_accounts a ON a.user_id = u.id AND a.kind = 'user_available'
			 WHERE u.display_name LIKE 'Ledger filler %'`,
			`ALTER TABLE preload_people ADD PRIMARY KEY (n)`,
			`ANALYZE preload_people`,
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for j := w; j < len(jobs); j += preloadWorkers {
			lo, hi := jobs[j], min(jobs[j]+batch, pairs)
			if err := preloadBatch(ctx, conn, tag, people, w, lo, hi); err != nil {
				return err
			}
			h.prog.ops.Add(int64(2 * (hi - lo)))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	h.prog.phase("big-ledger: analyze", 0)
	if _, err := h.db.ExecContext(ctx, `ANALYZE users, ledger_accounts, ledger_transfers, ledger_entries`); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// preloadBatch loads pairs lo..hi-1 in one transaction. Pair g is a card
// payment between two fillers of the worker's class (their number is class
// modulo preloadWorkers), settled two days later.
func preloadBatch(ctx context.Context, conn *sql.Conn, tag string, people, class, lo, hi int) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := []string{
		`CREATE TEMP TABLE preload_batch ON COMMIT DROP AS
		 SELECT 'pay:u' || payer.user_id || ':' || $1::text || '-' || lpad(g::text, 9, '0') AS id,
		        round(((g * 7919) % 20000 + 100) / 100.0, 2) AS amount,
		        payer.user_id AS payer, payer.clearing, collector.pending, collector.available,
		        now() - interval '3 days' - interval '1 hour' * (g % 8760) AS at
		 FROM generate_series($2::int, $3::int - 1) g
		 JOIN preload_people payer ON payer.n = $5::int + $4::int * (g % ($6::int / $4::int))
		 JOIN preload_people collector ON collector.n = $5::int + $4::int * ((g + 1) % ($6::int / $4::int))`,
		`INSERT INTO ledger_transfers (id, kind, currency, minor, amount, payer_user_id, provider_ref, request_hash, created_at, cap_amount)
		 SELECT id, 'card_payment', 'EUR', 2, amount, payer, 'charge-' || id, 'preload', at, amount FROM preload_batch ORDER BY id`,
		`INSERT INTO ledger_transfers (id, kind, currency, minor, amount, pending_of, request_hash, created_at)
		 SELECT 'settle:' || id, 'settlement', 'EUR', 2, amount, id, 'preload', at + interval '2 days' FROM preload_batch ORDER BY id`,
		`INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
		 SELECT v.t, v.a, 'EUR', 2, v.m FROM preload_batch b,
		 LATERAL (VALUES (b.id, b.clearing, -b.amount), (b.id, b.pending, b.amount),
		                 ('settle:' || b.id, b.pending, -b.amount), ('settle:' || b.id, b.available, b.amount)) AS v (t, a, m)
		 ORDER BY v.t`,
		`UPDATE ledger_accounts a SET balance = a.balance + d.delta
		 FROM (SELECT acct, sum(m) AS delta FROM (
			SELECT clearing AS acct, -amount AS m FROM preload_batch
			UNION ALL SELECT available, amount FROM preload_batch) x GROUP BY acct) d
		 WHERE a.id = d.acct`,
	}
	for i, q := range stmts {
		var args []any
		if i == 0 {
			args = []any{tag, lo, hi, preloadWorkers, class, people}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			var pqe *pq.Error
			if errors.As(err, &pqe) {
				return fmt.Errorf("preload statement %d: %s (%s)", i+1, pqe.Message, pqe.Detail)
			}
			return fmt.Errorf("preload statement %d: %w", i+1, err)
		}
	}
	return tx.Commit()
}
