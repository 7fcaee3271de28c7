-- Members of the club.
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL
);
