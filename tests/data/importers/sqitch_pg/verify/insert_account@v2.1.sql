-- Verify ledger:insert_account on pg

BEGIN;

SELECT has_function_privilege('ledger.insert_account(text, numeric)', 'execute');

ROLLBACK;
