-- Money sent to someone who has not set up payments yet waits for them: it
-- is in their balance (they cannot withdraw it before setting up), and is
-- theirs for good once they finish setting up (claimed), or goes back to
-- the sender's card after 14 days (returned, by the card payment's refund).
-- Exactly one of the two, under the row's lock. Keyed by the card payment,
-- like the ledger it belongs with.
CREATE TABLE waiting_sends (
	transfer_id  text PRIMARY KEY REFERENCES ledger_transfers (id),
	group_id     bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	sender_id    bigint NOT NULL REFERENCES users (id),
	recipient_id bigint NOT NULL REFERENCES users (id),
	expires_at   timestamptz NOT NULL,
	claimed_at   timestamptz,
	returned_at  timestamptz,
	CHECK (claimed_at IS NULL OR returned_at IS NULL)
);
CREATE INDEX waiting_sends_due ON waiting_sends (expires_at) WHERE claimed_at IS NULL AND returned_at IS NULL;
CREATE INDEX waiting_sends_recipient ON waiting_sends (recipient_id) WHERE claimed_at IS NULL AND returned_at IS NULL;
