-- Several payers: who fronted a split, when more than one person did. A
-- split without rows here was fronted in full by its collector (payee_id),
-- who is always one of its payers when there are rows. The amounts add up to
-- the total (checked at commit, like the shares).
CREATE TABLE split_payers (
	group_id bigint NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
	split_id bigint NOT NULL REFERENCES splits (id) ON DELETE CASCADE,
	user_id  bigint NOT NULL REFERENCES users (id),
	amount   numeric NOT NULL CHECK (amount > 0),
	PRIMARY KEY (group_id, split_id, user_id)
);
CREATE INDEX split_payers_split ON split_payers (split_id);

CREATE FUNCTION split_payers_add_up() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	s bigint := coalesce(NEW.split_id, OLD.split_id);
	want numeric;
	got numeric;
	n bigint;
BEGIN
	SELECT total INTO want FROM splits WHERE id = s;
	IF want IS NULL THEN
		RETURN NULL; -- the split itself was deleted
	END IF;
	SELECT coalesce(sum(amount), 0), count(*) INTO got, n FROM split_payers WHERE split_id = s;
	IF n > 0 AND got <> want THEN
		RAISE EXCEPTION 'payers of split % add up to %, not its total %', s, got, want
			USING ERRCODE = 'check_violation';
	END IF;
	RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER split_payers_add_up AFTER INSERT OR UPDATE OR DELETE ON split_payers
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION split_payers_add_up();
