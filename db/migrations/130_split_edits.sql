-- Editing a split. A split gets a note and the date the money was spent
-- (NULL: the day it was posted). A share taken out of a split by an edit is
-- kept, with amount 0 and removed_at set, when the ledger refers to it (a
-- payment of it was given back), so nothing the ledger names disappears; it
-- no longer counts anywhere.
ALTER TABLE splits ADD COLUMN note text NOT NULL DEFAULT '' CHECK (length(note) <= 500);
ALTER TABLE splits ADD COLUMN spent_on date;
ALTER TABLE shares ADD COLUMN removed_at timestamptz;
ALTER TABLE shares ADD CONSTRAINT shares_removed_zero CHECK (removed_at IS NULL OR amount = 0);

-- "All paid" was announced at most once per split. An edit can make a paid
-- split owe again (a share grows, someone is added), and paying that closes
-- it again, which says so again: markComplete announces only the change
-- from open to complete, under the split's lock.
DROP INDEX messages_split_closed;

-- The history of a split: one row per edit, with what it was and what it
-- became (title, note, date, total and each share, names included, as the
-- page shows them), and the payments the edit gave back.
CREATE TABLE split_edits (
	group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	id         bigserial,
	split_id   bigint NOT NULL REFERENCES splits (id) ON DELETE CASCADE,
	edited_by  bigint NOT NULL REFERENCES users (id),
	edited_at  timestamptz NOT NULL,
	before     jsonb NOT NULL,
	after      jsonb NOT NULL,
	given_back text[] NOT NULL DEFAULT '{}',
	PRIMARY KEY (group_id, id)
);
CREATE INDEX split_edits_split ON split_edits (group_id, split_id, id);
