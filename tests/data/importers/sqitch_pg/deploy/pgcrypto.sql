-- Deploy ledger:pgcrypto to pg
-- requires: appschema

BEGIN;

CREATE EXTENSION IF NOT EXISTS pgcrypto;

COMMIT;
