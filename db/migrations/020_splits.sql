-- Splits: a bill posted in a thread, and one share per participant.
--
-- A share's paid state is not stored here: a share is paid when the ledger
-- holds a card payment or cash transfer for it that has not been refunded or
-- reversed (the ledger's unique index makes that at most one). Keeping one
-- source of truth means the card can never disagree with the money.

CREATE TABLE splits (
	id             bigserial PRIMARY KEY,
	group_id       bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	title          text NOT NULL CHECK (length(title) BETWEEN 1 AND 80),
	currency       char(3) NOT NULL REFERENCES currencies (code),
	total          numeric NOT NULL CHECK (total > 0),
	payee_id       bigint NOT NULL REFERENCES users (id),
	created_by     bigint NOT NULL REFERENCES users (id),
	mode           text NOT NULL CHECK (mode IN ('equal', 'exact', 'percent', 'shares', 'itemized')),
	spec           jsonb NOT NULL DEFAULT '{}',
	status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete', 'cancelled')),
	pay_nonce      bytea NOT NULL,
	pay_token_hash bytea NOT NULL UNIQUE,
	created_at     timestamptz NOT NULL DEFAULT now(),
	closed_at      timestamptz
);
CREATE INDEX splits_group ON splits (group_id, id);

CREATE TABLE shares (
	id              bigserial PRIMARY KEY,
	split_id        bigint NOT NULL REFERENCES splits (id) ON DELETE CASCADE,
	user_id         bigint NOT NULL REFERENCES users (id),
	position        integer NOT NULL,
	amount          numeric NOT NULL CHECK (amount >= 0),
	cash_claimed_at timestamptz, -- "I paid another way", awaiting the collector
	reminded_at     timestamptz,
	UNIQUE (split_id, user_id)
);
CREATE INDEX shares_user ON shares (user_id);

ALTER TABLE messages ADD CONSTRAINT messages_split FOREIGN KEY (split_id) REFERENCES splits (id) ON DELETE CASCADE;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_split FOREIGN KEY (split_id) REFERENCES splits (id);
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_share FOREIGN KEY (share_id) REFERENCES shares (id);
-- A payment is announced once, however often its recording is retried.
CREATE UNIQUE INDEX messages_payment_once ON messages ((data->>'transfer_id')) WHERE kind = 'payment';
-- "All paid" is announced once per split.
CREATE UNIQUE INDEX messages_split_closed ON messages (split_id) WHERE kind = 'system' AND data->>'event' = 'split_closed';

-- The shares of a split always add up to its total: checked at commit, so
-- a transaction may rewrite shares in several statements.
CREATE FUNCTION shares_add_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	s bigint := coalesce(NEW.split_id, OLD.split_id);
	want numeric;
	got numeric;
BEGIN
	SELECT total INTO want FROM splits WHERE id = s;
	IF want IS NULL THEN
		RETURN NULL; -- the split itself was deleted
	END IF;
	SELECT coalesce(sum(amount), 0) INTO got FROM shares WHERE split_id = s;
	IF got <> want THEN
		RAISE EXCEPTION 'shares of split % add up to %, not its total %', s, got, want
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER shares_add_up AFTER INSERT OR UPDATE OR DELETE ON shares
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION shares_add_up();
