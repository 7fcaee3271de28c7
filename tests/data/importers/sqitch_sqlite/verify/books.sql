-- Verify library:books

BEGIN;

SELECT id, title, author_id FROM books WHERE 1 = 0;

ROLLBACK;
