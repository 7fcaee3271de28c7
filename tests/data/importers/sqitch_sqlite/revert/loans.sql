-- Revert library:loans

BEGIN;

DROP TABLE loans;

COMMIT;
