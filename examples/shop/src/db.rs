//! The shop's SQLite file: opening it, checking that its schema is there,
//! and a handle that runs queries on a blocking thread.
//!
//! The schema is not created here: it lives in `migrations/` (the seed
//! catalogue too), which daytwo applies before any replica starts (`daytwo
//! up`, every deploy, or `daytwo migrate up --env ENV`). A shop started
//! against a missing file or one without its tables refuses to run and
//! says which command creates them.
//!
//! Several replicas (web and worker) share one file, so it runs in WAL mode
//! with a busy timeout. The queries themselves live with their data:
//! `products`, `orders` and `analytics`.

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long a statement waits for another replica's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The tables the shop needs to serve, created by `migrations/0001_*`.
/// `analytics_rollups` (`0002_analytics.sql`) is not among them: only the
/// analytics feature writes it, so this code also runs against a database
/// from before that migration (a flush then fails and is logged) — the
/// same binary serves both schemas, which keeps deploys and rollbacks free.
pub const REQUIRED_TABLES: [&str; 2] = ["products", "orders"];

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The file or some of its tables are missing: migrations not applied.
    #[error(
        "the database {path} {problem}: the shop's schema comes from its migrations \
         (examples/shop/migrations); apply them with `daytwo migrate up --env {env}` \
         (`daytwo up` and deploys apply them before starting the shop), \
         or set SHOP_DB to a database that has them"
    )]
    NotMigrated {
        path: PathBuf,
        /// e.g. "does not exist" or "has no table analytics_rollups".
        problem: String,
        /// The env to name in the hint (`DAYTWO_ENV`, else `ENV`).
        env: String,
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
    /// Opens the file (which must exist), switches to WAL and checks that
    /// every table in [`REQUIRED_TABLES`] is there. `env` names the env in
    /// the error's hint. Blocking: call it off the runtime.
    pub fn open(path: &Path, env: Option<&str>) -> Result<Self, DbError> {
        let not_migrated = |problem: String| DbError::NotMigrated {
            path: path.to_owned(),
            problem,
            env: env.unwrap_or("ENV").to_string(),
        };
        // Opening would create an empty file; a missing one is a setup error.
        if !path.exists() {
            return Err(not_migrated("does not exist".to_string()));
        }
        let open_error = |source| DbError::Open {
            path: path.to_owned(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_error)?;
        let missing = missing_tables(&conn).map_err(open_error)?;
        if !missing.is_empty() {
            let noun = if missing.len() == 1 {
                "table"
            } else {
                "tables"
            };
            return Err(not_migrated(format!(
                "has no {noun} {}",
                missing.join(", ")
            )));
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
        })
    }

    /// [`Db::open`] on tokio's blocking pool.
    pub async fn open_async(path: PathBuf, env: Option<String>) -> Result<Self, DbError> {
        tokio::task::spawn_blocking(move || Self::open(&path, env.as_deref())).await?
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

/// The tables of [`REQUIRED_TABLES`] the database lacks, in that order.
fn missing_tables(conn: &Connection) -> rusqlite::Result<Vec<&'static str>> {
    let mut exists =
        conn.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1")?;
    let mut missing = Vec::new();
    for table in REQUIRED_TABLES {
        let count: i64 = exists.query_row([table], |row| row.get(0))?;
        if count == 0 {
            missing.push(table);
        }
    }
    Ok(missing)
}

/// For unit tests: `shop.db` in a temp dir with the migrations of
/// `migrations/` up to `version` applied (all of them with `None`).
#[cfg(test)]
pub(crate) fn migrated_for_test(version: Option<u64>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.db");
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    for entry in std::fs::read_dir(&all).unwrap() {
        let entry = entry.unwrap().path();
        let name = entry.file_name().unwrap().to_str().unwrap().to_string();
        let Some(number) = name.get(..4).and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        if version.is_none_or(|version| number <= version) {
            std::fs::copy(&entry, migrations.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}", path.display());
    daytwo_migrate::up(&url, &migrations, None).expect("the shop's migrations apply");
    (dir, path)
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
    fn opens_a_migrated_database_in_wal_mode_with_the_seeded_catalogue() {
        let (_dir, path) = migrated_for_test(None);
        let first = Db::open(&path, Some("dev")).unwrap();
        assert_eq!(count_products(&first), 4);
        let mode: String = first
            .conn
            .lock()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        // A second replica opening the same file sees the same catalogue.
        let second = Db::open(&path, Some("dev")).unwrap();
        assert_eq!(count_products(&second), 4);
    }

    #[test]
    fn a_missing_file_is_not_created_and_the_error_says_how_to_migrate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        let error = Db::open(&path, Some("qa")).err().expect("open must fail");
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("does not exist"), "{message}");
        assert!(message.contains("daytwo migrate up --env qa"), "{message}");
        assert!(!path.exists(), "opening must not create the file");
    }

    #[test]
    fn a_database_missing_a_table_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.db");
        rusqlite::Connection::open(&path).unwrap();
        let error = Db::open(&path, None).err().expect("open must fail");
        let message = error.to_string();
        assert!(
            message.contains("has no tables products, orders"),
            "{message}"
        );
        assert!(message.contains("daytwo migrate up --env ENV"), "{message}");
    }
}
