//! SQLite driver (rusqlite, bundled). Each migration runs in its own
//! `BEGIN IMMEDIATE` transaction: that takes SQLite's write lock, so two
//! runners serialise, and the history is re-read inside it so a version
//! another runner applied meanwhile is skipped, never applied twice.

use crate::database::{Database, Job, Outcome, now_rfc3339, statement_failed};
use crate::error::{DatabaseError, MigrateError};
use crate::history::{CREATE_HISTORY_SQLITE, HistoryRow, SELECT_HISTORY};
use rusqlite::{Connection, ErrorCode, params};
use std::path::Path;
use std::time::{Duration, Instant};

pub(crate) struct SqliteDatabase {
    conn: Connection,
    label: String,
    lock_timeout: Duration,
}

impl SqliteDatabase {
    pub fn open(path: &Path, lock_timeout: Duration) -> Result<Self, MigrateError> {
        let label = format!("sqlite://{}", path.display());
        let connect = |source: rusqlite::Error| MigrateError::Connect {
            url: label.clone(),
            source: source.into(),
        };
        let conn = Connection::open(path).map_err(connect)?;
        conn.busy_timeout(lock_timeout).map_err(connect)?;
        Ok(SqliteDatabase {
            conn,
            label,
            lock_timeout,
        })
    }

    /// `BEGIN IMMEDIATE`, turning "database is locked" into a lock timeout.
    fn begin_immediate(&self) -> Result<(), MigrateError> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|e| {
            if is_busy(&e) {
                MigrateError::LockTimeout {
                    url: self.label.clone(),
                    waited: self.lock_timeout,
                }
            } else {
                MigrateError::History { source: e.into() }
            }
        })
    }

    fn is_applied(&self, version: u64) -> Result<bool, rusqlite::Error> {
        self.conn
            .query_row(
                "SELECT count(*) FROM daytwo_schema_history WHERE version = ?1",
                params![version as i64],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| n > 0)
    }

    fn record(&self, job: &Job<'_>, duration_ms: u64) -> Result<(), rusqlite::Error> {
        self.conn.execute(
            "INSERT INTO daytwo_schema_history (version, name, checksum, applied_at, release_digest, duration_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                job.migration.version as i64,
                job.migration.name,
                job.migration.checksum,
                now_rfc3339(),
                job.release_digest,
                duration_ms as i64
            ],
        )?;
        Ok(())
    }

    fn rollback(&self) {
        // The transaction may already be gone (SQLite rolls back on some errors).
        let _ = self.conn.execute_batch("ROLLBACK");
    }
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

impl Database for SqliteDatabase {
    fn lock(&mut self, _timeout: Duration) -> Result<(), MigrateError> {
        Ok(())
    }

    fn ensure_history(&mut self) -> Result<(), MigrateError> {
        self.begin_immediate()?;
        let created = self.conn.execute_batch(CREATE_HISTORY_SQLITE);
        match created.and_then(|()| self.conn.execute_batch("COMMIT")) {
            Ok(()) => Ok(()),
            Err(source) => {
                self.rollback();
                Err(MigrateError::History {
                    source: source.into(),
                })
            }
        }
    }

    fn history(&mut self) -> Result<Vec<HistoryRow>, MigrateError> {
        let read = || -> Result<Vec<HistoryRow>, rusqlite::Error> {
            let exists: i64 = self.conn.query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'daytwo_schema_history'",
                [],
                |row| row.get(0),
            )?;
            if exists == 0 {
                return Ok(Vec::new());
            }
            let mut statement = self.conn.prepare(SELECT_HISTORY)?;
            let rows = statement.query_map([], |row| {
                Ok(HistoryRow {
                    version: row.get::<_, i64>(0)? as u64,
                    name: row.get(1)?,
                    checksum: row.get(2)?,
                    applied_at: row.get(3)?,
                    release_digest: row.get(4)?,
                    duration_ms: row.get::<_, i64>(5)? as u64,
                })
            })?;
            rows.collect()
        };
        read().map_err(|source| MigrateError::History {
            source: DatabaseError::from(source),
        })
    }

    fn apply(&mut self, job: &Job<'_>) -> Result<Outcome, MigrateError> {
        let history_error = |source: rusqlite::Error| MigrateError::History {
            source: source.into(),
        };
        if !job.transactional {
            let started = Instant::now();
            for statement in job.statements {
                self.conn
                    .execute_batch(&statement.text)
                    .map_err(|e| statement_failed(job, statement, e.into()))?;
            }
            let duration_ms = started.elapsed().as_millis() as u64;
            self.record(job, duration_ms).map_err(history_error)?;
            return Ok(Outcome::Applied { duration_ms });
        }
        self.begin_immediate()?;
        match self.is_applied(job.migration.version) {
            Ok(true) => {
                self.rollback();
                return Ok(Outcome::AlreadyApplied);
            }
            Ok(false) => {}
            Err(e) => {
                self.rollback();
                return Err(history_error(e));
            }
        }
        let started = Instant::now();
        for statement in job.statements {
            if let Err(e) = self.conn.execute_batch(&statement.text) {
                self.rollback();
                return Err(statement_failed(job, statement, e.into()));
            }
        }
        let duration_ms = started.elapsed().as_millis() as u64;
        if let Err(e) = self
            .record(job, duration_ms)
            .and_then(|()| self.conn.execute_batch("COMMIT"))
        {
            self.rollback();
            return Err(history_error(e));
        }
        Ok(Outcome::Applied { duration_ms })
    }
}
