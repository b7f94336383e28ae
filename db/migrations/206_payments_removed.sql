-- People who turned their payments off (README, "Turning payments off"):
-- their payment profile (card token, PIN, contact) and any card or PIN
-- change in progress are deleted, and this row says they chose it, so
-- payments to them are refused (money sent to someone who never set up
-- payments waits for them instead). Activating payments again deletes it.
CREATE TABLE payments_removed (
	user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	removed_at timestamptz NOT NULL
);

-- "You collect an open split": asked when someone turns payments off.
CREATE INDEX splits_open_payee ON splits (payee_id) WHERE status = 'open';
