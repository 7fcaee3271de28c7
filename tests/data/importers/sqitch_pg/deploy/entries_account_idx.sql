-- Deploy ledger:entries_account_idx to pg
-- requires: entries
--
-- No BEGIN/COMMIT: CREATE INDEX CONCURRENTLY cannot run inside a transaction.

CREATE INDEX CONCURRENTLY entries_account_idx ON ledger.entries (account_id);
