//! The runner's view of a database: lock, history, apply one migration.
//! Implemented for SQLite ([`crate::sqlite_database`]) and PostgreSQL
//! ([`crate::postgres_database`]).

use crate::database_url::DatabaseUrl;
use crate::error::MigrateError;
use crate::history::HistoryRow;
use crate::migration_file::Migration;
use crate::statement::SqlStatement;
use std::time::Duration;

/// One migration ready to run.
pub(crate) struct Job<'a> {
    pub migration: &'a Migration,
    pub statements: &'a [SqlStatement],
    /// False when a statement cannot run in a transaction.
    pub transactional: bool,
    pub release_digest: Option<&'a str>,
}

/// What applying one job did.
pub(crate) enum Outcome {
    Applied {
        duration_ms: u64,
    },
    /// Another runner applied this version meanwhile (SQLite re-checks the
    /// history inside its write lock).
    AlreadyApplied,
}

pub(crate) trait Database {
    /// Takes the migration lock (PostgreSQL: a session advisory lock), waiting
    /// at most `timeout`. SQLite takes its lock per migration instead.
    fn lock(&mut self, timeout: Duration) -> Result<(), MigrateError>;
    fn ensure_history(&mut self) -> Result<(), MigrateError>;
    /// The history rows; empty when the table does not exist yet.
    fn history(&mut self) -> Result<Vec<HistoryRow>, MigrateError>;
    fn apply(&mut self, job: &Job<'_>) -> Result<Outcome, MigrateError>;
}

/// Opens the database at `url`; `lock_timeout` also bounds SQLite's busy wait.
pub(crate) fn open(url: &str, lock_timeout: Duration) -> Result<Box<dyn Database>, MigrateError> {
    match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(path) => Ok(Box::new(crate::sqlite_database::SqliteDatabase::open(
            &path,
            lock_timeout,
        )?)),
        DatabaseUrl::Postgres(url) => Ok(Box::new(
            crate::postgres_database::PostgresDatabase::connect(&url)?,
        )),
    }
}

/// The current time as RFC 3339 UTC with milliseconds.
pub(crate) fn now_rfc3339() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Millisecond)
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_string()
}

/// The error for statement `statement` of `job` failing with `source`.
pub(crate) fn statement_failed(
    job: &Job<'_>,
    statement: &SqlStatement,
    source: crate::error::DatabaseError,
) -> MigrateError {
    MigrateError::Migration {
        file: job.migration.file.clone(),
        line: statement.line,
        statement: statement.text.clone(),
        transactional: job.transactional,
        source,
    }
}
