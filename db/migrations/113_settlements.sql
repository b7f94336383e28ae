-- Settle up: a payment from one member to another (by card, or another way
-- that the receiver confirms) covers outstanding shares across the
-- thread's splits, offsets included. A covered share is paid by the
-- settlement: one more row of share_payments, kind 'cover', so the rule
-- "at most one payment not undone per share" (share_payments_once) holds
-- across card payments, cash marks and settlements, whatever races; and the
-- refund, void or reversal of the settlement uncovers every share it
-- covered (the trigger of migration 060 marks all its rows undone).
ALTER TABLE share_payments DROP CONSTRAINT share_payments_pkey;
ALTER TABLE share_payments ADD PRIMARY KEY (transfer_id, share_id);
ALTER TABLE share_payments DROP CONSTRAINT share_payments_undone_by_key;
CREATE INDEX share_payments_undone_by ON share_payments (undone_by);
ALTER TABLE share_payments DROP CONSTRAINT share_payments_kind_check;
ALTER TABLE share_payments ADD CONSTRAINT share_payments_kind_check CHECK (kind IN ('card_payment', 'cash', 'cover'));

-- "I paid another way" for a settle-up line, or a payment outside splits
-- ("Léa gave me 20 € in cash"): recorded by the payer, confirmed (a cash
-- transfer between the two memo accounts, which moves both positions) or
-- rejected by the receiver.
CREATE TABLE settle_claims (
	group_id    bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	id          bigserial,
	payer_id    bigint NOT NULL REFERENCES users (id),
	to_id       bigint NOT NULL REFERENCES users (id),
	currency    char(3) NOT NULL REFERENCES currencies (code),
	amount      numeric NOT NULL CHECK (amount > 0),
	created_at  timestamptz NOT NULL,
	transfer_id text REFERENCES ledger_transfers (id),
	rejected_at timestamptz,
	PRIMARY KEY (group_id, id),
	CHECK (payer_id <> to_id),
	CHECK (transfer_id IS NULL OR rejected_at IS NULL)
);
CREATE INDEX settle_claims_open ON settle_claims (group_id) WHERE transfer_id IS NULL AND rejected_at IS NULL;
