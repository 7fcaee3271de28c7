-- Deploy ledger:views/balances to pg (reworked: count the entries)

BEGIN;

CREATE OR REPLACE VIEW ledger.balances AS
    SELECT account_id, sum(amount) AS balance, count(*) AS entries
      FROM ledger.entries
     GROUP BY account_id;

COMMIT;
