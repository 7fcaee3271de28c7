CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');

CREATE TABLE orders (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    total       NUMERIC(12,2) NOT NULL,
    status      order_status NOT NULL DEFAULT 'new',
    placed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
