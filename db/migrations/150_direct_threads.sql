-- Two-person threads ("Message Léa"): a thread of exactly two people, with
-- no invite link, at most one per pair. direct_threads names the pair in
-- ascending user id order, so the pair's key is unique whoever starts it.
ALTER TABLE groups ADD COLUMN direct boolean NOT NULL DEFAULT false;

CREATE TABLE direct_threads (
	user_lo  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	user_hi  bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	group_id bigint NOT NULL UNIQUE REFERENCES groups (id) ON DELETE CASCADE,
	PRIMARY KEY (user_lo, user_hi),
	CHECK (user_lo < user_hi)
);
