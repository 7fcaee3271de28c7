-- Revert library:books

BEGIN;

DROP INDEX books_author;
DROP TABLE books;

COMMIT;
