BEGIN;

CREATE TABLE order_lines (
    order_id BIGINT NOT NULL REFERENCES orders (id),
    sku      TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, sku)
);

COMMIT;
