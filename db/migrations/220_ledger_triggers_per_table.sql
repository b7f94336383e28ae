-- Ledger triggers that do not depend on the name of the table they fire on.
-- On a Citus coordinator the ledger tables are Citus local tables: their
-- rows live in a shard table on the coordinator (ledger_entries_102008 ...)
-- and the triggers fire there, with TG_TABLE_NAME the shard's name. The
-- functions of migration 002 branched on TG_TABLE_NAME, so every transfer
-- would have failed its balance check; each table gets its own function.
-- And statement-level triggers are not copied to the shards, so the
-- append-only rule gets row-level triggers too: the statement triggers stay
-- (they also refuse TRUNCATE and an UPDATE that matches no row on plain
-- PostgreSQL), the row triggers hold wherever the rows are.

CREATE FUNCTION ledger_transfer_balanced(tid text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	entries  bigint;
	unbalanced boolean;
BEGIN
	SELECT coalesce(sum(n), 0), coalesce(bool_or(total <> 0), false) INTO entries, unbalanced
	FROM (SELECT count(*) AS n, sum(amount) AS total
	      FROM ledger_entries WHERE transfer_id = tid GROUP BY currency) per_currency;
	IF entries < 2 THEN
		RAISE EXCEPTION 'ledger transfer % has % entries; a transfer needs at least 2', tid, entries
			USING ERRCODE = 'check_violation';
	END IF;
	IF unbalanced THEN
		RAISE EXCEPTION 'ledger transfer % does not balance: its entries must sum to zero per currency', tid
			USING ERRCODE = 'check_violation';
	END IF;
END $$;

CREATE FUNCTION ledger_transfers_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ledger_transfer_balanced(NEW.id);
	RETURN NULL;
END $$;

CREATE FUNCTION ledger_entries_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM ledger_transfer_balanced(NEW.transfer_id);
	RETURN NULL;
END $$;

DROP TRIGGER ledger_transfers_balanced ON ledger_transfers;
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
CREATE CONSTRAINT TRIGGER ledger_transfers_balanced AFTER INSERT ON ledger_transfers
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transfers_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
	DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entries_check_balanced();
DROP FUNCTION ledger_check_balanced();

-- An id is a transfer or a failed attempt, never both.
CREATE FUNCTION ledger_transfers_id_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM ledger_attempts WHERE id = NEW.id;
	IF FOUND THEN
		RAISE EXCEPTION 'ledger id % is already used', NEW.id USING ERRCODE = 'unique_violation';
	END IF;
	RETURN NEW;
END $$;

CREATE FUNCTION ledger_attempts_id_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM ledger_transfers WHERE id = NEW.id;
	IF FOUND THEN
		RAISE EXCEPTION 'ledger id % is already used', NEW.id USING ERRCODE = 'unique_violation';
	END IF;
	RETURN NEW;
END $$;

DROP TRIGGER ledger_transfers_id_once ON ledger_transfers;
DROP TRIGGER ledger_attempts_id_once ON ledger_attempts;
CREATE TRIGGER ledger_transfers_id_once BEFORE INSERT ON ledger_transfers
	FOR EACH ROW EXECUTE FUNCTION ledger_transfers_id_once();
CREATE TRIGGER ledger_attempts_id_once BEFORE INSERT ON ledger_attempts
	FOR EACH ROW EXECUTE FUNCTION ledger_attempts_id_once();
DROP FUNCTION ledger_id_once();

-- Append-only, row by row; the table's name comes as the trigger's argument.
CREATE FUNCTION ledger_append_only_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % is not allowed; record a reversing transfer instead',
		TG_ARGV[0], TG_OP USING ERRCODE = 'restrict_violation';
END $$;

CREATE TRIGGER ledger_transfers_append_only_row BEFORE UPDATE OR DELETE ON ledger_transfers
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only_row('ledger_transfers');
CREATE TRIGGER ledger_entries_append_only_row BEFORE UPDATE OR DELETE ON ledger_entries
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only_row('ledger_entries');
CREATE TRIGGER ledger_attempts_append_only_row BEFORE UPDATE OR DELETE ON ledger_attempts
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only_row('ledger_attempts');
CREATE TRIGGER ledger_intents_append_only_row BEFORE UPDATE OR DELETE ON ledger_intents
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only_row('ledger_intents');
CREATE TRIGGER ledger_payouts_sent_append_only_row BEFORE UPDATE OR DELETE ON ledger_payouts_sent
	FOR EACH ROW EXECUTE FUNCTION ledger_append_only_row('ledger_payouts_sent');
