package db

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// AuditCheck is the result of one invariant of the ledger checked over
// everything recorded: how many things it examined, and how many break it.
type AuditCheck struct {
	Name       string
	Checked    int64
	Violations int64
}

// auditQueries check the invariants of DESIGN.md "The ledger". Each returns
// (checked, violations). Most are also enforced by constraints: the audit is
// the check that anyone can run that they held, whatever wrote the data.
var auditQueries = []struct{ name, sql string }{
	{"transfers_balanced", `
		SELECT count(*), count(*) FILTER (WHERE coalesce(e.n, 0) < 2 OR coalesce(e.unbalanced, false))
		FROM ledger_transfers t
		LEFT JOIN (SELECT transfer_id, sum(n) AS n, bool_or(total <> 0) AS unbalanced
		           FROM (SELECT transfer_id, count(*) AS n, sum(amount) AS total
		                 FROM ledger_entries GROUP BY transfer_id, currency) per_currency
		           GROUP BY transfer_id) e ON e.transfer_id = t.id`},
	{"balances_match_entries", `
		SELECT count(*), count(*) FILTER (WHERE a.balance <> coalesce(s.total, 0))
		FROM ledger_accounts a
		LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries GROUP BY account_id) s
		       ON s.account_id = a.id`},
	{"no_forbidden_negative_balance", `
		SELECT count(*), count(*) FILTER (WHERE a.balance < 0 OR coalesce(s.total, 0) < 0)
		FROM ledger_accounts a
		LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries GROUP BY account_id) s
		       ON s.account_id = a.id
		WHERE NOT a.may_go_negative`},
	// A share is paid at most once among the payments nothing undid, part
	// by part (a share an edit raised after it was paid is paid in parts,
	// migration 241; what they stand for never exceeds it, see
	// share_paid_within_share); and share_payments, which enforces it,
	// agrees with the ledger.
	{"share_paid_once", `
		SELECT (SELECT count(DISTINCT share_id) FROM ledger_transfers WHERE share_id IS NOT NULL),
		       (SELECT count(*) FROM (SELECT share_id FROM share_payments WHERE undone_by IS NULL
		        GROUP BY share_id, part HAVING count(*) > 1) s)
		     + (SELECT count(*) FROM ledger_transfers t LEFT JOIN share_payments p ON p.transfer_id = t.id
		        WHERE t.share_id IS NOT NULL AND t.kind IN ('card_payment', 'cash')
		          AND (p.transfer_id IS NULL OR p.share_id <> t.share_id
		            OR p.undone_by IS DISTINCT FROM (SELECT u.id FROM ledger_transfers u
		               WHERE u.reverses = t.id OR (u.kind = 'void' AND u.pending_of = t.id) LIMIT 1)))
		     + (SELECT count(*) FROM share_payments p JOIN ledger_transfers t ON t.id = p.transfer_id
		        WHERE (t.share_id IS NULL) <> (p.kind = 'cover'))`},
	// Partial refunds (migrations/240_share_part_refunds.sql): each gives
	// back part of a share's card payment or cash mark; share_payments
	// agrees with the ledger on what each payment moved and what was given
	// back of it, and a payment always stands for more than zero; a whole
	// refund or reversal gives back what its transfer stood for (its
	// amount less its partial refunds).
	{"part_refunds_follow_ledger", `
		SELECT (SELECT count(*) FROM ledger_transfers WHERE kind IN ('part_refund', 'refund', 'reversal'))
		         + (SELECT count(*) FROM share_payments WHERE kind <> 'cover'),
		       (SELECT count(*) FROM share_payments p JOIN ledger_transfers t ON t.id = p.transfer_id
		        LEFT JOIN (SELECT part_of, sum(amount) AS parts FROM ledger_transfers WHERE kind = 'part_refund' GROUP BY part_of) r
		               ON r.part_of = t.id
		        WHERE p.kind <> 'cover' AND (p.amount IS DISTINCT FROM t.amount OR p.refunded <> coalesce(r.parts, 0)
		                                     OR p.refunded >= t.amount))
		     + (SELECT count(*) FROM ledger_transfers r LEFT JOIN ledger_transfers t ON t.id = r.part_of
		        WHERE r.kind = 'part_refund' AND (t.id IS NULL OR t.kind NOT IN ('card_payment', 'cash') OR t.share_id IS NULL))
		     + (SELECT count(*) FROM ledger_transfers u JOIN ledger_transfers t ON t.id = u.reverses
		        WHERE u.amount <> t.amount - coalesce((SELECT sum(x.amount) FROM ledger_transfers x
		                                               WHERE x.part_of = t.id AND x.kind = 'part_refund'), 0))`},
	// What a share's payments nothing undid stand for (amount less partial
	// refunds) never exceeds the share: an edit that lowers a paid share
	// gives the difference back, and a taken-out share keeps no payment.
	// (A settlement's cover pays a share whatever its amount.)
	{"share_paid_within_share", `
		WITH sh AS MATERIALIZED (SELECT id, amount FROM shares)
		SELECT (SELECT count(*) FROM sh),
		       (SELECT count(*) FROM (SELECT p.share_id FROM share_payments p JOIN sh ON sh.id = p.share_id
		        WHERE p.undone_by IS NULL AND p.kind <> 'cover'
		        GROUP BY p.share_id, sh.amount HAVING sum(p.amount - p.refunded) > sh.amount) x)`},
	{"card_cap_per_transfer", `
		SELECT count(*), count(*) FILTER (WHERE t.amount > l.per_transfer)
		FROM ledger_transfers t
		JOIN unnest($1::text[], $2::numeric[], $3::numeric[]) AS l (currency, per_transfer, rolling)
		  ON l.currency = t.currency::text
		WHERE t.kind = 'card_payment'`},
	// The window is the one checkCaps uses, (t - 30 days, t]: 720 hours less
	// a microsecond, in hours so that no time zone's DST stretches it.
	{"card_cap_30_days", `
		SELECT count(*), count(*) FILTER (WHERE w.total > $1)
		FROM (SELECT sum(coalesce(t.cap_amount, round(t.amount / r.per_eur, 6))) OVER (PARTITION BY t.payer_user_id ORDER BY t.created_at
		             RANGE BETWEEN interval '719:59:59.999999' PRECEDING AND CURRENT ROW) AS total
		      FROM ledger_transfers t LEFT JOIN ledger_rates r ON r.currency = t.currency
		      WHERE t.kind = 'card_payment') w`},
	// A card payment is resolved (posted or voided) at most once, by a
	// transfer of what it stood for then (its amount less what partial
	// refunds took from its pending money); it waits in the settlement queue exactly
	// while unresolved; only card payments are resolved.
	{"pending_resolved_once", `
		SELECT (SELECT count(*) FROM ledger_transfers WHERE kind = 'card_payment'),
		       (SELECT count(*) FROM ledger_transfers p
		        WHERE p.kind = 'card_payment'
		          AND ((SELECT count(*) FROM ledger_transfers r WHERE r.pending_of = p.id) > 1
		            OR EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_of = p.id AND r.amount <> p.amount
		               - coalesce((SELECT sum(x.amount) FROM ledger_transfers x
		                           JOIN ledger_entries xe ON xe.transfer_id = x.id AND xe.amount < 0
		                           JOIN ledger_entries pe ON pe.transfer_id = p.id AND pe.amount > 0 AND pe.account_id = xe.account_id
		                           WHERE x.part_of = p.id AND x.kind = 'part_refund'), 0))
		            OR EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_of = p.id)
		               = EXISTS (SELECT 1 FROM ledger_pending q WHERE q.transfer_id = p.id)))
		     + (SELECT count(*) FROM ledger_transfers r JOIN ledger_transfers p ON p.id = r.pending_of
		        WHERE p.kind <> 'card_payment')`},
	// Cancelling a split gives every payment back: a card payment on a
	// cancelled split is refunded or voided, a cash mark reversed.
	{"cancelled_split_payments_undone", `
		SELECT count(*), count(*) FILTER (WHERE u.id IS NULL AND v.id IS NULL)
		FROM ledger_transfers t JOIN splits s ON s.id = t.split_id
		LEFT JOIN ledger_transfers u ON u.reverses = t.id
		LEFT JOIN ledger_transfers v ON v.pending_of = t.id AND v.kind = 'void'
		WHERE t.kind IN ('card_payment', 'cash') AND s.status = 'cancelled'`},
	// A card payment is settled or voided within the settlement window
	// (SetSettlementWindow): one pending longer is stuck.
	{"pending_resolved_in_window", `
		SELECT count(*), count(*) FILTER (WHERE t.created_at < $1
		                                   AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_of = t.id))
		FROM ledger_transfers t WHERE t.kind = 'card_payment'`},
	// Every intent is resolved within minutes (ReconcileIntents), and
	// waits in the queue of open intents exactly while it is not.
	{"intents_resolved", `
		SELECT count(*), count(*) FILTER (WHERE (open AND created_at < $1) OR open <> queued)
		FROM (SELECT i.created_at,
		             CASE i.kind
		             WHEN 'charge' THEN NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = i.id)
		                            AND NOT EXISTS (SELECT 1 FROM ledger_attempts a WHERE a.id = i.id)
		             ELSE NOT EXISTS (SELECT 1 FROM ledger_payouts_sent s WHERE s.intent_id = i.id)
		              AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.reverses = i.id) END AS open,
		             EXISTS (SELECT 1 FROM ledger_intents_open o WHERE o.id = i.id) AS queued
		      FROM ledger_intents i) x`},
	// Balances (migrations/110_positions.sql): the positions of a thread sum
	// to zero in every currency; every position equals the sum of its
	// entries; only position transfers move positions, and they move nothing
	// else, in one thread; and each split's position transfers add up to
	// what the split says now (its payers, shares and the payments nothing
	// undid; nothing once cancelled).
	{"positions_sum_to_zero", `
		SELECT count(*), count(*) FILTER (WHERE total <> 0)
		FROM (SELECT sum(balance) AS total FROM ledger_accounts WHERE kind = 'thread_position'
		      GROUP BY group_id, currency) p`},
	{"positions_match_entries", `
		SELECT count(*), count(*) FILTER (WHERE a.balance <> coalesce(s.total, 0))
		FROM ledger_accounts a
		LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries GROUP BY account_id) s
		       ON s.account_id = a.id
		WHERE a.kind = 'thread_position'`},
	{"positions_moved_by_position_transfers", `
		SELECT (SELECT count(*) FROM ledger_transfers WHERE kind = 'position'),
		       (SELECT count(*) FROM ledger_entries e JOIN ledger_transfers t ON t.id = e.transfer_id
		        JOIN ledger_accounts a ON a.id = e.account_id
		        WHERE (t.kind = 'position') <> (a.kind = 'thread_position'))
		     + (SELECT count(*) FROM (SELECT e.transfer_id FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
		        WHERE a.kind = 'thread_position' GROUP BY e.transfer_id HAVING count(DISTINCT a.group_id) > 1) x)
		     + (SELECT count(DISTINCT t.id) FROM ledger_transfers t JOIN splits s ON s.id = t.split_id
		        JOIN ledger_entries e ON e.transfer_id = t.id JOIN ledger_accounts a ON a.id = e.account_id
		        WHERE t.kind = 'position' AND a.group_id <> s.group_id)`},
	// (The thread data is read first, materialized: on Citus it is spread
	// over the workers and the ledger is on the coordinator.)
	{"split_positions_match", `
		WITH s AS MATERIALIZED (SELECT id, payee_id, total, status FROM splits),
		sp AS MATERIALIZED (SELECT split_id, user_id, amount FROM split_payers),
		shs AS MATERIALIZED (SELECT id, split_id, user_id, amount FROM shares),
		want (split_id, user_id, amount) AS (
			SELECT s.id, p.user_id, p.amount FROM s JOIN sp p ON p.split_id = s.id WHERE s.status <> 'cancelled'
			UNION ALL
			SELECT s.id, s.payee_id, s.total FROM s WHERE s.status <> 'cancelled' AND NOT EXISTS (SELECT 1 FROM sp WHERE sp.split_id = s.id)
			UNION ALL
			SELECT s.id, sh.user_id, -sh.amount FROM s JOIN shs sh ON sh.split_id = s.id WHERE s.status <> 'cancelled'
			UNION ALL
			SELECT s.id, u.user_id, u.amount FROM s
			JOIN shs sh ON sh.split_id = s.id
			JOIN share_payments p ON p.share_id = sh.id AND p.undone_by IS NULL AND p.kind <> 'cover'
			JOIN ledger_transfers t ON t.id = p.transfer_id
			CROSS JOIN LATERAL (VALUES (sh.user_id, t.amount - p.refunded), (s.payee_id, p.refunded - t.amount)) AS u (user_id, amount)
		), have (split_id, user_id, amount) AS (
			SELECT t.split_id, a.user_id, e.amount FROM ledger_transfers t
			JOIN ledger_entries e ON e.transfer_id = t.id
			JOIN ledger_accounts a ON a.id = e.account_id
			WHERE t.kind = 'position' AND t.split_id IS NOT NULL
		), diff AS (
			SELECT split_id FROM (SELECT * FROM want UNION ALL SELECT split_id, user_id, -amount FROM have) x
			GROUP BY split_id, user_id HAVING sum(amount) <> 0
		)
		SELECT (SELECT count(*) FROM s), (SELECT count(DISTINCT split_id) FROM diff)`},
	// The shares of every split add up to its total, and its payers too
	// when it names any (checkSplitAddsUp holds it when writing).
	{"split_adds_up", `
		SELECT count(*), count(*) FILTER (WHERE coalesce(sh.total, 0) <> s.total OR (p.n > 0 AND p.total <> s.total))
		FROM splits s
		LEFT JOIN (SELECT group_id, split_id, sum(amount) AS total FROM shares GROUP BY group_id, split_id) sh
		       ON sh.group_id = s.group_id AND sh.split_id = s.id
		LEFT JOIN (SELECT group_id, split_id, sum(amount) AS total, count(*) AS n FROM split_payers GROUP BY group_id, split_id) p
		       ON p.group_id = s.group_id AND p.split_id = s.id`},
	// The splits and shares the ledger names exist: foreign keys say so
	// on plain PostgreSQL, not on Citus, where the ledger and the threads
	// live on different nodes (migration 222).
	{"ledger_names_real_splits", `
		WITH s AS MATERIALIZED (SELECT id FROM splits), sh AS MATERIALIZED (SELECT id FROM shares)
		SELECT count(*), count(*) FILTER (WHERE (t.split_id IS NOT NULL AND s.id IS NULL) OR (t.share_id IS NOT NULL AND sh.id IS NULL))
		FROM ledger_transfers t
		LEFT JOIN s ON s.id = t.split_id
		LEFT JOIN sh ON sh.id = t.share_id
		WHERE t.split_id IS NOT NULL OR t.share_id IS NOT NULL`},
	{"id_used_once", `
		SELECT (SELECT count(*) FROM ledger_transfers) + (SELECT count(*) FROM ledger_attempts),
		       (SELECT count(*) FROM ledger_attempts a JOIN ledger_transfers t ON t.id = a.id)`},
}

