-- Revert ledger:pgcrypto from pg

BEGIN;

DROP EXTENSION pgcrypto;

COMMIT;
