-- Verify library:available_books

BEGIN;

SELECT id, title, author FROM available_books WHERE 1 = 0;

ROLLBACK;
