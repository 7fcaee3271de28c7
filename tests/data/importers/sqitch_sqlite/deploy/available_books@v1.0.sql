-- Deploy library:available_books

BEGIN;

CREATE VIEW available_books AS SELECT id, title FROM books;

COMMIT;
