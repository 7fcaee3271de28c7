-- Verify ledger:pgcrypto on pg

BEGIN;

SELECT 1/COUNT(*) FROM pg_catalog.pg_extension WHERE extname = 'pgcrypto';

ROLLBACK;
