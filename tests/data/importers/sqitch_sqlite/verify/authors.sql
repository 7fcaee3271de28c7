-- Verify library:authors

BEGIN;

SELECT id, name FROM authors WHERE 1 = 0;

ROLLBACK;
