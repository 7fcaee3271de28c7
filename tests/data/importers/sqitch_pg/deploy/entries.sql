-- Deploy ledger:entries to pg
-- requires: accounts@v1.0

BEGIN;

CREATE TABLE ledger.entries (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT        NOT NULL REFERENCES ledger.accounts (id),
    amount     NUMERIC(12,2) NOT NULL,
    booked_at  TIMESTAMPTZ   NOT NULL DEFAULT now()
);

COMMIT;
