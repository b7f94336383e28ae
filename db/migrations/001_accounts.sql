-- People, their sessions, and the counters that rate-limit guessing.

CREATE TABLE users (
	id            bigserial PRIMARY KEY,
	display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 60),
	email         text CHECK (email IS NULL OR (length(email) BETWEEN 3 AND 254 AND email = lower(email))),
	password_hash text,
	is_guest      boolean NOT NULL DEFAULT false,
	locale        text NOT NULL DEFAULT '' CHECK (locale IN ('', 'en', 'fr')),
	created_at    timestamptz NOT NULL DEFAULT now(),
	CHECK (is_guest OR (email IS NOT NULL AND password_hash IS NOT NULL))
);
CREATE UNIQUE INDEX users_email ON users (email) WHERE email IS NOT NULL;

-- A session row is what the cookie points at: deleting it revokes the cookie.
-- Only the SHA-256 of the session id is kept, so a database leak yields no cookies.
CREATE TABLE sessions (
	id_hash    bytea PRIMARY KEY,
	user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	seen_at    timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Fixed-window counters shared by every app process.
CREATE TABLE rate_limits (
	key          text PRIMARY KEY,
	window_start timestamptz NOT NULL,
	hits         integer NOT NULL
);

-- Threads: a group conversation with a default currency.
CREATE TABLE groups (
	id         bigserial PRIMARY KEY,
	name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
	currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	created_by bigint NOT NULL REFERENCES users (id),
	created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE group_members (
	group_id  bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role      text NOT NULL CHECK (role IN ('organizer', 'member')),
	joined_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);
