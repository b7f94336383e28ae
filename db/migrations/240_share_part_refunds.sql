-- Editing a paid split gives back only the difference. A paid share whose
-- amount goes down keeps its payment; the excess goes back to the payer by
-- a partial refund ('part_refund'): part of the card payment or cash mark
-- named by part_of, the other way (from the collector's pending money while
-- the card payment is pending, their available money once it settled, the
-- collector's memo account for cash), never the whole of it (a whole give
-- back is the refund or reversal it always was). Its id is derived:
-- 'part<n>:<payment>', the payment's n-th partial refund, so an edit
-- replayed cannot give the same part twice.
--
-- What a payment still stands for is then its amount less its partial
-- refunds: what its settlement, void, refund or reversal moves, what it
-- pays of its share and what it moves in the positions.
ALTER TABLE ledger_transfers ADD COLUMN part_of text REFERENCES ledger_transfers (id);
CREATE INDEX ledger_transfers_part_of ON ledger_transfers (part_of) WHERE part_of IS NOT NULL;

ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_kind_check;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_kind_check CHECK (kind IN (
	'deposit', 'transfer', 'card_payment', 'settlement', 'void', 'cash', 'payout', 'refund', 'reversal', 'position',
	'part_refund'));
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_part_of CHECK ((part_of IS NOT NULL) = (kind = 'part_refund'));

ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_id_namespace;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_id_namespace CHECK (
	CASE kind
		WHEN 'card_payment' THEN id LIKE 'pay:u' || payer_user_id || ':%'
		WHEN 'payout'       THEN id LIKE 'payout:u' || payer_user_id || ':%'
		WHEN 'settlement'   THEN id = 'settle:' || pending_of
		WHEN 'void'         THEN id = 'void:' || pending_of
		WHEN 'refund'       THEN id = 'refund:' || reverses
		WHEN 'reversal'     THEN id = 'reversal:' || reverses
		WHEN 'position'     THEN id LIKE 'pos:%'
		WHEN 'part_refund'  THEN id ~ '^part[1-9][0-9]*:' AND substr(id, strpos(id, ':') + 1) = part_of
		ELSE id !~ '^(pay|payout|settle|void|refund|reversal|pos):' AND id !~ '^part[0-9]+:'
	END) NOT VALID;

-- share_payments follows the partial refunds too: amount is what the
-- payment moved (NULL for a settlement's cover, which pays the share
-- whatever its amount), refunded what partial refunds gave back of it.
-- A payment stands for amount - refunded, always more than zero.
ALTER TABLE share_payments ADD COLUMN amount numeric;
ALTER TABLE share_payments ADD COLUMN refunded numeric NOT NULL DEFAULT 0;
UPDATE share_payments p SET amount = t.amount FROM ledger_transfers t WHERE t.id = p.transfer_id AND p.kind <> 'cover';
ALTER TABLE share_payments ADD CONSTRAINT share_payments_amount CHECK ((amount IS NULL) = (kind = 'cover'));
ALTER TABLE share_payments ADD CONSTRAINT share_payments_refunded CHECK (refunded >= 0 AND (amount IS NULL OR refunded < amount));

CREATE OR REPLACE FUNCTION share_payments_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.share_id IS NOT NULL AND NEW.kind IN ('card_payment', 'cash') THEN
		INSERT INTO share_payments (transfer_id, share_id, kind, amount) VALUES (NEW.id, NEW.share_id, NEW.kind, NEW.amount);
	ELSIF NEW.kind IN ('refund', 'reversal') THEN
		UPDATE share_payments SET undone_by = NEW.id WHERE transfer_id = NEW.reverses AND undone_by IS NULL;
	ELSIF NEW.kind = 'void' THEN
		UPDATE share_payments SET undone_by = NEW.id WHERE transfer_id = NEW.pending_of AND undone_by IS NULL;
	ELSIF NEW.kind = 'part_refund' THEN
		UPDATE share_payments SET refunded = refunded + NEW.amount WHERE transfer_id = NEW.part_of AND undone_by IS NULL;
	END IF;
	RETURN NULL;
END $$;
