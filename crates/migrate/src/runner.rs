//! The runner: compare a migration directory with the database's schema
//! history (`status`), list what would run (`plan`), and apply pending
//! migrations in version order (`up`), stopping at the first failure.
//!
//! `up` takes the migration lock, creates `daytwo_schema_history` if
//! needed, refuses (naming the file) when an applied migration's file
//! changed, then applies each pending migration in its own transaction
//! where the database allows it.

use crate::database::{self, Job, Outcome};
use crate::dialect::Dialect;
use crate::error::MigrateError;
use crate::history::HistoryRow;
use crate::migration_file::{Migration, MigrationDir};
use crate::statement::split_statements;
use crate::transaction_mode::no_transaction_reason;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// How long `up` waits for another runner's lock before giving up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Options of [`up_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpOptions<'a> {
    /// Recorded in `daytwo_schema_history.release_digest`.
    pub release_digest: Option<&'a str>,
    pub lock_timeout: Duration,
}

impl Default for UpOptions<'_> {
    fn default() -> Self {
        UpOptions {
            release_digest: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }
}

/// Where one migration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MigrationState {
    /// In the history with the same checksum as the file.
    Applied,
    /// In the directory, not yet applied.
    Pending,
    /// Applied, but the file changed since: `up` refuses to run.
    Changed,
    /// Applied, but no file has this version (e.g. after a rollback to an
    /// older release): harmless for `up`.
    Missing,
}

/// One line of `daytwo migrate status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationStatus {
    pub version: u64,
    pub name: String,
    /// The file name, when the directory has one for this version.
    pub file: Option<String>,
    pub state: MigrationState,
    /// The history row, when applied.
    pub applied: Option<HistoryRow>,
}

/// A pending migration as `up` would run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedMigration {
    pub version: u64,
    pub name: String,
    pub file: String,
    pub statements: usize,
    /// False when it must run without a transaction; `note` says why.
    pub transactional: bool,
    pub note: Option<String>,
}

/// One migration `up` applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    pub version: u64,
    pub name: String,
    pub file: String,
    pub duration_ms: u64,
    pub transactional: bool,
    pub note: Option<String>,
}

/// Compares `dir` with the history of the database at `url`, in version
/// order. Creates no table: a database without history has everything pending.
pub fn status(url: &str, dir: &Path) -> Result<Vec<MigrationStatus>, MigrateError> {
    let migrations = MigrationDir::load(dir)?;
    let mut db = database::open(url, DEFAULT_LOCK_TIMEOUT)?;
    let history = db.history()?;
    Ok(compare(&migrations.migrations, &history))
}

/// What `up` would run now, without running it. Fails like `up` when an
/// applied migration changed.
pub fn plan(url: &str, dir: &Path) -> Result<Vec<PlannedMigration>, MigrateError> {
    let migrations = MigrationDir::load(dir)?;
    let dialect = crate::database_url::DatabaseUrl::parse(url)?.dialect();
    let mut db = database::open(url, DEFAULT_LOCK_TIMEOUT)?;
    let history = db.history()?;
    let pending = pending(&migrations.migrations, &history)?;
    Ok(pending.into_iter().map(|m| planned(m, dialect)).collect())
}

/// Applies every pending migration of `dir` to `url` in version order,
/// recording `release_digest`. See [`up_with`].
pub fn up(
    url: &str,
    dir: &Path,
    release_digest: Option<&str>,
) -> Result<Vec<Applied>, MigrateError> {
    up_with(
        url,
        dir,
        &UpOptions {
            release_digest,
            ..UpOptions::default()
        },
    )
}

/// Applies pending migrations, stopping at the first failure: the error
/// names the file, line and statement; a transactional migration that
/// fails leaves the schema as it was, and earlier migrations stay applied.
/// A second runner waits for the first (at most `lock_timeout`) and then
/// finds the migrations applied.
pub fn up_with(
    url: &str,
    dir: &Path,
    options: &UpOptions<'_>,
) -> Result<Vec<Applied>, MigrateError> {
    let migrations = MigrationDir::load(dir)?;
    let dialect = crate::database_url::DatabaseUrl::parse(url)?.dialect();
    let mut db = database::open(url, options.lock_timeout)?;
    db.lock(options.lock_timeout)?;
    db.ensure_history()?;
    let history = db.history()?;
    let mut applied = Vec::new();
    for migration in pending(&migrations.migrations, &history)? {
        let statements = split_statements(&migration.sql);
        let plan = planned(migration, dialect);
        let job = Job {
            migration,
            statements: &statements,
            transactional: plan.transactional,
            release_digest: options.release_digest,
        };
        match db.apply(&job)? {
            Outcome::Applied { duration_ms } => applied.push(Applied {
                version: migration.version,
                name: migration.name.clone(),
                file: migration.file.clone(),
                duration_ms,
                transactional: plan.transactional,
                note: plan.note,
            }),
            Outcome::AlreadyApplied => {}
        }
    }
    Ok(applied)
}

fn compare(migrations: &[Migration], history: &[HistoryRow]) -> Vec<MigrationStatus> {
    let mut by_version: BTreeMap<u64, MigrationStatus> = BTreeMap::new();
    for row in history {
        by_version.insert(
            row.version,
            MigrationStatus {
                version: row.version,
                name: row.name.clone(),
                file: None,
                state: MigrationState::Missing,
                applied: Some(row.clone()),
            },
        );
    }
    for migration in migrations {
        let entry = by_version
            .entry(migration.version)
            .or_insert_with(|| MigrationStatus {
                version: migration.version,
                name: migration.name.clone(),
                file: None,
                state: MigrationState::Pending,
                applied: None,
            });
        entry.file = Some(migration.file.clone());
        entry.state = match &entry.applied {
            None => MigrationState::Pending,
            Some(row) if row.checksum == migration.checksum => MigrationState::Applied,
            Some(_) => MigrationState::Changed,
        };
    }
    by_version.into_values().collect()
}

/// The migrations not in `history`, after checking that none of the
/// applied ones changed.
fn pending<'a>(
    migrations: &'a [Migration],
    history: &[HistoryRow],
) -> Result<Vec<&'a Migration>, MigrateError> {
    let applied: BTreeMap<u64, &HistoryRow> =
        history.iter().map(|row| (row.version, row)).collect();
    let mut pending = Vec::new();
    for migration in migrations {
        match applied.get(&migration.version) {
            Some(row) if row.checksum != migration.checksum => {
                return Err(MigrateError::ChecksumChanged {
                    file: migration.file.clone(),
                    applied: row.checksum.clone(),
                    current: migration.checksum.clone(),
                });
            }
            Some(_) => {}
            None => pending.push(migration),
        }
    }
    Ok(pending)
}

fn planned(migration: &Migration, dialect: Dialect) -> PlannedMigration {
    let statements = split_statements(&migration.sql);
    let blocker = statements
        .iter()
        .find_map(|s| no_transaction_reason(&s.text, dialect).map(|reason| (s.line, reason)));
    PlannedMigration {
        version: migration.version,
        name: migration.name.clone(),
        file: migration.file.clone(),
        statements: statements.len(),
        transactional: blocker.is_none(),
        note: blocker.map(|(line, reason)| {
            format!("runs without a transaction: line {line}: {reason}; a failure leaves earlier statements applied")
        }),
    }
}
