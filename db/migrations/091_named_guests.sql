-- People a member added to a split by name before they joined: guest
-- accounts nobody has signed in to yet. The first person who opens the
-- split's pay link and says "I am <name>" takes the account over, and the
-- row goes.
CREATE TABLE named_guests (
	user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	added_by   bigint NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX named_guests_group ON named_guests (group_id);
