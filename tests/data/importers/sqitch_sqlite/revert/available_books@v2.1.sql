-- Revert library:available_books to its v1.0 form

BEGIN;

DROP VIEW available_books;
CREATE VIEW available_books AS SELECT id, title FROM books;

COMMIT;
