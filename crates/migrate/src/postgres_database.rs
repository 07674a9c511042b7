//! PostgreSQL driver (the synchronous `postgres` crate, no TLS). A session
//! advisory lock (`pg_try_advisory_lock`, polled until the lock timeout)
//! keeps two runners from migrating the same database at once; it is held
//! for the whole run and released when the connection closes. Each
//! migration runs in a transaction unless one of its statements cannot
//! (see [`crate::transaction_mode`]).

use crate::database::{Database, Job, Outcome, now_rfc3339, statement_failed};
use crate::error::{MigrateError, redact_url};
use crate::history::{CREATE_HISTORY_POSTGRES, HistoryRow, SELECT_HISTORY};
use postgres::{Client, NoTls};
use std::time::{Duration, Instant};

/// The advisory lock key: the bytes of "daytwomg" (per database).
pub const ADVISORY_LOCK_KEY: i64 = 0x6461_7974_776f_6d67;
/// How often a waiting runner retries the advisory lock.
const LOCK_POLL_INTERVAL: Duration = Duration::from_millis(50);

const INSERT_HISTORY: &str = "INSERT INTO daytwo_schema_history \
     (version, name, checksum, applied_at, release_digest, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)";

pub(crate) struct PostgresDatabase {
    client: Client,
    label: String,
}

impl PostgresDatabase {
    pub fn connect(url: &str) -> Result<Self, MigrateError> {
        let label = redact_url(url);
        let client = Client::connect(url, NoTls).map_err(|source| MigrateError::Connect {
            url: label.clone(),
            source: source.into(),
        })?;
        Ok(PostgresDatabase { client, label })
    }
}

fn record(
    client: &mut impl postgres::GenericClient,
    job: &Job<'_>,
    duration_ms: u64,
) -> Result<(), postgres::Error> {
    client.execute(
        INSERT_HISTORY,
        &[
            &(job.migration.version as i64),
            &job.migration.name,
            &job.migration.checksum,
            &now_rfc3339(),
            &job.release_digest,
            &(duration_ms as i64),
        ],
    )?;
    Ok(())
}

impl Database for PostgresDatabase {
    fn lock(&mut self, timeout: Duration) -> Result<(), MigrateError> {
        let started = Instant::now();
        loop {
            let row = self
                .client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&ADVISORY_LOCK_KEY])
                .map_err(|source| MigrateError::History {
                    source: source.into(),
                })?;
            if row.get::<_, bool>(0) {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(MigrateError::LockTimeout {
                    url: self.label.clone(),
                    waited: timeout,
                });
            }
            std::thread::sleep(LOCK_POLL_INTERVAL);
        }
    }

    fn ensure_history(&mut self) -> Result<(), MigrateError> {
        self.client
            .batch_execute(CREATE_HISTORY_POSTGRES)
            .map_err(|source| MigrateError::History {
                source: source.into(),
            })
    }

    fn history(&mut self) -> Result<Vec<HistoryRow>, MigrateError> {
        let exists: bool = self
            .client
            .query_one(
                "SELECT to_regclass('daytwo_schema_history') IS NOT NULL",
                &[],
            )
            .map_err(|source| MigrateError::History {
                source: source.into(),
            })?
            .get(0);
        if !exists {
            return Ok(Vec::new());
        }
        let rows =
            self.client
                .query(SELECT_HISTORY, &[])
                .map_err(|source| MigrateError::History {
                    source: source.into(),
                })?;
        Ok(rows
            .iter()
            .map(|row| HistoryRow {
                version: row.get::<_, i64>(0) as u64,
                name: row.get(1),
                checksum: row.get(2),
                applied_at: row.get(3),
                release_digest: row.get(4),
                duration_ms: row.get::<_, i64>(5) as u64,
            })
            .collect())
    }

    fn apply(&mut self, job: &Job<'_>) -> Result<Outcome, MigrateError> {
        let history_error = |source: postgres::Error| MigrateError::History {
            source: source.into(),
        };
        let started = Instant::now();
        if !job.transactional {
            for statement in job.statements {
                self.client
                    .batch_execute(&statement.text)
                    .map_err(|e| statement_failed(job, statement, e.into()))?;
            }
            let duration_ms = started.elapsed().as_millis() as u64;
            record(&mut self.client, job, duration_ms).map_err(history_error)?;
            return Ok(Outcome::Applied { duration_ms });
        }
        // Dropping the transaction without commit rolls it back.
        let mut transaction = self.client.transaction().map_err(history_error)?;
        for statement in job.statements {
            transaction
                .batch_execute(&statement.text)
                .map_err(|e| statement_failed(job, statement, e.into()))?;
        }
        let duration_ms = started.elapsed().as_millis() as u64;
        record(&mut transaction, job, duration_ms).map_err(history_error)?;
        transaction.commit().map_err(history_error)?;
        Ok(Outcome::Applied { duration_ms })
    }
}
