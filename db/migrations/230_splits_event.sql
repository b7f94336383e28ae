-- A 'splits' event: many splits' cards changed at once (a settlement that
-- covers shares across a thread's splits), named in split_ids. One row
-- instead of one per split: the first settle-up of a thread of thousands of
-- splits wrote thousands of events, each with its foreign key checks, under
-- the thread's row lock. A page redraws the cards it shows among them.
ALTER TABLE events ADD COLUMN split_ids bigint[];
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_kind_check;
ALTER TABLE events ADD CONSTRAINT events_kind_check CHECK (kind IN ('message', 'split', 'splits', 'members', 'balances'));
ALTER TABLE events ADD CONSTRAINT events_split_ids CHECK ((kind = 'splits') = (split_ids IS NOT NULL));
