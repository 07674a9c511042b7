//! Deploy, promote and roll back, top to bottom:
//!
//! ```text
//! request ─resolve release─> lock env (409 if busy) ─re-verify bundle vs the env's trusted keys─>
//!   spec of the release for the env ─> DeployPlan ─> history row `running` (with the plan) ─>
//!   spawn: run_deploy / run_warm_rollback (LocalTarget) ─progress─> NDJSON stream
//!   ─> settle the env (record, routing, warm release) ─> history row finished ─> `result`
//! ```
//!
//! Everything that can refuse (unknown release, busy env, untrusted or
//! tampered bundle, undeclared env) does so before anything changes. The
//! deploy itself runs in its own task: a client that disconnects does not
//! stop it. The env's record keeps the release it runs until the deploy
//! succeeds; the history row keeps the plan while it runs, so a daemon
//! restarted mid-deploy reconciles it (`reconcile_at_start`).
//!
//! This file holds the flow; `resolve` finds and verifies releases,
//! `prepare` builds the plan, `progress` streams it, `settle` and `record`
//! bring the env in line with the outcome.

mod prepare;
mod progress;
mod record;
mod resolve;
mod settle;
mod warm_window;

pub(crate) use record::parse_routing;
pub use warm_window::WARM_WINDOW_VAR;

use crate::api_error::ApiError;
use crate::deploy_lock::{DeployLockGuard, DeployLocks, RunningDeploy};
use crate::deploy_record::api_record;
use crate::local_target::LocalTarget;
use crate::migrate_phase::MigrationPhase;
use crate::migration_guard;
use crate::persist::PersistHandle;
use crate::route_sync::RouteSync;
use crate::store_handle::StoreHandle;
use crate::warm::WarmReleases;
use daytwo_api::DeployProgress;
use daytwo_engine::Engine;
use daytwo_rollout::{
    DeployPlan, FailureReason, Strategy, TokioClock, run_deploy, run_warm_rollback,
};
use daytwo_spec::{EnvSpec, RolloutStrategy};
use daytwo_store::{DeploymentEnd, ReleaseRecord};
use progress::reporter;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

/// What a deploy, promote or rollback is, for history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeployKind {
    Deploy,
    Promote,
    Rollback,
}

impl DeployKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Promote => "promote",
            Self::Rollback => "rollback",
        }
    }
}

/// The progress stream a route answers with.
pub(crate) type ProgressStream = mpsc::UnboundedReceiver<DeployProgress>;

#[derive(Clone)]
pub(crate) struct Deployer {
    pub(crate) engine: Engine,
    pub(crate) routes: RouteSync,
    pub(crate) store: StoreHandle,
    pub(crate) persist: PersistHandle,
    pub(crate) home: PathBuf,
    pub(crate) locks: DeployLocks,
    pub(crate) warm: WarmReleases,
    pub(crate) warm_window: Duration,
    /// Each env's OFREP server; a deploy serves the new release's flags.
    pub(crate) flags: crate::flag_servers::FlagServers,
    /// The canary analysis reads its samples from here.
    pub(crate) telemetry: crate::telemetry::Telemetry,
    /// Webhook alerts (a canary rolled back by a guard, the watch firing).
    pub(crate) alerts: crate::alerts::AlertSender,
}

/// One deploy, ready to run: checked, recorded, the env locked.
struct PreparedDeploy {
    env: String,
    kind: DeployKind,
    plan: DeployPlan,
    to_spec: EnvSpec,
    target: LocalTarget,
    /// Warm rollback: the warm release to switch back to.
    warm: Option<daytwo_rollout::WarmRelease>,
    first: bool,
    id: i64,
    guard: DeployLockGuard,
    /// The `migrate` step, when the env's spec has `[migrations] database`.
    migrate: Option<MigrationPhase>,
    /// Recorded in history's message (e.g. a forced rollback).
    note: Option<String>,
}

impl Deployer {
    /// `daytwo deploy RELEASE --env ENV`.
    pub(crate) async fn deploy(
        &self,
        env: &str,
        release: &str,
        strategy: Option<&str>,
        user: &str,
        allow_contract: bool,
    ) -> Result<ProgressStream, ApiError> {
        let strategy = parse_strategy(strategy)?;
        let release = self.resolve(release).await?;
        let manifest = migration_guard::release_manifest(&release)?;
        migration_guard::check_deploy(&manifest, allow_contract)?;
        self.start(
            env,
            DeployKind::Deploy,
            release,
            strategy,
            user,
            false,
            None,
        )
        .await
    }

