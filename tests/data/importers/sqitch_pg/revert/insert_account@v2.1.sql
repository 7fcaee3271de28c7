-- Revert ledger:insert_account from pg to its first form

BEGIN;

DROP FUNCTION ledger.insert_account(TEXT, NUMERIC);

CREATE FUNCTION ledger.insert_account(owner TEXT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    new_id BIGINT;
BEGIN
    INSERT INTO ledger.accounts (owner, secret)
    VALUES (owner, crypt(owner, gen_salt('bf')))
    RETURNING id INTO new_id;
    RETURN new_id;
END;
$$;

COMMIT;
