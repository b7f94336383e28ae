-- A split paid in another currency than its own: the amount as paid, its
-- currency and the rate used (units of the split's currency per unit of
-- the original), kept as typed; the split's total is that amount at that
-- rate, rounded to the split currency's minor unit. All three or none.
ALTER TABLE splits ADD COLUMN original_amount numeric;
ALTER TABLE splits ADD COLUMN original_currency char(3) REFERENCES currencies (code);
ALTER TABLE splits ADD COLUMN rate numeric;
ALTER TABLE splits ADD CONSTRAINT splits_original CHECK (
	(original_amount IS NULL) = (original_currency IS NULL) AND (original_amount IS NULL) = (rate IS NULL)
	AND (original_amount IS NULL OR (original_amount > 0 AND rate > 0 AND original_currency <> currency)));