    /// `daytwo promote --from SRC --to ENV`: exactly the digest SRC runs.
    pub(crate) async fn promote(
        &self,
        env: &str,
        from: &str,
        strategy: Option<&str>,
        user: &str,
    ) -> Result<ProgressStream, ApiError> {
        let strategy = parse_strategy(strategy)?;
        let source = self.env_record(from).await?.ok_or_else(|| {
            ApiError::conflict("source_unhealthy", format!("env `{from}` is not up"))
        })?;
        let Some(digest) = source.release_digest.clone() else {
            return Err(ApiError::conflict(
                "source_unhealthy",
                format!("env `{from}` runs a working tree, not a built release"),
            )
            .with_hint("deploy a release to it first (`daytwo build`, `daytwo deploy`)"));
        };
        let replicas = self.engine.replicas(Some(from));
        let unhealthy: Vec<String> = replicas
            .iter()
            .filter(|status| status.state != daytwo_types::ReplicaState::Healthy)
            .map(|status| format!("{} is {}", status.key, status.state))
            .collect();
        if replicas.is_empty() || !unhealthy.is_empty() {
            let why = if replicas.is_empty() {
                "no replica runs".to_string()
            } else {
                unhealthy.join(", ")
            };
            return Err(ApiError::conflict(
                "source_unhealthy",
                format!("env `{from}` is not healthy: {why}"),
            )
            .with_hint("promote only from an env whose replicas are all healthy (`daytwo ps`)"));
        }
        let release = self.resolve(&digest).await?;
        self.start(
            env,
            DeployKind::Promote,
            release,
            strategy,
            user,
            false,
            None,
        )
        .await
    }

    /// `daytwo rollback --env ENV [--to RELEASE]`: warm when possible.
    pub(crate) async fn rollback(
        &self,
        env: &str,
        to: Option<&str>,
        user: &str,
        force: bool,
    ) -> Result<ProgressStream, ApiError> {
        let record = self.env_record(env).await?.ok_or_else(|| {
            ApiError::env_not_found(env, &[]).with_hint("deploy a release to it first")
        })?;
        let release = match to {
            Some(name) => self.resolve(name).await?,
            None => self.previous_release(&record).await?,
        };
        let note = self.check_rollback(env, &release, force).await?;
        self.start(
            env,
            DeployKind::Rollback,
            release,
            // Back to a release that ran before: no canary; a warm rollback
            // switches blue-green (prepare).
            Some(RolloutStrategy::Rolling),
            user,
            true,
            note,
        )
        .await
    }

    /// A rollback the daemon starts itself (the steady-state watch's
    /// remediation): to the previous release, as `daytwo rollback --env ENV`
    /// does, with `reason` leading history's message.
    pub(crate) async fn rollback_because(
        &self,
        env: &str,
        user: &str,
        reason: String,
    ) -> Result<ProgressStream, ApiError> {
        let record = self.env_record(env).await?.ok_or_else(|| {
            ApiError::env_not_found(env, &[]).with_hint("deploy a release to it first")
        })?;
        let release = self.previous_release(&record).await?;
        let note = match self.check_rollback(env, &release, false).await? {
            Some(note) => format!("{reason}; {note}"),
            None => reason,
        };
        self.start(
            env,
            DeployKind::Rollback,
            release,
            Some(RolloutStrategy::Rolling),
            user,
            true,
            Some(note),
        )
        .await
    }

    /// Checks everything, records the deploy and spawns it.
    #[allow(clippy::too_many_arguments)]
    async fn start(
        &self,
        env: &str,
        kind: DeployKind,
        release: ReleaseRecord,
        strategy: Option<RolloutStrategy>,
        user: &str,
        allow_warm: bool,
        note: Option<String>,
    ) -> Result<ProgressStream, ApiError> {
        let guard = self
            .locks
            .try_acquire(
                env,
                RunningDeploy {
                    id: None,
                    kind: kind.as_str().to_string(),
                    release: format!("{} ({})", release.version, release.digest),
                    user: user.to_string(),
                    started_at: jiff::Timestamp::now(),
                },
            )
            .map_err(|running| ApiError::deploy_in_progress(env, &running))?;
        let mut prepared = self
            .prepare(env, kind, release, strategy, user, allow_warm, guard)
            .await?;
        prepared.note = note;
        let (progress, stream) = mpsc::unbounded_channel();
        let this = self.clone();
        tokio::spawn(async move { this.run(prepared, progress).await });
        Ok(stream)
    }

