-- Verify library:loans

BEGIN;

SELECT id, book_id, loaned_at, returned_at FROM loans WHERE 1 = 0;

ROLLBACK;
