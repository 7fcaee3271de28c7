-- Deploy library:available_books (reworked: books out on loan are not on the shelf)

BEGIN;

DROP VIEW available_books;
CREATE VIEW available_books AS
    SELECT b.id, b.title FROM books b
    WHERE NOT EXISTS (
        SELECT 1 FROM loans l WHERE l.book_id = b.id AND l.returned_at IS NULL
    );

COMMIT;
