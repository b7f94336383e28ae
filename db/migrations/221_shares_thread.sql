-- A share names its thread, like every other row of thread data, so that
-- the shares of a thread live with its splits when the database is spread
-- over several nodes (Citus, see the README's Scale-out) and a share is
-- found by (thread, id). Always its split's thread: the foreign key on
-- (group_id, split_id) says so.
ALTER TABLE shares ADD COLUMN group_id bigint;
UPDATE shares sh SET group_id = s.group_id FROM splits s WHERE s.id = sh.split_id;
ALTER TABLE shares ALTER COLUMN group_id SET NOT NULL;
ALTER TABLE splits ADD CONSTRAINT splits_thread_id UNIQUE (group_id, id);
ALTER TABLE shares ADD CONSTRAINT shares_thread_split FOREIGN KEY (group_id, split_id)
	REFERENCES splits (group_id, id) ON DELETE CASCADE;
ALTER TABLE shares ADD CONSTRAINT shares_thread_id UNIQUE (group_id, id);
ALTER TABLE shares ADD CONSTRAINT shares_thread_split_user UNIQUE (group_id, split_id, user_id);

-- The store names the thread when it writes a share. A writer that does not
-- (a script, older code) gets its split's: on plain PostgreSQL only, since
-- on Citus a trigger cannot read another table (migration 222 drops it).
CREATE FUNCTION shares_thread_from_split() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.group_id IS NULL THEN
		SELECT group_id INTO NEW.group_id FROM splits WHERE id = NEW.split_id;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER shares_thread_from_split BEFORE INSERT ON shares
	FOR EACH ROW EXECUTE FUNCTION shares_thread_from_split();
