//! SQL migrations for the app's own database: the backward-compatibility
//! linter and the runner.
//!
//! ```text
//! dir/NNNN_name.sql ─lint─> LintReport (expand / contract / unknown per statement)
//!                   └─up──> database (SQLite or PostgreSQL) + daytwo_schema_history
//! ```
//!
//! This crate owns reading a migration directory, classifying statements
//! (one rule per file under `rules/`), and applying migrations with a schema
//! history, checksums and a lock. It does not know about specs, releases or
//! deploys: callers pass a directory and a database URL. docs/migrations.md
//! is the user-facing reference.

mod annotation;
mod database;
mod database_url;
mod dialect;
mod error;
mod finding;
mod hazard;
mod history;
mod lint;
mod migration_file;
mod postgres_database;
pub mod rules;
mod runner;
mod sqlite_database;
mod statement;
mod transaction_mode;

pub use annotation::ALLOW_PREFIX;
pub use database_url::{DatabaseUrl, resolve_sqlite_path};
pub use dialect::{Dialect, UnknownDialect};
pub use error::{DatabaseError, MigrateError, redact_url};
pub use finding::{AnnotationProblem, Class, Finding, Hazard, LintReport};
pub use hazard::{
    INDEX_WITHOUT_CONCURRENTLY, LONG_ACCESS_EXCLUSIVE_LOCK, TABLE_REWRITE, UNBATCHED_UPDATE,
};
pub use history::{HISTORY_TABLE, HistoryRow};
pub use lint::{lint_dir, lint_sql};
pub use migration_file::{DOWN_SUFFIX, Migration, MigrationDir, UP_SUFFIX};
pub use postgres_database::ADVISORY_LOCK_KEY;
pub use runner::{
    Applied, DEFAULT_LOCK_TIMEOUT, MigrationState, MigrationStatus, PlannedMigration, UpOptions,
    plan, status, up, up_with,
};
pub use statement::{SqlStatement, split_statements};
pub use transaction_mode::no_transaction_reason;
