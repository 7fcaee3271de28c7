-- Deploy ledger:appschema to pg

BEGIN;

CREATE SCHEMA ledger;

COMMIT;
