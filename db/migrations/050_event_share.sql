-- A split event may name the one share that changed (a payment, its void):
-- open pages then redraw that share's line and the split's progress, not
-- the whole card, which with twenty people is most of the bytes sent to
-- every open stream.
ALTER TABLE events ADD COLUMN share_id bigint REFERENCES shares (id) ON DELETE CASCADE;
