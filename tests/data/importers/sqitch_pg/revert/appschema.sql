-- Revert ledger:appschema from pg

BEGIN;

DROP SCHEMA ledger;

COMMIT;
