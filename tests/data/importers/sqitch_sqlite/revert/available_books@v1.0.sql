-- Revert library:available_books

BEGIN;

DROP VIEW available_books;

COMMIT;
