-- Balances: each member's position in a thread, per currency, kept in the
-- ledger. A position is what the member fronted minus what they owe, plus
-- what they paid to others minus what they received. It lives in a
-- thread_position account (per user, thread and currency, may go negative),
-- moved only by 'position' transfers whose entries sum to zero, so the
-- positions of a thread sum to zero in every currency, always.
--
-- A split contributes, while not cancelled, +total to whoever fronted it and
-- -amount to each share's holder; each share payment nothing undid moves
-- +amount to the share's holder and -amount to the collector. The store
-- posts the difference between that and what the split's position
-- transfers already say ('pos:s<split>:<n>'), in the transaction of the
-- change, so a cancel reverses it and an undone payment gives it back, and
-- nothing is ever rewritten.

ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_kind_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_kind_check CHECK (kind IN (
	'user_available', 'user_pending', 'user_memo', 'provider_clearing', 'payouts', 'equity', 'thread_position'));
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_check
	CHECK (may_go_negative = (kind IN ('user_memo', 'provider_clearing', 'equity', 'thread_position')));
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check1;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_check1
	CHECK ((user_id IS NOT NULL) = (kind IN ('user_available', 'user_pending', 'user_memo', 'provider_clearing', 'thread_position')));
ALTER TABLE ledger_accounts DROP CONSTRAINT ledger_accounts_check2;
ALTER TABLE ledger_accounts ADD CONSTRAINT ledger_accounts_check2
	CHECK ((group_id IS NOT NULL) = (kind IN ('user_memo', 'thread_position')));
-- A thread's positions, read in one index scan: O(members) per page view.
CREATE INDEX IF NOT EXISTS ledger_accounts_positions ON ledger_accounts (group_id, currency, user_id) INCLUDE (balance)
	WHERE kind = 'thread_position';

ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_kind_check;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_check CHECK (kind IN (
	'deposit', 'transfer', 'card_payment', 'settlement', 'void', 'cash', 'payout', 'refund', 'reversal', 'position'));
-- Position transfers take server-made ids under 'pos:', which no other kind
-- may use.
ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_id_namespace;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_id_namespace CHECK (
	CASE kind
		WHEN 'card_payment' THEN id LIKE 'pay:u' || payer_user_id || ':%'
		WHEN 'payout'       THEN id LIKE 'payout:u' || payer_user_id || ':%'
		WHEN 'settlement'   THEN id = 'settle:' || pending_of
		WHEN 'void'         THEN id = 'void:' || pending_of
		WHEN 'refund'       THEN id = 'refund:' || reverses
		WHEN 'reversal'     THEN id = 'reversal:' || reverses
		WHEN 'position'     THEN id LIKE 'pos:%'
		ELSE id !~ '^(pay|payout|settle|void|refund|reversal|pos):'
	END) NOT VALID;
-- A split's position transfers, summed when the split changes.
CREATE INDEX IF NOT EXISTS ledger_transfers_split_positions ON ledger_transfers (split_id) WHERE kind = 'position';

-- Backfill: every split's contribution as it stands, in one position
-- transfer per split.
CREATE TEMPORARY TABLE backfill_positions ON COMMIT DROP AS
SELECT s.id AS split_id, s.group_id, s.currency, c.minor, w.user_id, sum(w.amount) AS amount
FROM splits s
JOIN currencies c ON c.code = s.currency
CROSS JOIN LATERAL (
	SELECT s.payee_id AS user_id, s.total AS amount WHERE s.status <> 'cancelled'
	UNION ALL
	SELECT sh.user_id, -sh.amount FROM shares sh WHERE sh.split_id = s.id AND s.status <> 'cancelled'
	UNION ALL
	SELECT u.user_id, u.amount FROM share_payments p
	JOIN shares sh ON sh.id = p.share_id
	JOIN ledger_transfers t ON t.id = p.transfer_id
	CROSS JOIN LATERAL (VALUES (sh.user_id, t.amount), (s.payee_id, -t.amount)) AS u (user_id, amount)
	WHERE sh.split_id = s.id AND p.undone_by IS NULL
) w
GROUP BY s.id, s.group_id, s.currency, c.minor, w.user_id
HAVING sum(w.amount) <> 0;

INSERT INTO ledger_accounts (kind, user_id, group_id, currency, minor, may_go_negative)
SELECT DISTINCT 'thread_position', user_id, group_id, currency, minor, true FROM backfill_positions
ON CONFLICT ON CONSTRAINT ledger_accounts_owner DO NOTHING;

INSERT INTO ledger_transfers (id, kind, currency, minor, amount, split_id, request_hash, created_at)
SELECT 'pos:s' || split_id || ':1', 'position', currency, minor, sum(amount) FILTER (WHERE amount > 0),
	split_id, 'backfill', now()
FROM backfill_positions GROUP BY split_id, currency, minor;

INSERT INTO ledger_entries (transfer_id, account_id, currency, minor, amount)
SELECT 'pos:s' || b.split_id || ':1', a.id, b.currency, b.minor, b.amount
FROM backfill_positions b
JOIN ledger_accounts a ON a.kind = 'thread_position' AND a.user_id = b.user_id AND a.group_id = b.group_id AND a.currency = b.currency;

UPDATE ledger_accounts a SET balance = a.balance + t.amount
FROM (SELECT a.id, sum(b.amount) AS amount FROM backfill_positions b
      JOIN ledger_accounts a ON a.kind = 'thread_position' AND a.user_id = b.user_id AND a.group_id = b.group_id AND a.currency = b.currency
      GROUP BY a.id) t
WHERE a.id = t.id;
