-- Deploy library:authors

BEGIN;

CREATE TABLE authors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);

COMMIT;
