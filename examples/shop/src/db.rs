//! The shop's SQLite file: opening it, its schema, the seed catalogue, and a
//! handle that runs queries on a blocking thread.
//!
//! Several replicas (web and worker) share one file, so it runs in WAL mode
//! with a busy timeout, and the schema and seed are written in one
//! `BEGIN IMMEDIATE` transaction that is safe to race. The queries themselves
//! live with their data: `products` and `orders`.

use rusqlite::{Connection, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long a statement waits for another replica's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SCHEMA: &str = "
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
";

/// The catalogue written into an empty `products` table: (name, price in cents).
pub const SEED_PRODUCTS: [(&str, i64); 4] = [
    ("coffee mug", 1200),
    ("sticker pack", 450),
    ("t-shirt", 2500),
    ("notebook", 800),
];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create the schema in {path}: {source}")]
    Schema {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database query failed: {0}")]
    Query(#[from] rusqlite::Error),
    #[error("database task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A shared connection. Cloning is cheap; queries run one at a time per
/// process on tokio's blocking pool (other replicas use their own connections).
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Db {
    /// Opens (creating if needed) the file, switches to WAL, creates the
    /// schema and seeds the catalogue once. Blocking: call it off the runtime.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let open_error = |source| DbError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_error)?;
        create_schema(&mut conn).map_err(|source| DbError::Schema {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
        })
    }

    /// [`Db::open`] on tokio's blocking pool.
    pub async fn open_async(path: PathBuf) -> Result<Self, DbError> {
        tokio::task::spawn_blocking(move || Self::open(&path)).await?
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `query` with the connection on the blocking pool.
    pub async fn call<T, F>(&self, query: F) -> Result<T, DbError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        let result = tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            query(&mut conn)
        })
        .await?;
        Ok(result?)
    }
}

fn create_schema(conn: &mut Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA)?;
    let products: i64 = tx.query_row("SELECT COUNT(*) FROM products", [], |row| row.get(0))?;
    if products == 0 {
        let mut insert = tx.prepare("INSERT INTO products (name, price_cents) VALUES (?1, ?2)")?;
        for (name, price_cents) in SEED_PRODUCTS {
            insert.execute((name, price_cents))?;
        }
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_products(db: &Db) -> i64 {
        let conn = db.conn.lock().unwrap();
        conn.query_row("SELECT COUNT(*) FROM products", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn open_creates_schema_in_wal_mode_and_seeds_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let first = Db::open(&path).unwrap();
        assert_eq!(count_products(&first), SEED_PRODUCTS.len() as i64);
        let mode: String = first
            .conn
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");

        // A second replica opening the same file does not seed again.
        let second = Db::open(&path).unwrap();
        assert_eq!(count_products(&second), SEED_PRODUCTS.len() as i64);
    }

    #[test]
    fn open_names_the_file_when_it_cannot_be_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-dir").join("shop.db");
        let error = Db::open(&path).err().expect("open must fail");
        assert!(error.to_string().contains("missing-dir"), "{error}");
    }
}
