-- Verify ledger:appschema on pg

BEGIN;

SELECT pg_catalog.has_schema_privilege('ledger', 'usage');

ROLLBACK;
