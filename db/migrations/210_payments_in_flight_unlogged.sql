-- A payment's in-flight mark lives for one request (see holdPayment) and
-- means nothing after a crash (a mark left by a dead process is stale after
-- two minutes anyway), so it needs no WAL: the two commits of each payment
-- that write only this table (the mark and its release) no longer wait for
-- a WAL flush. PostgreSQL empties the table after a crash, which releases
-- every mark at once; replicas do not see it, and nothing reads it there.
ALTER TABLE payments_in_flight SET UNLOGGED;
