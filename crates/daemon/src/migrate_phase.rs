//! Applying an env's pending migrations before any of its replicas start:
//! the deploy's `migrate` step (the release's own migration directory,
//! before the rollout starts a replica or moves traffic) and `daytwo up`'s
//! (the working tree's directory, before the engine starts anything). A
//! failure aborts either with nothing else changed.
//!
//! ```text
//! prepared deploy ─MigrationPhase::of(spec, env, digest, home)─> run(progress) ─ok─> run_deploy
//!                                                                      └─err─> deploy failed, old release serves
//! POST /v1/envs/{env}/up ─MigrationPhase::for_up(migrations, env, home)─> apply() ─ok─> engine.up
//!                                                                          └─err─> up fails, nothing starts
//! ```
//!
//! The database is the env's `[migrations] database` with a relative
//! `sqlite://PATH` resolved into the env's data directory
//! ([`crate::home::env_database_url`]).

use crate::home;
use daytwo_api::DeployProgress;
use daytwo_migrate::Applied;
use daytwo_spec::{MigrationsSpec, Spec};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokio::sync::mpsc;

/// The name of the step in the progress stream.
pub(crate) const MIGRATE_STEP: &str = "migrate";

/// What the migrate step runs.
#[derive(Debug, Clone)]
pub(crate) struct MigrationPhase {
    /// The resolved URL (an absolute path for SQLite).
    pub(crate) database: String,
    /// The migration directory (a release's: inside its extracted app directory).
    pub(crate) dir: PathBuf,
    /// Recorded in the schema history; `None` for the working tree (`up`).
    pub(crate) digest: Option<String>,
    /// `DAYTWO_HOME` and the env: where the env's data directory is.
    home: PathBuf,
    env: String,
}

impl MigrationPhase {
    /// The deploy phase of `env` for the release's `spec` (rebased onto its
    /// app directory); `None` when the env has no `[migrations] database`.
    pub(crate) fn of(spec: &Spec, env: &str, digest: &str, home: &Path) -> Option<Self> {
        let mut phase = Self::for_up(spec.migrations_for(env)?, env, home)?;
        phase.digest = Some(digest.to_string());
        Some(phase)
    }

    /// The phase `daytwo up` runs for `env`'s effective `[migrations]`;
    /// `None` without a `database`.
    pub(crate) fn for_up(migrations: &MigrationsSpec, env: &str, home: &Path) -> Option<Self> {
        let database = migrations.database.as_deref()?;
        Some(Self {
            database: home::env_database_url(home, env, database),
            dir: migrations.dir.clone(),
            digest: None,
            home: home.to_path_buf(),
            env: env.to_string(),
        })
    }

    /// The database for messages (password redacted).
    pub(crate) fn target(&self) -> String {
        daytwo_migrate::redact_url(&self.database)
    }

    /// Applies the pending migrations on the blocking pool. The error is
    /// the runner's (it names the file, line and statement).
    pub(crate) async fn apply(&self) -> Result<Vec<Applied>, String> {
        let phase = self.clone();
        tokio::task::spawn_blocking(move || {
            if phase.database.starts_with("sqlite:") {
                // The file may live in the env's data dir, which the engine
                // creates only when it starts a replica.
                home::create_env_data_dir(&phase.home, &phase.env)
                    .map_err(|error| error.to_string())?;
            }
            daytwo_migrate::up(&phase.database, &phase.dir, phase.digest.as_deref())
                .map_err(|error| error.to_string())
        })
        .await
        .map_err(|error| format!("the migration task failed: {error}"))?
    }

    /// [`Self::apply`], reported as the deploy's `migrate` step.
    pub(crate) async fn run(
        &self,
        progress: &mpsc::UnboundedSender<DeployProgress>,
    ) -> Result<(), String> {
        let _ = progress.send(DeployProgress::StepStarted {
            step: MIGRATE_STEP.to_string(),
            message: format!("applying {} to {}", self.dir.display(), self.target()),
        });
        let started = Instant::now();
        let (message, outcome) = match self.apply().await {
            Ok(applied) if applied.is_empty() => ("no pending migration".to_string(), Ok(())),
            Ok(applied) => (format!("applied {}", files(&applied)), Ok(())),
            Err(error) => (error.clone(), Err(error)),
        };
        let _ = progress.send(DeployProgress::StepFinished {
            step: MIGRATE_STEP.to_string(),
            message,
            elapsed_ms: started.elapsed().as_millis() as u64,
            ok: outcome.is_ok(),
        });
        outcome
    }
}

/// `0001_a.sql, 0002_b.sql`.
pub(crate) fn files(applied: &[Applied]) -> String {
    applied
        .iter()
        .map(|a| a.file.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
