-- Verify library:available_books

BEGIN;

SELECT id, title FROM available_books WHERE 1 = 0;

ROLLBACK;
