-- Threads: messages and invite links.

-- One ordered stream per group. Ids are a global sequence, so they increase
-- within every group: "earlier messages" pages backwards by id.
CREATE TABLE messages (
	id         bigserial PRIMARY KEY,
	group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	kind       text NOT NULL CHECK (kind IN ('text', 'split', 'payment', 'reminder', 'system')),
	author_id  bigint REFERENCES users (id),
	body       text NOT NULL DEFAULT '' CHECK (length(body) <= 4000),
	split_id   bigint,
	data       jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_group_id ON messages (group_id, id DESC);

-- An invite link's token is HMAC(server key, nonce): the token itself is
-- never stored, only the nonce (useless without the key) and the token's
-- SHA-256 (what a visitor's link is looked up by).
CREATE TABLE group_invites (
	id         bigserial PRIMARY KEY,
	group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	nonce      bytea NOT NULL,
	token_hash bytea NOT NULL UNIQUE,
	created_by bigint NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz,
	max_uses   integer CHECK (max_uses IS NULL OR max_uses > 0),
	uses       integer NOT NULL DEFAULT 0,
	revoked_at timestamptz
);
CREATE INDEX group_invites_group ON group_invites (group_id) WHERE revoked_at IS NULL;
