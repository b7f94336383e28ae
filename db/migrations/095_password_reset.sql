-- Password reset links: one-time, short-lived. Only the SHA-256 of the token
-- is kept, like sessions and invites, so a database leak yields no links.
CREATE TABLE password_resets (
	token_hash bytea PRIMARY KEY,
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	used_at    timestamptz
);
CREATE INDEX password_resets_user ON password_resets (user_id);

-- Signed-in devices: what the account page lists and can sign out. The
-- device id names a session in forms without giving away its cookie or hash.
ALTER TABLE sessions
	ADD COLUMN device_id  bigint GENERATED ALWAYS AS IDENTITY,
	ADD COLUMN user_agent text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512);
CREATE UNIQUE INDEX sessions_device ON sessions (device_id);
