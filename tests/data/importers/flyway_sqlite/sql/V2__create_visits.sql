CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members (id),
    visited_on TEXT NOT NULL
);
CREATE INDEX visits_member ON visits (member_id);
