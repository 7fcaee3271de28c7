-- Deploy ledger:insert_account to pg (reworked again: who opened it)

BEGIN;

ALTER TABLE ledger.accounts ADD COLUMN opened_by TEXT;

DROP FUNCTION ledger.insert_account(TEXT, NUMERIC);

CREATE FUNCTION ledger.insert_account(owner TEXT, opening NUMERIC, opened_by TEXT)
RETURNS BIGINT LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    new_id BIGINT;
BEGIN
    INSERT INTO ledger.accounts (owner, secret, opened_by)
    VALUES (owner, crypt(owner, gen_salt('bf')), opened_by)
    RETURNING id INTO new_id;
    INSERT INTO ledger.entries (account_id, amount) VALUES (new_id, opening);
    RETURN new_id;
END;
$$;

COMMIT;
