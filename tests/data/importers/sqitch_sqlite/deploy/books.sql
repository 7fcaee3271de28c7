-- Deploy library:books
-- requires: authors

BEGIN;

CREATE TABLE books (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author_id INTEGER NOT NULL REFERENCES authors (id)
);
CREATE INDEX books_author ON books (author_id);

COMMIT;
