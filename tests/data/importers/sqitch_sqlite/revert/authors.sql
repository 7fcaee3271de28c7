-- Revert library:authors

BEGIN;

DROP TABLE authors;

COMMIT;