// Audit checks the invariants of the ledger over everything recorded, in one
// consistent snapshot, and returns one row per check. The caps are checked
// against the limits in force now (Limits). Any violation is a bug or a
// tampering to investigate: the ledger is never repaired in place.
func (d *DB) Audit(ctx context.Context) ([]AuditCheck, error) {
	var out []AuditCheck
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	err := d.inTx(ctx, opts, func(tx *sqlx.Tx) error {
		out = out[:0]
		limits, err := d.Limits(ctx)
		if err != nil {
			return err
		}
		var codes []string
		if err := tx.SelectContext(ctx, &codes, `SELECT code FROM currencies ORDER BY code`); err != nil {
			return err
		}
		per, rolling := make([]string, len(codes)), make([]string, len(codes))
		for i, c := range codes {
			p, r := limits.For(c)
			per[i], rolling[i] = p.String(), r.String()
		}
		for _, q := range auditQueries {
			c := AuditCheck{Name: q.name}
			var args []any
			switch q.name {
			case "card_cap_per_transfer":
				args = []any{pq.Array(codes), pq.Array(per), pq.Array(rolling)}
			case "card_cap_30_days":
				_, capRolling := limits.For(CapCurrency)
				args = []any{capRolling.String()}
			case "pending_resolved_in_window":
				args = []any{d.ledgerTime().Add(-d.settlementWindow())}
			case "intents_resolved":
				args = []any{d.ledgerTime().Add(-intentOverdue)}
			}
			if err := tx.QueryRowxContext(ctx, q.sql, args...).Scan(&c.Checked, &c.Violations); err != nil {
				return err
			}
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

// intentOverdue is how long an intent may stay open before the audit
// reports it: reconciliation looks at it after a minute, every few seconds.
const intentOverdue = 5 * time.Minute

// defaultSettleWindow is how long a card payment may stay pending when
// SetSettlementWindow was not called: real providers settle in 1 to 3 days,
// and the settlement loop checks every 10 minutes at worst.
const defaultSettleWindow = 3*24*time.Hour + 11*time.Minute

// SetSettlementWindow sets how long a card payment may stay pending before
// the audit counts it as stuck: the provider's settlement delay and the
// time the settlement loop takes to notice.
func (d *DB) SetSettlementWindow(w time.Duration) { d.settleWindow = w }

func (d *DB) settlementWindow() time.Duration {
	if d.settleWindow <= 0 {
		return defaultSettleWindow
	}
	return d.settleWindow
}
