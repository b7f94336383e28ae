-- Personal pay links (/to/<handle>). A person's handles, keyed by the
-- handle in lower case (unique whatever its case): the current one
-- (retired_at NULL, at most one a person) and the old ones, which keep
-- redirecting to the person for 30 days after they were changed; after
-- that an old handle may be taken by someone else.
CREATE TABLE handles (
	handle_key text PRIMARY KEY CHECK (handle_key = lower(handle_key) AND handle_key ~ '^[a-z0-9][a-z0-9.-]{1,28}[a-z0-9]$'),
	handle     text NOT NULL CHECK (lower(handle) = handle_key),
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	chosen_at  timestamptz NOT NULL,
	retired_at timestamptz CHECK (retired_at IS NULL OR retired_at >= chosen_at)
);
CREATE UNIQUE INDEX handles_current ON handles (user_id) WHERE retired_at IS NULL;
CREATE INDEX handles_user ON handles (user_id, chosen_at DESC);

-- Money paid through a pay link (a personal link or a request link): who
-- paid whom and the note, so both histories can say it. The card payment
-- itself is the ledger's transfer.
CREATE TABLE link_payments (
	transfer_id text PRIMARY KEY REFERENCES ledger_transfers (id),
	payer_id    bigint NOT NULL REFERENCES users (id),
	payee_id    bigint NOT NULL REFERENCES users (id),
	note        text NOT NULL DEFAULT '' CHECK (length(note) <= 200),
	created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX link_payments_payee ON link_payments (payee_id, created_at DESC);
CREATE INDEX link_payments_payer ON link_payments (payer_id, created_at DESC);
