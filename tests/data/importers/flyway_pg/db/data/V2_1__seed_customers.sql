INSERT INTO customers (name, email) VALUES
    ('Ada', 'Ada@Example.invalid'),
    ('Bo', 'bo@example.invalid');
