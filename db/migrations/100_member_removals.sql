-- People an organizer removed from a thread. The links they saw (the invite
-- link, pay links) still work for everyone else, so a row here keeps them
-- from coming back through those links; resetting the invite link (which
-- resets every pay link) deletes the thread's rows, since whoever holds a
-- new link got it from a member.
CREATE TABLE group_removals (
	group_id   bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	removed_by bigint NOT NULL REFERENCES users (id),
	removed_at timestamptz NOT NULL,
	PRIMARY KEY (group_id, user_id)
);
