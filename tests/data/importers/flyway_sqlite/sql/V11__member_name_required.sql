-- SQLite can't make a column NOT NULL in place: the table is rebuilt, with
-- foreign key checks off around the transaction (https://sqlite.org/lang_altertable.html).
PRAGMA foreign_keys = OFF;

BEGIN TRANSACTION;
CREATE TABLE members_new (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT ''
);
INSERT INTO members_new (id, email, name) SELECT id, email, coalesce(name, '') FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
CREATE UNIQUE INDEX members_email ON members (email);
COMMIT;

PRAGMA foreign_keys = ON;