    /// Runs a prepared deploy to its end and streams its progress.
    async fn run(self, prepared: PreparedDeploy, progress: mpsc::UnboundedSender<DeployProgress>) {
        use daytwo_rollout::Target;
        let PreparedDeploy {
            env,
            kind,
            plan,
            to_spec,
            target,
            warm,
            first,
            id,
            guard,
            migrate,
            note: request_note,
        } = prepared;
        let clock = TokioClock;
        let mut note = request_note.clone();
        // The migrate step runs before the rollout starts any replica, so a
        // failed migration changes nothing else (a warm rollback only
        // switches traffic back and runs none).
        if let Some(phase) = migrate.as_ref().filter(|_| warm.is_none())
            && let Err(error) = phase.run(&progress).await
        {
            if first {
                self.forget_env(&env).await;
            }
            let serving = match &plan.from {
                Some(from) => format!("{from} keeps serving"),
                None => "nothing was serving".to_string(),
            };
            let message = format!("migration failed, deploy aborted: {error}; {serving}");
            let end = DeploymentEnd {
                outcome: "failed".to_string(),
                finished_at: jiff::Timestamp::now(),
                message: Some(match &note {
                    Some(note) => format!("{note}; {message}"),
                    None => message,
                }),
                logs: Vec::new(),
                failed_guard: None,
            };
            self.finish(id, end, guard, &progress).await;
            return;
        }
        let outcome = match warm {
            Some(warm) => {
                self.warm.take(&env);
                let outcome = run_warm_rollback(
                    plan.clone(),
                    &warm,
                    &target,
                    &clock,
                    reporter(progress.clone()),
                )
                .await;
                let warm_unusable = matches!(
                    outcome.failure().map(|failure| &failure.reason),
                    Some(FailureReason::WarmReplicaUnhealthy { .. })
                );
                if warm_unusable {
                    let cold = format!(
                        "the warm rollback was not possible ({}); rolled back cold",
                        outcome.failure().expect("failed")
                    );
                    note = Some(match request_note {
                        Some(forced) => format!("{forced}; {cold}"),
                        None => cold,
                    });
                    let _ = target.stop_replicas(&warm.replicas).await;
                    let mut cold = plan.clone();
                    cold.strategy = Strategy::default();
                    run_deploy(cold, &target, &clock, reporter(progress.clone())).await
                } else {
                    outcome
                }
            }
            None => run_deploy(plan.clone(), &target, &clock, reporter(progress.clone())).await,
        };
        let end = self
            .settle(&env, kind, &plan, &to_spec, &target, outcome, first, note)
            .await;
        self.finish(id, end, guard, &progress).await;
    }

    /// Records the end of deployment `id`, releases the env's lock and
    /// sends the stream's `result`.
    async fn finish(
        &self,
        id: i64,
        end: DeploymentEnd,
        guard: DeployLockGuard,
        progress: &mpsc::UnboundedSender<DeployProgress>,
    ) {
        let finished = self
            .store
            .call(move |store| store.finish_deployment(id, &end))
            .await;
        drop(guard);
        match finished {
            Ok(Some(record)) => {
                let _ = progress.send(DeployProgress::Result {
                    record: Box::new(api_record(record)),
                });
            }
            Ok(None) => tracing::error!("deployment {id} vanished from the store"),
            Err(error) => tracing::error!("cannot record the end of deployment {id}: {error}"),
        }
    }
}

/// `--strategy NAME`, when given; without it the deployed release's
/// `[rollout] strategy` applies (rolling by default), and a named canary
/// takes its steps from that `[rollout]` (see `DeployPlan::new`).
fn parse_strategy(strategy: Option<&str>) -> Result<Option<RolloutStrategy>, ApiError> {
    strategy
        .map(|text| text.parse().map_err(ApiError::bad_request))
        .transpose()
}
