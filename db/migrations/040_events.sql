-- Live updates: every change others should see writes an event row in the
-- same transaction as the change. Ids are per group and handed out under the
-- group row's lock, so they follow commit order without gaps: a browser that
-- has seen event N has seen every event before it.
ALTER TABLE groups ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE events (
	group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	id         bigint NOT NULL,
	kind       text NOT NULL CHECK (kind IN ('message', 'split', 'members')),
	message_id bigint REFERENCES messages (id) ON DELETE CASCADE,
	split_id   bigint REFERENCES splits (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (group_id, id)
);
