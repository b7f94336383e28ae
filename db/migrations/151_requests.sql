-- Requests ("Sam asks Léa for €15 · Taxi"): a split with one share, the
-- requested person's, collected by the requester. Paying it is paying that
-- share (PIN, caps, at most once); the requested person may decline it,
-- which closes it like a cancel.
ALTER TABLE splits ADD COLUMN request boolean NOT NULL DEFAULT false;
ALTER TABLE splits ADD COLUMN declined_at timestamptz;
