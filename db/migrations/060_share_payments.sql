-- Which payment pays a share now. The ledger keeps every payment ever made
-- for a share, refunded, voided or not; a share is paid at most once among
-- the payments nothing undid, so a refunded or voided share can be paid
-- again. The rows follow the ledger: a card payment or cash transfer for a
-- share adds its row, and the refund, void or reversal that gives it back
-- marks it undone, in the transaction that writes the transfer (the trigger
-- below), so the two never disagree. Ledger rows stay append-only; this is a
-- table of state kept beside them.
CREATE TABLE share_payments (
	transfer_id text PRIMARY KEY REFERENCES ledger_transfers (id),
	share_id    bigint NOT NULL REFERENCES shares (id),
	kind        text NOT NULL CHECK (kind IN ('card_payment', 'cash')),
	undone_by   text UNIQUE REFERENCES ledger_transfers (id)
);
-- The rule itself: at most one payment not undone per share, whatever races.
CREATE UNIQUE INDEX share_payments_once ON share_payments (share_id) WHERE undone_by IS NULL;
CREATE INDEX share_payments_share ON share_payments (share_id);

INSERT INTO share_payments (transfer_id, share_id, kind, undone_by)
SELECT t.id, t.share_id, t.kind,
	(SELECT u.id FROM ledger_transfers u
	 WHERE u.reverses = t.id OR (u.kind = 'void' AND u.pending_of = t.id) LIMIT 1)
FROM ledger_transfers t WHERE t.share_id IS NOT NULL AND t.kind IN ('card_payment', 'cash');

-- The old rule counted undone payments too.
DROP INDEX ledger_transfers_share_paid_once;

-- A trigger rather than Go: every way a transfer is written (the app, a
-- script, psql) keeps the table right. It touches only share_payments.
CREATE FUNCTION share_payments_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.share_id IS NOT NULL AND NEW.kind IN ('card_payment', 'cash') THEN
		INSERT INTO share_payments (transfer_id, share_id, kind) VALUES (NEW.id, NEW.share_id, NEW.kind);
	ELSIF NEW.kind IN ('refund', 'reversal') THEN
		UPDATE share_payments SET undone_by = NEW.id WHERE transfer_id = NEW.reverses AND undone_by IS NULL;
	ELSIF NEW.kind = 'void' THEN
		UPDATE share_payments SET undone_by = NEW.id WHERE transfer_id = NEW.pending_of AND undone_by IS NULL;
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER ledger_transfers_share_payments AFTER INSERT ON ledger_transfers
	FOR EACH ROW EXECUTE FUNCTION share_payments_follow();
