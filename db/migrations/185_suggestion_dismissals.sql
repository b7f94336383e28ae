-- Money-talk suggestions ("Send 15 € to Sam?") under a text message are
-- worked out when it is posted and kept in its data; each of the two people
-- concerned may dismiss theirs. Keyed by thread first, like all thread data.
CREATE TABLE suggestion_dismissals (
	group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (group_id, user_id, message_id)
);
