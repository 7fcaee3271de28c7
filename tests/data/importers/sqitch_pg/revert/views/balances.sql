-- Revert ledger:views/balances from pg to its first form

BEGIN;

DROP VIEW ledger.balances;
CREATE VIEW ledger.balances AS
    SELECT account_id, sum(amount) AS balance
      FROM ledger.entries
     GROUP BY account_id;

COMMIT;
