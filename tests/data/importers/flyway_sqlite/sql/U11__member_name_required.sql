PRAGMA foreign_keys = OFF;

BEGIN TRANSACTION;
CREATE TABLE members_old (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT
);
INSERT INTO members_old (id, email, name) SELECT id, email, name FROM members;
DROP TABLE members;
ALTER TABLE members_old RENAME TO members;
CREATE UNIQUE INDEX members_email ON members (email);
COMMIT;

PRAGMA foreign_keys = ON;
