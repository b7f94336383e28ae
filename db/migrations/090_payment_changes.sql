-- A change of card or PIN waiting for its one-time code: proven first with
-- the current PIN, applied to payment_profiles only when the code sent to
-- the payment contact comes back. One pending change per person; a new one
-- replaces it.
CREATE TABLE payment_changes (
	user_id         bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	kind            text NOT NULL CHECK (kind IN ('card', 'pin')),
	card_token      text CHECK (length(card_token) BETWEEN 1 AND 1000),
	card_brand      text,
	card_last4      text CHECK (card_last4 ~ '^[0-9]{4}$'),
	card_exp_month  smallint CHECK (card_exp_month BETWEEN 1 AND 12),
	card_exp_year   smallint CHECK (card_exp_year BETWEEN 2000 AND 2200),
	pin_hash        text,
	-- HMAC-SHA-256 (keyed with the pepper) of the code.
	code_hash       bytea NOT NULL,
	code_expires_at timestamptz NOT NULL,
	code_attempts   integer NOT NULL DEFAULT 0 CHECK (code_attempts BETWEEN 0 AND 5),
	created_at      timestamptz NOT NULL DEFAULT now(),
	CHECK (kind = 'card' AND card_token IS NOT NULL AND pin_hash IS NULL
		OR kind = 'pin' AND pin_hash IS NOT NULL AND card_token IS NULL)
);
