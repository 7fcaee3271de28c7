-- Deploy library:loans
-- requires: books

BEGIN;

CREATE TABLE loans (
    id INTEGER PRIMARY KEY,
    book_id INTEGER NOT NULL REFERENCES books (id),
    loaned_at TEXT NOT NULL,
    returned_at TEXT
);

COMMIT;
