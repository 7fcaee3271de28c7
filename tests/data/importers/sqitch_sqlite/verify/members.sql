-- Verify library:members

BEGIN;

SELECT id, name, joined_on FROM members WHERE 0;

ROLLBACK;
