//! Orders: created by the web process as `pending`, fulfilled by the worker.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior};
use serde::Serialize;

pub const STATUS_PENDING: &str = "pending";
pub const STATUS_FULFILLED: &str = "fulfilled";

const COLUMNS: &str =
    "id, product_id, quantity, total_cents, status, replica, created_at, fulfilled_at";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: i64,
    pub product_id: i64,
    pub quantity: i64,
    pub total_cents: i64,
    /// `pending` or `fulfilled`.
    pub status: String,
    /// The replica (`DAYTWO_REPLICA`) that took the order, if known.
    pub replica: Option<String>,
    /// RFC 3339 UTC, e.g. `2025-01-01T12:00:00.123Z`.
    pub created_at: String,
    pub fulfilled_at: Option<String>,
}

impl Order {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get("id")?,
            product_id: row.get("product_id")?,
            quantity: row.get("quantity")?,
            total_cents: row.get("total_cents")?,
            status: row.get("status")?,
            replica: row.get("replica")?,
            created_at: row.get("created_at")?,
            fulfilled_at: row.get("fulfilled_at")?,
        })
    }
}

/// What a client asks for; validated by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    pub product_id: i64,
    pub quantity: i64,
}

/// Creates a pending order priced from the catalogue. `Ok(None)` when the
/// product does not exist.
pub fn create(
    conn: &mut Connection,
    order: NewOrder,
    replica: Option<&str>,
) -> rusqlite::Result<Option<Order>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let price: Option<i64> = tx
        .query_row(
            "SELECT price_cents FROM products WHERE id = ?1",
            [order.product_id],
            |row| row.get(0),
        )
        .optional()?;
    let Some(price_cents) = price else {
        return Ok(None);
    };
    let created = tx.query_row(
        &format!(
            "INSERT INTO orders (product_id, quantity, total_cents, status, replica)
             VALUES (?1, ?2, ?3, ?4, ?5) RETURNING {COLUMNS}"
        ),
        (
            order.product_id,
            order.quantity,
            price_cents * order.quantity,
            STATUS_PENDING,
            replica,
        ),
        Order::from_row,
    )?;
    tx.commit()?;
    Ok(Some(created))
}

pub fn get(conn: &Connection, id: i64) -> rusqlite::Result<Option<Order>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM orders WHERE id = ?1"))?
        .query_row([id], Order::from_row)
        .optional()
}

/// The outcome of one fulfilment pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fulfilment {
    /// Orders that were pending when the pass started.
    pub pending: u64,
    /// Orders this pass marked fulfilled.
    pub fulfilled: u64,
}

/// Marks every pending order fulfilled, atomically.
pub fn fulfil_pending(conn: &mut Connection) -> rusqlite::Result<Fulfilment> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let pending: i64 = tx.query_row(
        "SELECT COUNT(*) FROM orders WHERE status = ?1",
        [STATUS_PENDING],
        |row| row.get(0),
    )?;
    let fulfilled = tx.execute(
        "UPDATE orders SET status = ?1, fulfilled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE status = ?2",
        [STATUS_FULFILLED, STATUS_PENDING],
    )?;
    tx.commit()?;
    Ok(Fulfilment {
        pending: pending.unsigned_abs(),
        fulfilled: fulfilled as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn open() -> (tempfile::TempDir, Db) {
        let (dir, path) = crate::db::migrated_for_test(None);
        let db = Db::open(&path, None).unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn create_prices_the_order_from_the_catalogue() {
        let (_dir, db) = open();
        let order = db
            .call(|conn| {
                create(
                    conn,
                    NewOrder {
                        product_id: 1,
                        quantity: 3,
                    },
                    Some("dev/web.1"),
                )
            })
            .await
            .unwrap()
            .expect("product 1 exists");
        // Product 1 is the coffee mug at 12.00, seeded by 0001_catalogue.sql.
        assert_eq!(order.total_cents, 3 * 1200);
        assert_eq!(order.status, STATUS_PENDING);
        assert_eq!(order.replica.as_deref(), Some("dev/web.1"));
        let read = db.call(move |conn| get(conn, order.id)).await.unwrap();
        assert_eq!(read, Some(order));
    }

    #[tokio::test]
    async fn create_for_an_unknown_product_creates_nothing() {
        let (_dir, db) = open();
        let order = db
            .call(|conn| {
                create(
                    conn,
                    NewOrder {
                        product_id: 999,
                        quantity: 1,
                    },
                    None,
                )
            })
            .await
            .unwrap();
        assert_eq!(order, None);
        let pass = db.call(fulfil_pending).await.unwrap();
        assert_eq!(pass.pending, 0);
    }

    #[tokio::test]
    async fn fulfil_pending_marks_each_pending_order_once() {
        let (_dir, db) = open();
        for product_id in [1, 2] {
            db.call(move |conn| {
                create(
                    conn,
                    NewOrder {
                        product_id,
                        quantity: 1,
                    },
                    None,
                )
            })
            .await
            .unwrap();
        }
        let first = db.call(fulfil_pending).await.unwrap();
        assert_eq!(
            first,
            Fulfilment {
                pending: 2,
                fulfilled: 2
            }
        );
        let second = db.call(fulfil_pending).await.unwrap();
        assert_eq!(
            second,
            Fulfilment {
                pending: 0,
                fulfilled: 0
            }
        );
        let order = db.call(|conn| get(conn, 1)).await.unwrap().unwrap();
        assert_eq!(order.status, STATUS_FULFILLED);
        assert!(order.fulfilled_at.is_some());
    }
}
