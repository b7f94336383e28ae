-- Intents: what Divvy is about to ask the payment provider, recorded and
-- committed before it asks, keyed by the transfer id that is also the
-- provider's idempotency key. A crash between the provider's answer and the
-- ledger's record then leaves a trace that reconciliation follows: it asks
-- the provider what became of the key and posts or voids. Never a charge
-- without its record, never a payout the ledger does not know was sent.
--
-- A charge intent is resolved by the card payment (ledger_transfers) or the
-- refusal (ledger_attempts) with its id. A payout intent is written with the
-- payout transfer, which holds the money; it is resolved by the provider's
-- confirmation (ledger_payouts_sent) or by the payout's reversal.
CREATE TABLE ledger_intents (
	id            text PRIMARY KEY,
	kind          text NOT NULL CHECK (kind IN ('charge', 'payout')),
	user_id       bigint NOT NULL REFERENCES users (id),
	collector_user_id bigint REFERENCES users (id),
	currency      char(3) NOT NULL,
	minor         smallint NOT NULL,
	amount        numeric NOT NULL CHECK (amount > 0 AND amount = round(amount, minor)),
	card_token    text CHECK (length(card_token) BETWEEN 1 AND 1000),
	destination   text CHECK (destination ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
	split_id      bigint,
	share_id      bigint,
	request_hash  text NOT NULL,
	created_at    timestamptz NOT NULL,
	FOREIGN KEY (currency, minor) REFERENCES currencies (code, minor),
	CHECK ((kind = 'charge') = (card_token IS NOT NULL AND collector_user_id IS NOT NULL)),
	CHECK ((kind = 'payout') = (destination IS NOT NULL)),
	-- The same namespaces as the transfers they become.
	CHECK (id LIKE CASE kind WHEN 'charge' THEN 'pay:u' ELSE 'payout:u' END || user_id || ':%')
);
CREATE INDEX ledger_intents_share ON ledger_intents (share_id) WHERE share_id IS NOT NULL;

-- The provider's confirmation of a payout: its id for the money sent.
CREATE TABLE ledger_payouts_sent (
	intent_id    text PRIMARY KEY REFERENCES ledger_intents (id),
	provider_ref text NOT NULL CHECK (length(provider_ref) BETWEEN 1 AND 400),
	created_at   timestamptz NOT NULL
);

CREATE TRIGGER ledger_intents_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_intents
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_payouts_sent_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_payouts_sent
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- The work queue of intents not yet resolved, like ledger_pending: a row is
-- inserted with the intent and deleted in the transaction that resolves it.
-- check_after is when reconciliation may look (a minute after the intent,
-- then leases), so it never races a request still talking to the provider.
CREATE TABLE ledger_intents_open (
	id          text PRIMARY KEY REFERENCES ledger_intents (id),
	check_after timestamptz NOT NULL,
	checks      integer NOT NULL DEFAULT 0
);
CREATE INDEX ledger_intents_open_due ON ledger_intents_open (check_after);
