-- The ledger: double-entry and append-only. Every invariant that can be
-- stated in SQL is enforced here, so no Go bug, script or psql session can
-- break it: transfers balance, ledger rows are never rewritten, balances that
-- may not go negative never do, an id is applied once, a share is paid once,
-- a pending transfer is resolved once.

-- Currencies the ledger accepts, with the number of decimals of their minor
-- unit (the same table as package money). Accounts, transfers and entries
-- carry (currency, minor) under a foreign key to this table, so a plain CHECK
-- on each row can refuse amounts finer than the currency allows.
CREATE TABLE currencies (
	code  char(3) PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
	minor smallint NOT NULL CHECK (minor BETWEEN 0 AND 4),
	UNIQUE (code, minor)
);
INSERT INTO currencies (code, minor) VALUES
	('EUR', 2), ('USD', 2), ('GBP', 2), ('CHF', 2), ('JPY', 0), ('CAD', 2),
	('AUD', 2), ('SEK', 2), ('NOK', 2), ('DKK', 2), ('PLN', 2), ('XOF', 0),
	('XAF', 0), ('NGN', 2), ('MAD', 2);

-- Accounts. balance caches the sum of the account's entries; it is written by
-- the transaction that writes the entries, under the account's row lock, and
-- the audit compares the two. The kind decides who owns the account and
-- whether it may go negative:
--   user_available     a user's money, withdrawable              (user)
--   user_pending       card receipts the provider has not settled (user)
--   user_memo          cash paid outside Divvy, for the record    (user + group, may go negative)
--   provider_clearing  what a payer's card brought in             (user, may go negative)
--   payouts            money sent out to bank accounts            (system)
--   equity             the source of deposits and adjustments     (system, may go negative)
CREATE TABLE ledger_accounts (
	id              bigserial PRIMARY KEY,
	kind            text NOT NULL CHECK (kind IN ('user_available', 'user_pending', 'user_memo',
	                                              'provider_clearing', 'payouts', 'equity')),
	user_id         bigint REFERENCES users (id),
	group_id        bigint REFERENCES groups (id),
	currency        char(3) NOT NULL,
	minor           smallint NOT NULL,
	may_go_negative boolean NOT NULL,
	balance         numeric NOT NULL DEFAULT 0,
	created_at      timestamptz NOT NULL DEFAULT now(),
	FOREIGN KEY (currency, minor) REFERENCES currencies (code, minor),
	CONSTRAINT ledger_accounts_no_overdraft CHECK (may_go_negative OR balance >= 0),
	CONSTRAINT ledger_accounts_scale CHECK (balance = round(balance, minor)),
	CHECK (may_go_negative = (kind IN ('user_memo', 'provider_clearing', 'equity'))),
	CHECK ((user_id IS NOT NULL) = (kind IN ('user_available', 'user_pending', 'user_memo', 'provider_clearing'))),
	CHECK ((group_id IS NOT NULL) = (kind = 'user_memo')),
	-- System accounts have NULL owners: NULLS NOT DISTINCT keeps them unique too.
	CONSTRAINT ledger_accounts_owner UNIQUE NULLS NOT DISTINCT (kind, user_id, group_id, currency),
	-- The target of the entries' foreign key: an entry's currency is its account's.
	UNIQUE (id, currency, minor)
);

-- The transfer id is the idempotency key, made by the client. request_hash
-- identifies the parameters, so the same id with other parameters is refused.
-- provider_ref is the payment provider's charge id of a card payment.
CREATE TABLE ledger_transfers (
	id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$'),
	kind          text NOT NULL CHECK (kind IN ('deposit', 'transfer', 'card_payment', 'settlement',
	                                            'void', 'cash', 'payout', 'refund', 'reversal')),
	currency      char(3) NOT NULL,
	minor         smallint NOT NULL,
	amount        numeric NOT NULL CONSTRAINT ledger_transfers_amount CHECK (amount > 0 AND amount = round(amount, minor)),
	payer_user_id bigint REFERENCES users (id),
	split_id      bigint, -- the splits tables come later; no foreign key yet
	share_id      bigint,
	-- The pending card payment a settlement or void resolves, or a refund
	-- before settlement: once.
	pending_of    text UNIQUE REFERENCES ledger_transfers (id),
	-- The transfer a refund or reversal undoes: once.
	reverses      text UNIQUE REFERENCES ledger_transfers (id),
	provider_ref  text CHECK (length(provider_ref) BETWEEN 1 AND 400),
	request_hash  text NOT NULL,
	created_at    timestamptz NOT NULL,
	FOREIGN KEY (currency, minor) REFERENCES currencies (code, minor),
	CHECK (CASE kind WHEN 'settlement' THEN pending_of IS NOT NULL
	                 WHEN 'void' THEN pending_of IS NOT NULL
	                 WHEN 'refund' THEN pending_of IS NULL OR pending_of = reverses
	                 ELSE pending_of IS NULL END),
	CHECK ((reverses IS NOT NULL) = (kind IN ('refund', 'reversal'))),
	CHECK (kind <> 'card_payment' OR (payer_user_id IS NOT NULL AND provider_ref IS NOT NULL)),
	CHECK (share_id IS NULL OR kind IN ('card_payment', 'cash'))
);
-- A share is paid at most once, by card or in cash.
CREATE UNIQUE INDEX ledger_transfers_share_paid_once ON ledger_transfers (share_id)
	WHERE kind IN ('card_payment', 'cash');
