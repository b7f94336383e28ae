-- Card refunds the ledger recorded that the provider has not confirmed yet:
-- a cancel records its refunds in one transaction and tells the provider
-- after it commits. A row leaves once the provider said yes; one left by a
-- process that died is told by the next worker (see TellRefunds). Not part
-- of the ledger: rows come and go.
CREATE TABLE refunds_to_tell (
	refund_id   text PRIMARY KEY REFERENCES ledger_transfers (id),
	split_id    bigint NOT NULL REFERENCES splits (id),
	check_after timestamptz NOT NULL
);
CREATE INDEX refunds_to_tell_due ON refunds_to_tell (check_after);
