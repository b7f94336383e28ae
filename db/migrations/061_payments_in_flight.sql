-- Payments (and payouts) being processed right now, by the id their form
-- carries, so that a double submit is told so before its PIN is counted. A
-- row lives for one request; one left by a process that died counts as
-- stale after a while (see holdPayment).
CREATE TABLE payments_in_flight (
	user_id    bigint NOT NULL REFERENCES users (id),
	action     text NOT NULL,
	id         text NOT NULL,
	started_at timestamptz NOT NULL,
	PRIMARY KEY (user_id, action, id)
);
