-- Passkeys (WebAuthn) that confirm payments, as the other way to the PIN.
-- Data about a person: keyed by user id. Nothing here is secret (a public
-- key, an id the authenticator chose, a counter), so nothing is hashed.
CREATE TABLE passkeys (
	user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	id            bigserial,
	credential_id bytea NOT NULL CHECK (length(credential_id) BETWEEN 16 AND 1023),
	public_key    bytea NOT NULL,
	-- The signature counter last seen; one that does not grow locks the
	-- passkey (locked_at), as a copied authenticator would.
	sign_count    bigint NOT NULL CHECK (sign_count >= 0),
	transports    text[] NOT NULL DEFAULT '{}',
	flags         smallint NOT NULL,
	aaguid        bytea,
	attestation   text NOT NULL DEFAULT '',
	name          text NOT NULL DEFAULT '' CHECK (length(name) <= 60),
	created_at    timestamptz NOT NULL,
	last_used_at  timestamptz,
	locked_at     timestamptz,
	PRIMARY KEY (user_id, id),
	UNIQUE (user_id, credential_id)
);

-- The user handle given to authenticators: random, not the user id.
ALTER TABLE payment_profiles ADD COLUMN passkey_handle bytea;

-- Challenges of passkey ceremonies: adding a passkey ('register') or
-- confirming one payment ('pay', bound to its payment id and amount).
-- Each is used once: the statement that takes it sets used_at.
CREATE TABLE passkey_challenges (
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	challenge  bytea NOT NULL CHECK (length(challenge) = 32),
	purpose    text NOT NULL CHECK (purpose IN ('register', 'pay')),
	payment_id text,
	amount     numeric,
	currency   text,
	-- The ceremony's session as the WebAuthn library made it (challenge,
	-- RP id, allowed credentials, user verification required).
	session    jsonb NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL CHECK (expires_at > created_at),
	used_at    timestamptz,
	PRIMARY KEY (user_id, challenge),
	CHECK ((purpose = 'pay') = (payment_id IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL))
);
CREATE INDEX passkey_challenges_expiry ON passkey_challenges (user_id, expires_at);
