-- Deploy library:members
-- requires: catalog:patrons

BEGIN;

CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    joined_on TEXT NOT NULL
);

COMMIT;
