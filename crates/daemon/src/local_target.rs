//! The local [`Target`] of a deploy: the engine runs the replicas, the
//! proxy (through `route_sync`) routes them.
//!
//! ```text
//! rollout driver ─Action─> LocalTarget ─┬─> engine: start_replicas / stop_replicas / board / logs
//!                                       ├─> route_sync: the env's Routing ─> proxy table
//!                                       ├─> proxy: wait_drained (in-flight counts)
//!                                       ├─> smoke command (sh -c, DAYTWO_SMOKE_URL)
//!                                       ├─> telemetry ring: collect_samples (canary looks)
//!                                       └─> event log + verdict counters: record_verdict
//! ```
//!
//! A target serves one deploy of one env and knows the releases it may run
//! (their effective spec for the env, by digest). The engine's release
//! string of a replica is the release's digest (`working-tree` for `daytwo
//! up`). Every routing is stored in the env's record before it is sent, so
//! a restarted daemon knows which replicas received requests.

use crate::DaemonError;
use crate::persist::PersistHandle;
use crate::route_sync::{RouteSync, RouteSyncError};
use crate::smoke::{SmokeContext, run_smoke};
use crate::store_handle::StoreHandle;
use crate::telemetry::Telemetry;
use daytwo_engine::{Engine, EngineError, LogFilter};
use daytwo_proxy::{ProxyClient, ProxyClientError};
use daytwo_rollout::analysis::{Decision, SampleRequest, Verdict, WindowSamples};
use daytwo_rollout::{
    AnalysisRequest, ObservedEnv, ObservedReplica, ReleaseRef, ReplicaHealth, Routing, SmokeCheck,
    SmokeResult, Target,
};
use daytwo_spec::EnvSpec;
use daytwo_store::NewEvent;
use daytwo_types::{ReplicaKey, ReplicaState};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub(crate) enum LocalTargetError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Route(#[from] RouteSyncError),
    #[error(transparent)]
    Store(#[from] DaemonError),
    #[error("the proxy cannot tell whether {upstream} drained: {source}")]
    Drain {
        upstream: String,
        source: ProxyClientError,
    },
    #[error("release {0} is not part of this deploy")]
    UnknownRelease(String),
    #[error("{0} has no port to test")]
    NoPort(ReplicaKey),
    #[error("cannot run the smoke check: {0}")]
    Smoke(std::io::Error),
}

/// A release this target may run: its ref and its effective spec in the env.
#[derive(Debug, Clone)]
pub(crate) struct RunnableRelease {
    pub(crate) reference: ReleaseRef,
    pub(crate) spec: EnvSpec,
}

/// The engine plus the proxy, for one env.
#[derive(Clone)]
pub(crate) struct LocalTarget {
    engine: Engine,
    routes: RouteSync,
    store: StoreHandle,
    persist: PersistHandle,
    proxy: ProxyClient,
    /// By digest (the engine's release string).
    releases: Arc<BTreeMap<String, RunnableRelease>>,
    /// The env's current routing; `None`: every healthy HTTP replica.
    routing: Arc<Mutex<Option<Routing>>>,
    has_listener: bool,
    telemetry: Telemetry,
    /// When a canary look last failed (the incident opens then).
    failed_at: Arc<Mutex<Option<jiff::Timestamp>>>,
}

/// Everything a [`LocalTarget`] is built from.
pub(crate) struct LocalTargetParts {
    pub(crate) engine: Engine,
    pub(crate) routes: RouteSync,
    pub(crate) store: StoreHandle,
    pub(crate) persist: PersistHandle,
    pub(crate) home: PathBuf,
    pub(crate) releases: Vec<RunnableRelease>,
    pub(crate) routing: Option<Routing>,
    pub(crate) has_listener: bool,
    /// The samples of canary looks come from here.
    pub(crate) telemetry: Telemetry,
}

impl LocalTarget {
    pub(crate) fn new(parts: LocalTargetParts) -> Self {
        Self {
            proxy: ProxyClient::for_home(&parts.home),
            engine: parts.engine,
            routes: parts.routes,
            store: parts.store,
            persist: parts.persist,
            releases: Arc::new(
                parts
                    .releases
                    .into_iter()
                    .map(|release| (release.reference.digest.clone(), release))
                    .collect(),
            ),
            routing: Arc::new(Mutex::new(parts.routing)),
            has_listener: parts.has_listener,
            telemetry: parts.telemetry,
            failed_at: Arc::default(),
        }
    }

    /// When a canary look of this deploy failed, if one did.
    pub(crate) fn failed_at(&self) -> Option<jiff::Timestamp> {
        *self
            .failed_at
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The memory limit of `replica` as the spec of its release says.
    fn memory_limit(&self, release: &ReleaseRef, replica: &ReplicaKey) -> Option<u64> {
        self.releases
            .get(&release.digest)
            .and_then(|runnable| runnable.spec.processes.get(&replica.process))
            .and_then(|process| process.memory_limit)
    }

    /// The routing last set (or the one the target started with).
    pub(crate) fn routing(&self) -> Option<Routing> {
        self.routing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The effective spec of `release`, if this target knows it.
    pub(crate) fn spec_of(&self, release: &ReleaseRef) -> Option<EnvSpec> {
        self.releases
            .get(&release.digest)
            .map(|runnable| runnable.spec.clone())
    }

    fn release_of(&self, engine_release: &str) -> ReleaseRef {
        self.releases
            .get(engine_release)
            .map(|release| release.reference.clone())
            .unwrap_or_else(|| ReleaseRef::new(engine_release, engine_release))
    }

    fn runnable(&self, release: &ReleaseRef) -> Result<&RunnableRelease, LocalTargetError> {
        self.releases
            .get(&release.digest)
            .ok_or_else(|| LocalTargetError::UnknownRelease(release.to_string()))
    }
}

impl Target for LocalTarget {
    type Error = LocalTargetError;

    async fn observe(&self, env: &str) -> Result<ObservedEnv, Self::Error> {
        let routing = self.routing();
        let replicas = self
            .engine
            .replicas(Some(env))
            .into_iter()
            .map(|status| {
                let http = status.port.is_some();
                let receiving = match &routing {
                    None => http,
                    Some(routing) => routing.is_receiving(&status.key),
                };
                ObservedReplica {
                    release: self.release_of(&status.release),
                    http,
                    health: ReplicaHealth::new(status.state, status.restarts),
                    receiving,
                    key: status.key,
                }
            })
            .collect();
        Ok(ObservedEnv { replicas })
    }

    async fn start_replicas(
        &self,
        env: &str,
        release: &ReleaseRef,
        process: &str,
        count: u32,
    ) -> Result<Vec<ReplicaKey>, Self::Error> {
        let runnable = self.runnable(release)?;
        let before: BTreeSet<ReplicaKey> = self
            .engine
            .replicas(Some(env))
            .into_iter()
            .map(|status| status.key)
            .collect();
        let counts = BTreeMap::from([(process.to_string(), count)]);
        let started = self
            .engine
            .start_replicas(runnable.spec.clone(), release.digest.clone(), counts)
            .await;
        let result = match started {
            Ok(statuses) => Ok(statuses.into_iter().map(|status| status.key).collect()),
            Err(error) => {
                // Those of this call that did start must not stay.
                let leftovers: Vec<ReplicaKey> = self
                    .engine
                    .replicas(Some(env))
                    .into_iter()
                    .filter(|status| !before.contains(&status.key) && status.key.process == process)
                    .map(|status| status.key)
                    .collect();
                if !leftovers.is_empty() {
                    let _ = self.engine.stop_replicas(leftovers).await;
                }
                Err(error.into())
            }
        };
        // Stored before the deploy goes on: a restarted daemon adopts them.
        self.persist.flush().await;
        result
    }

    async fn replica_health(&self, replica: &ReplicaKey) -> Result<ReplicaHealth, Self::Error> {
        Ok(self
            .engine
            .replicas(Some(&replica.env))
            .into_iter()
            .find(|status| status.key == *replica)
            .map_or(ReplicaHealth::new(ReplicaState::Exited, 0), |status| {
                ReplicaHealth::new(status.state, status.restarts)
            }))
    }

    async fn run_smoke(
        &self,
        replica: &ReplicaKey,
        check: &SmokeCheck,
    ) -> Result<SmokeResult, Self::Error> {
        let status = self
            .engine
            .replicas(Some(&replica.env))
            .into_iter()
            .find(|status| status.key == *replica)
            .ok_or_else(|| LocalTargetError::NoPort(replica.clone()))?;
        let port = status
            .port
            .ok_or_else(|| LocalTargetError::NoPort(replica.clone()))?;
        let release = self.release_of(&status.release);
        let runnable = self.runnable(&release)?;
        let context = SmokeContext {
            port,
            app: runnable.spec.app.clone(),
            env: replica.env.clone(),
            release,
            dir: runnable.spec.dir.clone(),
        };
        run_smoke(check, &context)
            .await
            .map_err(LocalTargetError::Smoke)
    }

    async fn set_routes(&self, env: &str, routing: &Routing) -> Result<(), Self::Error> {
        let json = serde_json::to_string(routing).expect("a routing serializes");
        let name = env.to_string();
        self.store
            .call(move |store| store.set_env_routing(&name, Some(&json)))
            .await?;
        *self.routing.lock().unwrap_or_else(PoisonError::into_inner) = Some(routing.clone());
        self.routes
            .set_routing(env, Some(routing.clone()))
            .await
            .map_err(Into::into)
    }

    async fn wait_drained(
        &self,
        replicas: &[ReplicaKey],
        timeout: Duration,
    ) -> Result<bool, Self::Error> {
        if !self.has_listener {
            return Ok(true);
        }
        let waits = replicas.iter().map(|replica| {
            let proxy = self.proxy.clone();
            let upstream = replica.to_string();
            async move {
                let left = proxy.wait_drained(&upstream, timeout).await;
                (upstream, left)
            }
        });
        let mut drained = true;
        for (upstream, left) in futures_util::future::join_all(waits).await {
            match left {
                Ok(0) => {}
                Ok(_) => drained = false,
                Err(source) => return Err(LocalTargetError::Drain { upstream, source }),
            }
        }
        Ok(drained)
    }

    async fn stop_replicas(&self, replicas: &[ReplicaKey]) -> Result<(), Self::Error> {
        let stopped = self.engine.stop_replicas(replicas.to_vec()).await;
        self.persist.flush().await;
        stopped.map(drop).map_err(Into::into)
    }

    async fn replica_logs(
        &self,
        replica: &ReplicaKey,
        last_n: usize,
    ) -> Result<Vec<String>, Self::Error> {
        let mut lines = self.engine.logs(LogFilter {
            env: Some(replica.env.clone()),
            process: Some(replica.process.clone()),
            replica: Some(replica.replica),
            since: None,
            tail: Some(last_n),
            follow: false,
        });
        let mut out = Vec::new();
        while let Some(record) = lines.recv().await {
            out.push(record.line);
        }
        let skip = out.len().saturating_sub(last_n);
        Ok(out.split_off(skip))
    }

    /// From the telemetry ring: the request's `from`/`to` are instants of
    /// the driver's clock (`TokioClock`, the monotonic clock the sampler
    /// stamps its points with).
    async fn collect_samples(
        &self,
        env: &str,
        request: &SampleRequest,
    ) -> Result<WindowSamples, Self::Error> {
        let limit = |replica: &ReplicaKey| {
            let release = if request.candidate_replicas.contains(replica) {
                &request.candidate
            } else {
                &request.stable
            };
            self.memory_limit(release, replica)
        };
        Ok(self.telemetry.window(env, request, &limit))
    }

    /// Counts the verdict (metrics) and writes it to the env's event log:
    /// `canary.step` at a step's first look, then `canary.verdict` or
    /// `canary.guard_failed`.
    async fn record_verdict(&self, env: &str, request: &AnalysisRequest, verdict: &Verdict) {
        self.telemetry.count_verdict(env, verdict);
        let samples = &request.samples;
        let mut events = Vec::new();
        let event = |kind: &str, message: String| NewEvent {
            env: Some(env.to_string()),
            ..NewEvent::new(kind, message)
        };
        if request.look == 1 {
            events.push(event(
                "canary.step",
                format!(
                    "canary step {}: {}% of requests to {}, {}% to {}",
                    samples.step + 1,
                    samples.weight_percent,
                    samples.candidate,
                    100 - samples.weight_percent.min(100),
                    samples.stable
                ),
            ));
        }
        let window = samples.to.saturating_duration_since(samples.from);
        match verdict.failing() {
            Some(report) => {
                *self
                    .failed_at
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(jiff::Timestamp::now());
                events.push(NewEvent {
                    replica: report.replica.clone(),
                    ..event(
                        "canary.guard_failed",
                        format!(
                            "{} failed for {} at {}% (look {}, {:.1} s of data): {}; rolling back to {}",
                            report.guard,
                            samples.candidate,
                            samples.weight_percent,
                            request.look,
                            window.as_secs_f64(),
                            report.summary,
                            samples.stable
                        ),
                    )
                });
            }
            None => {
                let reports: Vec<String> = verdict
                    .reports
                    .iter()
                    .filter(|report| {
                        verdict.decision == Decision::Pass || report.decision != Decision::Pass
                    })
                    .map(ToString::to_string)
                    .collect();
                events.push(event(
                    "canary.verdict",
                    format!(
                        "look {} at {}% ({:.1} s of data): {} — {}",
                        request.look,
                        samples.weight_percent,
                        window.as_secs_f64(),
                        verdict.decision.as_str(),
                        reports.join("; ")
                    ),
                ));
            }
        }
        let stored = self
            .store
            .call(move |store| {
                for event in events {
                    store.append_event(event)?;
                }
                Ok::<_, daytwo_store::StoreError>(())
            })
            .await;
        if let Err(error) = stored {
            tracing::warn!("the canary verdict of env `{env}` was not logged: {error}");
        }
    }
}
