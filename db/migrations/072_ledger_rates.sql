-- The rolling 30-day card cap is per payer across currencies, in the cap
-- currency (EUR): each card payment counts at a stated reference rate.
-- ledger_rates holds the rates, as units of a currency per euro (the ECB's
-- convention): the ECB's daily reference rates when the server can fetch
-- them, an operator's (`divvy rates set`) otherwise, and the fixed euro
-- pegs of the CFA francs. Not a ledger table: a rate is replaced by the
-- next one. The rate a payment was counted at is kept on the payment.
CREATE TABLE ledger_rates (
	currency   char(3) PRIMARY KEY REFERENCES currencies (code),
	per_eur    numeric NOT NULL CHECK (per_eur > 0),
	source     text NOT NULL CHECK (source IN ('ecb', 'operator', 'peg')),
	as_of      date NOT NULL,
	updated_at timestamptz NOT NULL,
	CHECK (currency <> 'EUR' OR per_eur = 1)
);
INSERT INTO ledger_rates (currency, per_eur, source, as_of, updated_at) VALUES
	('EUR', 1, 'peg', '1999-01-01', now()),
	('XOF', 655.957, 'peg', '1999-01-01', now()),
	('XAF', 655.957, 'peg', '1999-01-01', now());

-- A card payment's amount in the cap currency at the rate of its day, so
-- the cap and the audit count it the same forever, whatever rates follow.
-- NOT VALID: payments from before keep NULL (counted at today's rate).
ALTER TABLE ledger_transfers ADD COLUMN cap_amount numeric;
ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_cap_amount
	CHECK ((kind = 'card_payment') = (cap_amount IS NOT NULL) AND (cap_amount IS NULL OR cap_amount > 0)) NOT VALID;

-- The rolling cap sums a payer's recent card payments, all currencies.
CREATE INDEX ledger_transfers_card_payer_window ON ledger_transfers (payer_user_id, created_at)
	INCLUDE (amount, currency, cap_amount) WHERE kind = 'card_payment';
