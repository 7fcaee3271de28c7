-- Revert ledger:entries from pg

BEGIN;

DROP TABLE ledger.entries;

COMMIT;
