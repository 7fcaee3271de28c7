-- Revert ledger:entries_account_idx from pg

DROP INDEX CONCURRENTLY ledger.entries_account_idx;
