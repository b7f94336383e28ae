-- A 'balances' event: a change moved members' positions, so every open page
-- of the thread redraws its balances.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('message', 'split', 'members', 'balances'));
