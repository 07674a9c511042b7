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

use crate::api_error::ApiError;
use crate::deploy_lock::{DeployLockGuard, DeployLocks, RunningDeploy};
use crate::deploy_record::{api_record, digest_of, engine_release, env_release, stored};
use crate::env_routes::EnvRoute;
use crate::local_target::{LocalTarget, LocalTargetParts, RunnableRelease};
use crate::migrate_phase::MigrationPhase;
use crate::migration_guard;
use crate::persist::PersistHandle;
use crate::route_sync::RouteSync;
use crate::store_handle::StoreHandle;
use crate::warm::WarmReleases;
use daytwo_api::{DeployProgress, DeployRecord};
use daytwo_engine::Engine;
use daytwo_rollout::{
    DeployEvent, DeployOutcome, DeployPlan, FailureReason, ReleaseRef, Rollback, Routing,
    SmokeCheck, Strategy, TokioClock, Verdict, apply_reconcile, reconcile, run_deploy,
    run_warm_rollback,
};
use daytwo_spec::{EnvSpec, Spec};
use daytwo_store::{DeploymentEnd, DeploymentRecord, EnvRecord, RUNNING, ReleaseRecord};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Overrides the warm window of every deploy (`500ms`, `2s`, `5m` or plain
/// seconds); used by tests and by operators who want a longer one.
pub const WARM_WINDOW_VAR: &str = "DAYTWO_WARM_WINDOW";

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
    /// Reads `DAYTWO_WARM_WINDOW`, else the rollout's default.
    pub(crate) fn warm_window_from_env() -> Duration {
        std::env::var(WARM_WINDOW_VAR)
            .ok()
            .and_then(|text| parse_duration(&text))
            .unwrap_or(daytwo_rollout::DEFAULT_WARM_WINDOW)
    }

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
            Strategy::default(),
            user,
            true,
            note,
        )
        .await
    }

    /// Refuses a rollback of `env` to `target` across a rollback-unsafe
    /// release unless `force`; a forced one gets a history note.
    async fn check_rollback(
        &self,
        env: &str,
        target: &ReleaseRecord,
        force: bool,
    ) -> Result<Option<String>, ApiError> {
        let name = env.to_string();
        let history = self
            .store
            .call(move |store| store.deployments(Some(&name)))
            .await?;
        let mut crossed = Vec::new();
        for digest in migration_guard::releases_since(&history, &target.digest) {
            let release = self.resolve(&digest).await?;
            crossed.push(migration_guard::release_manifest(&release)?);
        }
        migration_guard::check_rollback(env, &target.version, &crossed, force)
    }

    /// The release deployed before the current one: the `from` of the last
    /// deploy that brought the env onto its current release.
    async fn previous_release(&self, record: &EnvRecord) -> Result<ReleaseRecord, ApiError> {
        let env = record.name.clone();
        let current = env_release(record);
        let history = self
            .store
            .call(move |store| store.deployments(Some(&env)))
            .await?;
        let previous = history.into_iter().find_map(|row| {
            let arrived = matches!(row.outcome.as_str(), "succeeded" | "reconciled-new");
            (arrived && row.to == stored(&current))
                .then_some(row.from)
                .flatten()
        });
        let Some(digest) = previous.and_then(|from| from.digest) else {
            return Err(ApiError::conflict(
                "no_previous_release",
                format!(
                    "env `{}` has no earlier built release to roll back to",
                    record.name
                ),
            )
            .with_hint("name one with `--to VERSION` (`daytwo releases` lists them)"));
        };
        self.resolve(&digest).await
    }

    /// A stored release by version, digest or unique digest prefix.
    pub(crate) async fn resolve(&self, name: &str) -> Result<ReleaseRecord, ApiError> {
        let wanted = name.to_string();
        let mut found = self
            .store
            .call(move |store| store.find_releases(&wanted))
            .await?;
        match found.len() {
            0 => Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "release_not_found",
                format!("no stored release is `{name}`"),
            )
            .with_hint("`daytwo releases` lists them; `daytwo import FILE` adds one")),
            1 => Ok(found.remove(0)),
            _ => {
                let names: Vec<String> = found
                    .iter()
                    .map(|r| format!("{} ({})", r.version, r.digest))
                    .collect();
                Err(ApiError::conflict(
                    "ambiguous_release",
                    format!("`{name}` matches {}", names.join(", ")),
                )
                .with_hint("give the full digest"))
            }
        }
    }

    async fn env_record(&self, env: &str) -> Result<Option<EnvRecord>, ApiError> {
        let name = env.to_string();
        Ok(self.store.call(move |store| store.env(&name)).await?)
    }

    /// Checks everything, records the deploy and spawns it.
    #[allow(clippy::too_many_arguments)]
    async fn start(
        &self,
        env: &str,
        kind: DeployKind,
        release: ReleaseRecord,
        strategy: Strategy,
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

    #[allow(clippy::too_many_arguments)]
    async fn prepare(
        &self,
        env: &str,
        kind: DeployKind,
        release: ReleaseRecord,
        strategy: Strategy,
        user: &str,
        allow_warm: bool,
        guard: DeployLockGuard,
    ) -> Result<PreparedDeploy, ApiError> {
        let record = self.env_record(env).await?;
        if let Some(record) = &record
            && record.app != release.app
        {
            return Err(ApiError::conflict(
                "wrong_app",
                format!(
                    "release {} is of app `{}`, env `{env}` runs app `{}`",
                    release.version, release.app, record.app
                ),
            ));
        }
        self.verify_for_env(env, &release).await?;
        let spec: Spec = serde_json::from_str(&release.spec_json).map_err(|error| {
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "store_error",
                format!(
                    "the stored spec of {} is unreadable: {error}",
                    release.digest
                ),
            )
        })?;
        let mut to_spec = spec.env(env).map_err(|error| {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "env_not_declared",
                format!("release {}: {error}", release.version),
            )
            .with_hint(format!(
                "declare `[env.{env}]` in the spec and build again; this release knows: {}",
                spec.env_names().join(", ")
            ))
        })?;
        let migrate = MigrationPhase::of(&spec, env, &release.digest);
        // The new release's flags (run-time values kept) are served from here on.
        self.flags.serve(&mut to_spec).await?;
        let to = ReleaseRef::new(release.version.clone(), release.digest.clone());
        let from = record.as_ref().map(env_release);
        let mut plan = DeployPlan::new(&to_spec, from.clone(), to.clone(), strategy);
        plan.smoke = spec.checks_for(env).smoke.as_ref().map(|smoke| SmokeCheck {
            command: smoke.command.clone(),
            timeout: smoke.timeout,
        });
        plan.warm_window = self.warm_window;

        let warm = if allow_warm {
            match Rollback::choose(self.warm.get(env).as_ref(), &to, Instant::now()) {
                Rollback::Warm(warm) => Some(warm),
                Rollback::Cold => None,
            }
        } else {
            None
        };
        if warm.is_some() {
            plan.strategy = Strategy::BlueGreen;
        }

        let mut releases = vec![RunnableRelease {
            reference: to.clone(),
            spec: to_spec.clone(),
        }];
        let (routing, current_spec) = match &record {
            Some(record) => {
                let current: EnvSpec =
                    serde_json::from_str(&record.spec_json).map_err(|error| {
                        ApiError::new(
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                            "store_error",
                            format!("the stored spec of env `{env}` is unreadable: {error}"),
                        )
                    })?;
                if engine_release(record) != to.digest {
                    releases.push(RunnableRelease {
                        reference: env_release(record),
                        spec: current.clone(),
                    });
                }
                (parse_routing(record.routing_json.as_deref()), current)
            }
            None => (Some(Routing::empty()), to_spec.clone()),
        };
        let first = record.is_none();
        if first {
            self.record_first(env, &release, &to_spec).await?;
        }

        let plan_json = serde_json::to_string(&plan).expect("a plan serializes");
        let row = DeploymentRecord {
            id: 0,
            env: env.to_string(),
            kind: kind.as_str().to_string(),
            from: from.as_ref().map(stored),
            to: stored(&to),
            strategy: if warm.is_some() {
                "warm".to_string()
            } else {
                plan.strategy.to_string()
            },
            user: user.to_string(),
            started_at: jiff::Timestamp::now(),
            finished_at: None,
            outcome: RUNNING.to_string(),
            duration_ms: None,
            message: None,
            logs: Vec::new(),
            plan_json: Some(plan_json),
        };
        let id = self
            .store
            .call(move |store| store.start_deployment(&row))
            .await?;
        guard.set_id(id);
        let target = LocalTarget::new(LocalTargetParts {
            engine: self.engine.clone(),
            routes: self.routes.clone(),
            store: self.store.clone(),
            persist: self.persist.clone(),
            home: self.home.clone(),
            releases,
            routing,
            has_listener: EnvRoute::of(&current_spec).is_some() || EnvRoute::of(&to_spec).is_some(),
        });
        Ok(PreparedDeploy {
            env: env.to_string(),
            kind,
            plan,
            to_spec,
            target,
            warm,
            first,
            id,
            guard,
            migrate,
            note: None,
        })
    }

    /// Re-verifies the stored bundle against the keys `env` trusts.
    async fn verify_for_env(&self, env: &str, release: &ReleaseRecord) -> Result<(), ApiError> {
        let keys = daytwo_release::trust::trusted_keys(&self.home, env)
            .map_err(|error| ApiError::release(&error))?;
        if keys.is_empty() {
            return Err(ApiError::no_trusted_keys(&format!("for env `{env}`")));
        }
        let bundle = PathBuf::from(&release.bundle_path);
        let app = release.app.clone();
        let verified =
            tokio::task::spawn_blocking(move || daytwo_release::verify(&bundle, &keys, &app))
                .await
                .map_err(|error| {
                    ApiError::new(
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        "engine_error",
                        format!("verifying the bundle failed: {error}"),
                    )
                })?
                .map_err(|error| ApiError::release(&error))?;
        if verified.digest.to_string() != release.digest {
            return Err(ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "release::bundle_changed",
                format!(
                    "the stored bundle of {} now has digest {}",
                    release.digest, verified.digest
                ),
            )
            .with_hint("import the release again"));
        }
        Ok(())
    }

    /// A first deploy: the env gets its record (so its replicas are stored)
    /// and its listener, with nothing routed yet.
    async fn record_first(
        &self,
        env: &str,
        release: &ReleaseRecord,
        spec: &EnvSpec,
    ) -> Result<(), ApiError> {
        let empty = Routing::empty();
        let record = EnvRecord {
            name: env.to_string(),
            app: release.app.clone(),
            spec_json: serde_json::to_string(spec).expect("a spec serializes"),
            release: release.version.clone(),
            release_digest: Some(release.digest.clone()),
            routing_json: Some(serde_json::to_string(&empty).expect("a routing serializes")),
            listen: spec.listen.map(|addr| addr.to_string()),
            spec_file: spec.file.display().to_string(),
            updated_at: jiff::Timestamp::now(),
        };
        self.store.call(move |store| store.put_env(&record)).await?;
        if let Some(route) = EnvRoute::of(spec)
            && let Err(error) = self.routes.set_env(route.with_routing(Some(empty))).await
        {
            let name = env.to_string();
            self.store
                .call(move |store| store.delete_env(&name).map(drop))
                .await?;
            return Err(error.into());
        }
        Ok(())
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

    /// Brings the env's record, routing and warm release in line with the
    /// outcome, and says how history records it.
    #[allow(clippy::too_many_arguments)]
    async fn settle(
        &self,
        env: &str,
        kind: DeployKind,
        plan: &DeployPlan,
        to_spec: &EnvSpec,
        target: &LocalTarget,
        outcome: DeployOutcome,
        first: bool,
        note: Option<String>,
    ) -> DeploymentEnd {
        let now = jiff::Timestamp::now;
        let with_note = |message: String| match &note {
            Some(note) => format!("{note}; {message}"),
            None => message,
        };
        match outcome {
            DeployOutcome::Succeeded { warm } => {
                if let Err(error) = self
                    .record_release(env, &plan.to, Some(to_spec), target.routing())
                    .await
                {
                    tracing::error!("cannot record the release of env `{env}`: {error:?}");
                }
                if let Some(previous) = self.warm.take(env) {
                    let _ = self.engine.stop_replicas(previous.replicas).await;
                    self.persist.flush().await;
                }
                if let Some(warm) = warm {
                    self.warm.keep(
                        env,
                        warm,
                        self.locks.clone(),
                        self.engine.clone(),
                        self.persist.clone(),
                    );
                }
                DeploymentEnd {
                    outcome: "succeeded".to_string(),
                    finished_at: now(),
                    message: Some(with_note(format!(
                        "{} {} serves env `{env}`",
                        kind.as_str(),
                        plan.to
                    ))),
                    logs: Vec::new(),
                }
            }
            DeployOutcome::Failed(failure) | DeployOutcome::RolledBack(failure) => {
                if first {
                    self.forget_env(env).await;
                }
                let serving = match &plan.from {
                    Some(from) => format!("{from} keeps serving"),
                    None => "nothing was serving".to_string(),
                };
                DeploymentEnd {
                    outcome: "failed".to_string(),
                    finished_at: now(),
                    message: Some(with_note(format!("{failure}; {serving}"))),
                    logs: failure.logs,
                }
            }
            DeployOutcome::Unresolved { failure, error } => {
                let (_, verdict) = self.reconcile_now(env, plan, target).await;
                DeploymentEnd {
                    outcome: "failed".to_string(),
                    finished_at: now(),
                    message: Some(with_note(format!(
                        "{failure}; restoring the routing failed ({error}); {verdict}"
                    ))),
                    logs: failure.logs,
                }
            }
        }
    }

    /// Reconciles `plan`'s env from what runs; returns the verdict (`None`
    /// when the env could not be observed) and what happened, in words.
    pub(crate) async fn reconcile_now(
        &self,
        env: &str,
        plan: &DeployPlan,
        target: &LocalTarget,
    ) -> (Option<Verdict>, String) {
        use daytwo_rollout::Target;
        let observed = match target.observe(env).await {
            Ok(observed) => observed,
            Err(error) => return (None, format!("cannot observe the env: {error}")),
        };
        let decision = reconcile(plan, &observed);
        let applied = apply_reconcile(
            env,
            &decision,
            &observed,
            plan.drain_timeout,
            target,
            &TokioClock,
        )
        .await;
        match &decision.release {
            Some(release) => {
                let spec = target.spec_of(release);
                if let Err(error) = self
                    .record_release(env, release, spec.as_ref(), Some(decision.routing.clone()))
                    .await
                {
                    tracing::error!("cannot record the release of env `{env}`: {error:?}");
                }
            }
            None => self.forget_env(env).await,
        }
        let ends = match (&decision.verdict, &decision.release) {
            (Verdict::FinishOnNew, Some(release)) => {
                format!("finished on the new release {release}")
            }
            (_, Some(release)) => format!("back on the old release {release}"),
            (_, None) => "back to nothing running (it was the env's first deploy)".to_string(),
        };
        let said = match applied {
            Ok(()) => ends,
            Err(error) => format!("{ends}, but {error}"),
        };
        (Some(decision.verdict), said)
    }

    /// Records that `env` runs `release` (with `spec` when it changed) and
    /// routes `routing`.
    async fn record_release(
        &self,
        env: &str,
        release: &ReleaseRef,
        spec: Option<&EnvSpec>,
        routing: Option<Routing>,
    ) -> Result<(), ApiError> {
        let name = env.to_string();
        let Some(mut record) = self.store.call(move |store| store.env(&name)).await? else {
            return Ok(());
        };
        if let Some(spec) = spec {
            record.app = spec.app.clone();
            record.spec_json = serde_json::to_string(spec).expect("a spec serializes");
            record.listen = spec.listen.map(|addr| addr.to_string());
            record.spec_file = spec.file.display().to_string();
        }
        record.release = release.version.clone();
        record.release_digest = digest_of(release);
        record.routing_json = routing
            .as_ref()
            .map(|routing| serde_json::to_string(routing).expect("a routing serializes"));
        record.updated_at = jiff::Timestamp::now();
        let route = serde_json::from_str::<EnvSpec>(&record.spec_json)
            .ok()
            .and_then(|spec| EnvRoute::of(&spec));
        self.store.call(move |store| store.put_env(&record)).await?;
        match route {
            Some(route) => self.routes.set_env(route.with_routing(routing)).await?,
            None => self.routes.remove_env(env).await?,
        }
        Ok(())
    }

    /// A first deploy that did not make it: nothing runs, the env is gone.
    async fn forget_env(&self, env: &str) {
        if let Err(error) = self.routes.remove_env(env).await {
            tracing::error!("cannot remove the listener of env `{env}`: {error}");
        }
        let name = env.to_string();
        if let Err(error) = self
            .store
            .call(move |store| store.delete_env(&name).map(drop))
            .await
        {
            tracing::error!("cannot forget env `{env}`: {error}");
        }
    }

    /// `GET /v1/history`.
    pub(crate) async fn history(&self, env: Option<String>) -> Result<Vec<DeployRecord>, ApiError> {
        let rows = self
            .store
            .call(move |store| store.deployments(env.as_deref()))
            .await?;
        Ok(rows.into_iter().map(api_record).collect())
    }
}

