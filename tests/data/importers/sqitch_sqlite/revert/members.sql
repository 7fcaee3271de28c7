-- Revert library:members

BEGIN;

DROP TABLE members;

COMMIT;
