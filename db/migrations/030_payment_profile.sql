-- Payment profiles: what a person set up to pay (a card, kept by the
-- provider, and a PIN), and the notifications sent to people.

-- One row per user who set up payments. The card is the provider's token and
-- what a person needs to recognise it: never its number or security code.
-- The PIN and the activation code are kept only as hashes.
CREATE TABLE payment_profiles (
	user_id          bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	legal_name       text NOT NULL CHECK (length(legal_name) BETWEEN 1 AND 100),
	contact_email    text NOT NULL CHECK (length(contact_email) BETWEEN 3 AND 254),
	card_token       text NOT NULL CHECK (length(card_token) BETWEEN 1 AND 1000),
	card_brand       text NOT NULL,
	card_last4       text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
	card_exp_month   smallint NOT NULL CHECK (card_exp_month BETWEEN 1 AND 12),
	card_exp_year    smallint NOT NULL CHECK (card_exp_year BETWEEN 2000 AND 2200),
	-- Argon2id of pepper + PIN.
	pin_hash         text NOT NULL,
	-- Wrong tries (reserved before the hash is checked) since the last right
	-- PIN or lock-out; the fifth locks payments until pin_locked_until.
	pin_attempts     integer NOT NULL DEFAULT 0 CHECK (pin_attempts BETWEEN 0 AND 5),
	pin_locked_until timestamptz,
	-- Lock-outs since the last right PIN: each lasts twice the one before.
	pin_lockouts     integer NOT NULL DEFAULT 0 CHECK (pin_lockouts >= 0),
	-- Payments work once the one-time code sent to the contact came back.
	active           boolean NOT NULL DEFAULT false,
	activated_at     timestamptz,
	-- HMAC-SHA-256 (keyed with the pepper) of the pending activation code.
	code_hash        bytea,
	code_expires_at  timestamptz,
	code_attempts    integer NOT NULL DEFAULT 0 CHECK (code_attempts BETWEEN 0 AND 5),
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	CHECK ((code_hash IS NULL) = (code_expires_at IS NULL)),
	CHECK (NOT active OR activated_at IS NOT NULL)
);

-- Every notification the development notifier "sent": a page lists them so
-- activation codes and reminders can be read without an email server.
CREATE TABLE outbox (
	id         bigserial PRIMARY KEY,
	user_id    bigint REFERENCES users (id) ON DELETE CASCADE,
	recipient  text NOT NULL DEFAULT '',
	kind       text NOT NULL CHECK (length(kind) BETWEEN 1 AND 40),
	subject    text NOT NULL DEFAULT '',
	body       text NOT NULL DEFAULT '',
	created_at timestamptz NOT NULL DEFAULT now()
);
