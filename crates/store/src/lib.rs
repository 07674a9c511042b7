//! daytwo's durable state in one SQLite file (`$DAYTWO_HOME/state.db`, WAL
//! mode): the envs that are up (their spec, release and routing), the last
//! known status of each replica, the event log, the imported releases and
//! the deploy history, flag changes made at run time and each env's OFREP port,
//! incidents, and coarse telemetry summaries per release (measured behaviour).
//!
//! ```text
//! daemon ──(blocking thread)──> Store ──> envs · replicas · events (SQLite)
//! ```
//!
//! One module per table family (`envs`, `replicas`, `events`, `releases`,
//! `deployments`, `flags`, `incidents`, `telemetry`); the schema is
//! versioned with `PRAGMA user_version` (`migrations`). The store knows nothing
//! of the engine: replica statuses are opaque JSON documents keyed by
//! `(env, process, replica)`, which the daemon (de)serializes.
//!
//! The API is synchronous (rusqlite). Callers on an async runtime run it on a
//! blocking thread.

mod deployments;
mod envs;
mod events;
mod flags;
mod incidents;
mod migrations;
mod releases;
mod replicas;
mod telemetry;

pub use deployments::{DeployedRelease, DeploymentEnd, DeploymentRecord, RUNNING};
pub use envs::EnvRecord;
pub use events::{DEFAULT_EVENT_RETENTION, EventRecord, NewEvent};
pub use flags::{FlagChangeRecord, NewFlagChange};
pub use incidents::{IncidentRecord, NewIncident};
pub use migrations::SCHEMA_VERSION;
pub use releases::ReleaseRecord;
pub use replicas::ReplicaRecord;
pub use telemetry::{DEFAULT_TELEMETRY_RETENTION, ReleaseBehaviour, TelemetrySummary};

use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a statement waits for a lock held by another connection.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the state database {path} has schema version {found}, newer than this daytwo supports ({supported})"
    )]
    SchemaTooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("migrating the state database {path} to schema version {version} failed: {source}")]
    Migrate {
        path: PathBuf,
        version: u32,
        source: rusqlite::Error,
    },
    #[error("state database {operation} failed: {source}")]
    Query {
        operation: &'static str,
        source: rusqlite::Error,
    },
    #[error("the state database holds an invalid {what}: `{value}`")]
    Corrupt { what: &'static str, value: String },
}

impl StoreError {
    fn query(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> Self {
        move |source| Self::Query { operation, source }
    }
}

/// An open state database. Not `Sync`: share it behind a mutex and use it from
/// blocking threads.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    event_retention: u32,
    telemetry_retention: Duration,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, switches it to WAL,
    /// and migrates its schema to [`SCHEMA_VERSION`].
    pub fn open(path: impl AsRef<Path>) -> Result<Store, StoreError> {
        let path = path.as_ref().to_path_buf();
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(open_err)?;
        conn.busy_timeout(DEFAULT_BUSY_TIMEOUT).map_err(open_err)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        migrations::migrate(&conn, &path)?;
        Ok(Store {
            conn,
            path,
            event_retention: DEFAULT_EVENT_RETENTION,
            telemetry_retention: DEFAULT_TELEMETRY_RETENTION,
        })
    }

    /// Keeps at most `events` events (the newest); see [`DEFAULT_EVENT_RETENTION`].
    pub fn with_event_retention(mut self, events: u32) -> Self {
        self.event_retention = events.max(1);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the database file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrations::user_version(&self.conn).map_err(StoreError::query("read schema version"))
    }

    /// The journal mode in force (`wal` once opened).
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        self.conn
            .query_row("PRAGMA journal_mode", [], |row| row.get(0))
            .map_err(StoreError::query("read journal mode"))
    }
}

/// Timestamps are stored as RFC 3339 text (readable with the `sqlite3` shell).
fn parse_timestamp(text: String) -> Result<jiff::Timestamp, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt {
        what: "timestamp",
        value: text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_in_wal_mode_with_current_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("state.db")).unwrap();
        assert_eq!(store.journal_mode().unwrap(), "wal");
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let foreign_keys: i64 = store
            .conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
            .unwrap();
        assert_eq!(foreign_keys, 1);
    }

    #[test]
    fn reports_an_unopenable_path() {
        let dir = tempfile::tempdir().unwrap();
        let error = Store::open(dir.path().join("missing/dir/state.db"))
            .err()
            .expect("open fails");
        assert!(matches!(error, StoreError::Open { .. }), "{error}");
        assert!(error.to_string().contains("missing/dir/state.db"));
    }
}
