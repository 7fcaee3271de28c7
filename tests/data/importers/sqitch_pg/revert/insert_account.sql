-- Revert ledger:insert_account from pg to its second form

BEGIN;

DROP FUNCTION ledger.insert_account(TEXT, NUMERIC, TEXT);
ALTER TABLE ledger.accounts DROP COLUMN opened_by;

CREATE FUNCTION ledger.insert_account(owner TEXT, opening NUMERIC) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    new_id BIGINT;
BEGIN
    INSERT INTO ledger.accounts (owner, secret)
    VALUES (owner, crypt(owner, gen_salt('bf')))
    RETURNING id INTO new_id;
    INSERT INTO ledger.entries (account_id, amount) VALUES (new_id, opening);
    RETURN new_id;
END;
$$;

COMMIT;
