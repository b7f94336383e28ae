-- Sign-ups waiting for their address to be confirmed. Signing up answers
-- "check your e-mail" whether or not the address has an account (the answer
-- must not tell who has one); the account is made when the link mailed to
-- a new address is followed. Only the SHA-256 of the link's token is kept,
-- and the password only as its hash.
CREATE TABLE signup_requests (
	token_hash    bytea PRIMARY KEY,
	email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
	display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 60),
	password_hash text NOT NULL,
	locale        text NOT NULL DEFAULT '' CHECK (locale IN ('', 'en', 'fr')),
	created_at    timestamptz NOT NULL,
	expires_at    timestamptz NOT NULL
);
CREATE INDEX signup_requests_email ON signup_requests (email);