/// Turns the driver's events into the stream's items.
fn reporter(progress: mpsc::UnboundedSender<DeployProgress>) -> impl FnMut(DeployEvent) {
    move |event| {
        let item = match event {
            DeployEvent::PhaseStarted { phase } => DeployProgress::StepStarted {
                step: phase.as_str().to_string(),
                message: String::new(),
            },
            DeployEvent::PhaseFinished { phase, elapsed } => DeployProgress::StepFinished {
                step: phase.as_str().to_string(),
                message: String::new(),
                elapsed_ms: elapsed.as_millis() as u64,
                ok: true,
            },
            DeployEvent::StepDone {
                phase,
                description,
                elapsed,
                error,
            } => DeployProgress::StepFinished {
                step: phase.as_str().to_string(),
                message: match &error {
                    Some(error) => format!("{description}: {error}"),
                    None => description,
                },
                elapsed_ms: elapsed.as_millis() as u64,
                ok: error.is_none(),
            },
        };
        let _ = progress.send(item);
    }
}

fn parse_strategy(strategy: Option<&str>) -> Result<Strategy, ApiError> {
    match strategy {
        None => Ok(Strategy::default()),
        Some(text) => text.parse().map_err(ApiError::bad_request),
    }
}

pub(crate) fn parse_routing(json: Option<&str>) -> Option<Routing> {
    json.and_then(|json| match serde_json::from_str(json) {
        Ok(routing) => Some(routing),
        Err(error) => {
            tracing::warn!(
                "a stored routing is unreadable, routing every healthy replica: {error}"
            );
            None
        }
    })
}

/// `500ms`, `2s`, `5m`, or plain seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.trim().parse().ok().map(Duration::from_millis);
    }
    if let Some(s) = text.strip_suffix('s') {
        return s.trim().parse().ok().map(Duration::from_secs_f64);
    }
    if let Some(m) = text.strip_suffix('m') {
        return m
            .trim()
            .parse::<u64>()
            .ok()
            .map(|m| Duration::from_secs(m * 60));
    }
    text.parse().ok().map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_window_variable_takes_common_duration_forms() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_duration("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("soon"), None);
    }
}
