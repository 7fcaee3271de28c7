-- Verify ledger:views/balances on pg

BEGIN;

SELECT account_id, balance FROM ledger.balances WHERE FALSE;

ROLLBACK;
