//! The schema history table `daytwo_schema_history`: one row per applied
//! migration, in the app's own database.

use serde::{Deserialize, Serialize};

pub const HISTORY_TABLE: &str = "daytwo_schema_history";

/// `applied_at` is RFC 3339 UTC text in both databases (sorts correctly
/// and reads the same everywhere).
pub(crate) const CREATE_HISTORY_SQLITE: &str = "CREATE TABLE IF NOT EXISTS daytwo_schema_history (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    release_digest TEXT,
    duration_ms INTEGER NOT NULL
)";

pub(crate) const CREATE_HISTORY_POSTGRES: &str =
    "CREATE TABLE IF NOT EXISTS daytwo_schema_history (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    release_digest TEXT,
    duration_ms BIGINT NOT NULL
)";

pub(crate) const SELECT_HISTORY: &str = "SELECT version, name, checksum, applied_at, release_digest, duration_ms \
     FROM daytwo_schema_history ORDER BY version";

/// One row of `daytwo_schema_history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub version: u64,
    pub name: String,
    /// Hex SHA-256 of the file as applied.
    pub checksum: String,
    /// RFC 3339 UTC.
    pub applied_at: String,
    /// The release that applied it (`daytwo deploy`), if any.
    pub release_digest: Option<String>,
    pub duration_ms: u64,
}
