-- Scale-out on Citus (distributed PostgreSQL). On plain PostgreSQL this
-- migration does nothing. When the citus extension is installed in the
-- database (on the coordinator, with its workers registered), it places
-- every table by one rule (README, "Scale-out"):
--   thread data, every table with a group_id column that is not money, is
--     distributed by thread id, co-located with groups, so everything one
--     thread's page reads or writes is on one node and routed there;
--   small tables that everything joins (users, currencies)
--     are reference tables, copied to every node;
--   the ledger and everything per person or per payment stays on the
--     coordinator as Citus local tables: a transfer moves money between any
--     two people's accounts, and one node keeps it a local transaction.
-- Citus needs, and this does: the distribution column in every primary and
-- unique key of a distributed table; foreign keys dropped before and added
-- after distribution, and only those Citus can enforce (between co-located
-- distributed tables on the thread id, to reference tables, between local
-- tables and to reference tables); no trigger on a distributed table that
-- reads other tables (the shares and payers totals are checked by the
-- store in the writing transaction and by the audit, see checkSplitAddsUp).
DO $citus$
DECLARE
	-- Tables with a group_id that are money or lookups by person, not
	-- thread data: they stay with the ledger on the coordinator.
	ledger_side constant text[] := ARRAY['ledger_accounts', 'waiting_sends', 'direct_threads', 'send_details'];
	reference constant text[] := ARRAY['currencies', 'users'];
	-- Tables that no query joins with another stay plain PostgreSQL tables
	-- on the coordinator, out of Citus's planner (the rate limits' upsert
	-- computes with the time, which Citus refuses in DO UPDATE).
	standalone constant text[] := ARRAY['schema_migrations', 'rate_limits', 'signup_requests'];
	dist text[];
	t text;
	r record;
	fk record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
		RETURN;
	END IF;
	-- One connection per worker in this transaction: DDL and distribution
	-- may then follow each other in one transaction.
	SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
	-- And in every session: a transaction of Divvy's writes thread data and
	-- the ledger (tied to users, a reference table, by foreign keys), which
	-- Citus allows only over one connection per node. (Sessions opened
	-- before this migration keep the old mode: restart the app after it.)
	EXECUTE format('ALTER DATABASE %I SET citus.multi_shard_modify_mode TO sequential', current_database());

	SELECT array_agg(c.relname::text ORDER BY c.relname) INTO dist
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname = 'public' AND c.relkind = 'r'
	  AND (c.relname = 'groups' OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'group_id' AND NOT a.attisdropped))
	  AND c.relname <> ALL (ledger_side);

	-- 1. Remember every foreign key, then drop them all.
	CREATE TEMPORARY TABLE citus_fks ON COMMIT DROP AS
	SELECT con.conname::text AS name, con.conrelid::regclass::text AS tbl, con.confrelid::regclass::text AS ref,
	       (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
	        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS cols,
	       (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
	        JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS refcols,
	       con.confdeltype AS on_delete, pg_get_constraintdef(con.oid) AS def
	FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace
	WHERE con.contype = 'f' AND n.nspname = 'public';
	FOR fk IN SELECT * FROM citus_fks LOOP
		EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', fk.tbl, fk.name);
	END LOOP;

	-- 2. Keys of thread data with the thread id in them. A unique key
	-- without it (a link's token hash, a payment announced once) becomes
	-- unique per thread; the random tokens are still found by their hash.
	ALTER TABLE messages DROP CONSTRAINT messages_pkey;
	ALTER TABLE messages ADD PRIMARY KEY (group_id, id);
	DROP INDEX messages_payment_once;
	CREATE UNIQUE INDEX messages_payment_once ON messages (group_id, (data->>'transfer_id')) WHERE kind = 'payment';
	ALTER TABLE group_invites DROP CONSTRAINT group_invites_pkey;
	ALTER TABLE group_invites ADD PRIMARY KEY (group_id, id);
	ALTER TABLE group_invites DROP CONSTRAINT group_invites_token_hash_key;
	CREATE INDEX group_invites_token ON group_invites (token_hash);
	ALTER TABLE splits DROP CONSTRAINT splits_pkey;
	ALTER TABLE splits DROP CONSTRAINT splits_thread_id;
	ALTER TABLE splits ADD PRIMARY KEY (group_id, id);
	ALTER TABLE splits DROP CONSTRAINT splits_pay_token_hash_key;
	CREATE INDEX splits_pay_token ON splits (pay_token_hash);
	CREATE INDEX splits_id ON splits (id);
	ALTER TABLE shares DROP CONSTRAINT shares_pkey;
	ALTER TABLE shares DROP CONSTRAINT shares_thread_id;
	ALTER TABLE shares ADD PRIMARY KEY (group_id, id);
	ALTER TABLE shares DROP CONSTRAINT shares_split_id_user_id_key;
	CREATE INDEX shares_id ON shares (id);
	ALTER TABLE named_guests DROP CONSTRAINT named_guests_pkey;
	ALTER TABLE named_guests ADD PRIMARY KEY (group_id, user_id);
	CREATE INDEX named_guests_user ON named_guests (user_id);

	-- 3. Triggers on thread data that read other tables cannot run on a
	-- shard: the store checks the totals in the writing transaction and the
	-- audit over everything; the store always names a share's thread.
	DROP TRIGGER shares_add_up ON shares;
	DROP TRIGGER split_payers_add_up ON split_payers;
	DROP TRIGGER shares_thread_from_split ON shares;

	-- 4. Place the tables: reference, then distributed, then local.
	FOREACH t IN ARRAY reference LOOP
		PERFORM create_reference_table(t);
	END LOOP;
	PERFORM create_distributed_table('groups', 'id');
	FOREACH t IN ARRAY dist LOOP
		IF t <> 'groups' THEN
			PERFORM create_distributed_table(t, 'group_id', colocate_with => 'groups');
		END IF;
	END LOOP;
	FOR r IN SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname::text <> ALL (standalone)
	           AND c.relname::text <> ALL (dist) AND c.relname::text <> ALL (reference) LOOP
		PERFORM citus_add_local_table_to_metadata(r.name);
	END LOOP;

	-- 5. The foreign keys Citus can enforce, back. Between two thread
	-- tables, a key naming a row by its id names it by (thread, id).
	FOR fk IN SELECT * FROM citus_fks LOOP
		IF fk.tbl = ANY (dist) AND fk.ref = ANY (dist) AND fk.ref <> 'groups' THEN
			IF array_length(fk.cols, 1) = 1 AND fk.refcols = ARRAY['id'] THEN
				EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I FOREIGN KEY (group_id, %I) REFERENCES %I (group_id, id) %s',
					fk.tbl, fk.name, fk.cols[1], fk.ref,
					CASE fk.on_delete WHEN 'c' THEN 'ON DELETE CASCADE' WHEN 'n' THEN format('ON DELETE SET NULL (%I)', fk.cols[1])
					                  WHEN 'r' THEN 'ON DELETE RESTRICT' ELSE '' END);
			ELSIF 'group_id' = ANY (fk.cols) THEN
				EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', fk.tbl, fk.name, fk.def);
			END IF;
		ELSIF fk.tbl = ANY (dist) AND fk.ref = 'groups' THEN
			IF fk.cols = ARRAY['group_id'] THEN
				EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', fk.tbl, fk.name, fk.def);
			END IF;
		ELSIF fk.ref = ANY (reference) THEN
			EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', fk.tbl, fk.name, fk.def);
		ELSIF NOT (fk.tbl = ANY (dist)) AND NOT (fk.ref = ANY (dist)) THEN
			EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', fk.tbl, fk.name, fk.def);
		END IF;
		-- Otherwise (money to thread data and back) the key is dropped:
		-- the audit checks that the ledger's splits and shares exist.
	END LOOP;
END
$citus$;
