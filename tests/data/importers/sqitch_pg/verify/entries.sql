-- Verify ledger:entries on pg

BEGIN;

DO $$
BEGIN
    PERFORM 1 FROM information_schema.columns
     WHERE table_schema = 'ledger' AND table_name = 'entries' AND column_name = 'amount';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger.entries has no amount column';
    END IF;
END;
$$;

ROLLBACK;
