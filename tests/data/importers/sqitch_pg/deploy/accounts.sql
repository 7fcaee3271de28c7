-- Deploy ledger:accounts to pg
-- requires: appschema

BEGIN;

CREATE TABLE ledger.accounts (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner     TEXT        NOT NULL,
    secret    TEXT        NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

COMMIT;
