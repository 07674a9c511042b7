//! The catalogue: products with a price, read-only over HTTP.

use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub id: i64,
    pub name: String,
    pub price_cents: i64,
}

impl Product {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            name: row.get("name")?,
            price_cents: row.get("price_cents")?,
        })
    }
}

/// All products, by id.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Product>> {
    let mut statement =
        conn.prepare_cached("SELECT id, name, price_cents FROM products ORDER BY id")?;
    statement.query_map([], Product::from_row)?.collect()
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Product>> {
    conn.prepare_cached("SELECT id, name, price_cents FROM products WHERE id = ?1")?
        .query_row([id], Product::from_row)
        .optional()
}
