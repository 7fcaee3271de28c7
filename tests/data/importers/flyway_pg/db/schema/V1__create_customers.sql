-- Customers of the shop.
-- Owner: ${flyway:user}
CREATE TABLE customers (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL
);
