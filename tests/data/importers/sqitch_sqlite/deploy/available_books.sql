-- Deploy library:available_books (reworked again: how often each book was loaned)

BEGIN;

DROP VIEW available_books;
CREATE VIEW available_books AS
    SELECT b.id, b.title, a.name AS author,
           (SELECT COUNT(*) FROM loans l WHERE l.book_id = b.id) AS times_loaned
    FROM books b JOIN authors a ON a.id = b.author_id
    WHERE NOT EXISTS (
        SELECT 1 FROM loans l WHERE l.book_id = b.id AND l.returned_at IS NULL
    );

COMMIT;
