-- Editing a paid split asks only for the difference. A paid share that an
-- edit raises keeps its payment: it is paid in part ("paid €10.00, €2.00
-- left"), and the payer pays what is left with a payment of its own. A
-- share may so have several payments that nothing undid, each its part:
-- part n is the payment made when the share's live payments' highest part
-- was n - 1, read under the split's lock with what is left to pay. The rule
-- that a share is never paid twice becomes: one live payment per share and
-- part (two payments made from one reading of the share take the same part,
-- and the second is refused), and what the live payments stand for never
-- exceeds the share (checked under the split's lock, and by the audit).
--
-- The part comes from the payment's transaction (the setting
-- divvy.share_part, set with the check of what is left), 1 when not set:
-- a share's first payment, a settlement's cover.
-- (The check is added apart from the column, under the name PostgreSQL
-- gives a column's check: Citus refuses ADD COLUMN with a constraint.)
ALTER TABLE share_payments ADD COLUMN part int NOT NULL DEFAULT 1;
ALTER TABLE share_payments ADD CONSTRAINT share_payments_part_check CHECK (part >= 1);
DROP INDEX share_payments_once;
CREATE UNIQUE INDEX share_payments_once ON share_payments (share_id, part) WHERE undone_by IS NULL;

CREATE OR REPLACE FUNCTION share_payments_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.share_id IS NOT NULL AND NEW.kind IN ('card_payment', 'cash') THEN
		INSERT INTO share_payments (transfer_id, share_id, kind, amount, part)
		VALUES (NEW.id, NEW.share_id, NEW.kind, NEW.amount, coalesce(nullif(current_setting('divvy.share_part', true), '')::int, 1));
	ELSIF NEW.kind IN ('refund', 'reversal') THEN
		UPDATE share_payments SET undone_by = NEW.id WHERE transfer_id = NEW.reverses AND undone_by IS NULL;
	ELSIF NEW.kind = 'void' THEN
		UPDATE share_payments SET undone_by = NEW.id WHERE transfer_id = NEW.pending_of AND undone_by IS NULL;
	ELSIF NEW.kind = 'part_refund' THEN
		UPDATE share_payments SET refunded = refunded + NEW.amount WHERE transfer_id = NEW.part_of AND undone_by IS NULL;
	END IF;
	RETURN NULL;
END $$;
