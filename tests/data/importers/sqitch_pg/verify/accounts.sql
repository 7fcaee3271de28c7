-- Verify ledger:accounts on pg

BEGIN;

SELECT id, owner, secret, opened_at
  FROM ledger.accounts
 WHERE FALSE;

ROLLBACK;
