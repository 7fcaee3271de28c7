-- Deploy ledger:views/balances to pg
-- requires: entries

BEGIN;

CREATE VIEW ledger.balances AS
    SELECT account_id, sum(amount) AS balance
      FROM ledger.entries
     GROUP BY account_id;

COMMIT;
