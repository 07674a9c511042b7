-- The shop's schema: the product catalogue and the orders placed on it,
-- plus the catalogue's first products. `daytwo up` and every deploy apply
-- pending migrations before any replica starts (docs/migrations.md); the
-- shop itself creates no table.
--
-- `IF NOT EXISTS` and `INSERT OR IGNORE` let this adopt a database that an
-- older shop (which created its own tables) left behind.

CREATE TABLE IF NOT EXISTS products (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE IF NOT EXISTS orders (
    id           INTEGER PRIMARY KEY,
    product_id   INTEGER NOT NULL REFERENCES products (id),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    total_cents  INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'pending',
    replica      TEXT,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    fulfilled_at TEXT
);

CREATE INDEX IF NOT EXISTS orders_status ON orders (status);

INSERT OR IGNORE INTO products (name, price_cents) VALUES
    ('coffee mug', 1200),
    ('sticker pack', 450),
    ('t-shirt', 2500),
    ('notebook', 800);