-- The rolling 30-day cap sums a payer's recent card payments.
CREATE INDEX ledger_transfers_card_window ON ledger_transfers (payer_user_id, currency, created_at)
	INCLUDE (amount) WHERE kind = 'card_payment';

CREATE TABLE ledger_entries (
	id          bigserial PRIMARY KEY,
	transfer_id text NOT NULL REFERENCES ledger_transfers (id),
	account_id  bigint NOT NULL,
	currency    char(3) NOT NULL,
	minor       smallint NOT NULL,
	amount      numeric NOT NULL CONSTRAINT ledger_entries_amount CHECK (amount <> 0 AND amount = round(amount, minor)),
	FOREIGN KEY (account_id, currency, minor) REFERENCES ledger_accounts (id, currency, minor)
);
CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id);
CREATE INDEX ledger_entries_account ON ledger_entries (account_id);

-- Transfer ids whose attempt failed for good (declined, insufficient funds,
-- cap reached, invalid): a retry with the id gets the same failure.
CREATE TABLE ledger_attempts (
	id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$'),
	code         text NOT NULL,
	message      text NOT NULL,
	request_hash text NOT NULL,
	created_at   timestamptz NOT NULL
);

-- Every transfer balances: checked at commit, once all its entries exist.
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	tid      text;
	entries  bigint;
	unbalanced boolean;
BEGIN
	IF TG_TABLE_NAME = 'ledger_transfers' THEN
		tid := NEW.id;
	ELSE
		tid := NEW.transfer_id;
	END IF;
	SELECT coalesce(sum(n), 0), coalesce(bool_or(total <> 0), false) INTO entries, unbalanced
	FROM (SELECT count(*) AS n, sum(amount) AS total
	      FROM ledger_entries WHERE transfer_id = tid GROUP BY currency) per_currency;
	IF entries < 2 THEN
		RAISE EXCEPTION 'ledger transfer % has % entries; a transfer needs at least 2', tid, entries
			USING ERRCODE = 'check_violation';
	END IF;
	IF unbalanced THEN
		RAISE EXCEPTION 'ledger transfer % does not balance: its entries must sum to zero per currency', tid
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER ledger_transfers_balanced AFTER INSERT ON ledger_transfers
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- Ledger rows are never rewritten: a mistake is fixed by a reversing transfer.
-- Statement triggers fire even when no row matches, and cover TRUNCATE.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % is not allowed; record a reversing transfer instead',
		TG_TABLE_NAME, TG_OP USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_transfers_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_transfers
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_entries
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_attempts_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_attempts
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- An id is either a transfer or a failed attempt, never both. The store
-- serialises requests per id with an advisory lock; this is the backstop.
CREATE FUNCTION ledger_id_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'ledger_transfers' THEN
		PERFORM 1 FROM ledger_attempts WHERE id = NEW.id;
	ELSE
		PERFORM 1 FROM ledger_transfers WHERE id = NEW.id;
	END IF;
	IF FOUND THEN
		RAISE EXCEPTION 'ledger id % is already used', NEW.id USING ERRCODE = 'unique_violation';
	END IF;
	RETURN NEW;
END $$;

CREATE TRIGGER ledger_transfers_id_once BEFORE INSERT ON ledger_transfers
	FOR EACH ROW EXECUTE FUNCTION ledger_id_once();
CREATE TRIGGER ledger_attempts_id_once BEFORE INSERT ON ledger_attempts
	FOR EACH ROW EXECUTE FUNCTION ledger_id_once();

-- The work queue of card payments waiting for the provider to settle them.
-- Not part of the ledger (rows come and go): a row is inserted with the
-- payment and deleted by the settlement or void, in the same transactions.
-- check_after spreads the provider polling out and leases rows to one worker.
CREATE TABLE ledger_pending (
	transfer_id text PRIMARY KEY REFERENCES ledger_transfers (id),
	check_after timestamptz NOT NULL,
	checks      integer NOT NULL DEFAULT 0
);
CREATE INDEX ledger_pending_due ON ledger_pending (check_after);

-- Card payment caps per currency, overriding the built-in defaults. Kept in
-- the database so every app process and the audit apply the same numbers.
CREATE TABLE ledger_limits (
	currency     char(3) PRIMARY KEY REFERENCES currencies (code),
	per_transfer numeric NOT NULL CHECK (per_transfer > 0),
	rolling_30d  numeric NOT NULL CHECK (rolling_30d > 0)
);
