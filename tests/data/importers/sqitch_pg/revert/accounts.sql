-- Revert ledger:accounts from pg

BEGIN;

DROP TABLE ledger.accounts;

COMMIT;
