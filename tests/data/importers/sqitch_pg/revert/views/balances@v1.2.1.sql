-- Revert ledger:views/balances from pg

BEGIN;

DROP VIEW ledger.balances;

COMMIT;
