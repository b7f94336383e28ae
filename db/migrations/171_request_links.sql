-- Request links: "pay me 12,50 € for the pizza", payable once, revocable by
-- the requester, dead after 30 days. As with invite and pay links, only the
-- token's SHA-256 is stored, with the nonce it is derived from (so the
-- requester can be shown the link again).
CREATE TABLE request_links (
	id            bigserial PRIMARY KEY,
	user_id       bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	nonce         bytea NOT NULL,
	token_hash    bytea NOT NULL UNIQUE,
	currency      text NOT NULL,
	amount        numeric NOT NULL CHECK (amount > 0),
	note          text NOT NULL DEFAULT '' CHECK (length(note) <= 200),
	created_at    timestamptz NOT NULL,
	expires_at    timestamptz NOT NULL CHECK (expires_at > created_at),
	revoked_at    timestamptz,
	paid_transfer text UNIQUE REFERENCES ledger_transfers (id),
	paid_by       bigint REFERENCES users (id),
	paid_at       timestamptz,
	CHECK ((paid_transfer IS NULL) = (paid_by IS NULL) AND (paid_by IS NULL) = (paid_at IS NULL)),
	CHECK (revoked_at IS NULL OR paid_transfer IS NULL)
);
CREATE INDEX request_links_user ON request_links (user_id, created_at DESC);
