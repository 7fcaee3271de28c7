-- Verify ledger:views/balances on pg

BEGIN;

SELECT account_id, balance, entries FROM ledger.balances WHERE FALSE;

ROLLBACK;
