//! The deploy's `migrate` step: when the env's spec (the one inside the
//! release) has `[migrations] database`, apply the release's pending
//! migrations before the rollout starts any replica or moves any traffic.
//! A failure aborts the deploy with nothing else changed.
//!
//! ```text
//! prepared deploy ─MigrationPhase::of(spec, env)─> up(database, <release>/app/<dir>, digest) ─ok─> run_deploy
//!                                                                                    └─err─> deploy failed, old release serves
//! ```

use daytwo_api::DeployProgress;
use daytwo_spec::Spec;
use std::path::PathBuf;
use std::time::Instant;
use tokio::sync::mpsc;

/// The name of the step in the progress stream.
pub(crate) const MIGRATE_STEP: &str = "migrate";

/// What the migrate step runs.
#[derive(Debug, Clone)]
pub(crate) struct MigrationPhase {
    pub(crate) database: String,
    /// The release's migration directory (inside its extracted app directory).
    pub(crate) dir: PathBuf,
    pub(crate) digest: String,
}

impl MigrationPhase {
    /// The phase of `env` for the release's `spec` (rebased onto its app
    /// directory); `None` when the env has no `[migrations] database`.
    pub(crate) fn of(spec: &Spec, env: &str, digest: &str) -> Option<Self> {
        let migrations = spec.migrations_for(env)?;
        Some(Self {
            database: migrations.database.clone()?,
            dir: migrations.dir.clone(),
            digest: digest.to_string(),
        })
    }

    /// Applies the pending migrations, reporting the step; the error is the
    /// runner's (it names the file, line and statement).
    pub(crate) async fn run(
        &self,
        progress: &mpsc::UnboundedSender<DeployProgress>,
    ) -> Result<(), String> {
        let target = daytwo_migrate::redact_url(&self.database);
        let _ = progress.send(DeployProgress::StepStarted {
            step: MIGRATE_STEP.to_string(),
            message: format!("applying {} to {target}", self.dir.display()),
        });
        let started = Instant::now();
        let phase = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            daytwo_migrate::up(&phase.database, &phase.dir, Some(&phase.digest))
        })
        .await
        .map_err(|error| format!("the migration task failed: {error}"))
        .and_then(|result| result.map_err(|error| error.to_string()));
        let (message, outcome) = match result {
            Ok(applied) if applied.is_empty() => ("no pending migration".to_string(), Ok(())),
            Ok(applied) => {
                let files: Vec<&str> = applied.iter().map(|a| a.file.as_str()).collect();
                (format!("applied {}", files.join(", ")), Ok(()))
            }
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
