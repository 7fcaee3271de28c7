-- Verify ledger:entries_account_idx on pg

BEGIN;

SELECT 1/(SELECT COUNT(*) FROM pg_catalog.pg_indexes
           WHERE schemaname = 'ledger' AND indexname = 'entries_account_idx')::int;

ROLLBACK;
