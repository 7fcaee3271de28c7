-- Revert ledger:insert_account from pg

BEGIN;

DROP FUNCTION ledger.insert_account(TEXT);

COMMIT;
