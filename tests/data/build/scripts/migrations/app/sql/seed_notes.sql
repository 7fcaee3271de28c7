INSERT INTO notes (body) VALUES ('  first  '), ('second');
