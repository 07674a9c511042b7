//! The seam between the rollout and a place that runs replicas: the
//! [`Target`] trait (the local engine plus the proxy; later Kubernetes),
//! and the [`Clock`] the driver waits with.
//!
//! Methods return `impl Future + Send` so an implementation may write
//! `async fn` and the driver's future stays `Send` (spawnable). Use the
//! trait through generics; it is not object safe.

use crate::action::{AnalysisRequest, ReplicaHealth, SmokeResult};
use crate::analysis::{SampleRequest, Verdict, WindowSamples};
use crate::plan::SmokeCheck;
use crate::reconcile::ObservedEnv;
use crate::release::ReleaseRef;
use crate::routing::Routing;
use daytwo_types::ReplicaKey;
use std::future::Future;
use std::time::{Duration, Instant};

/// Where replicas run and how requests reach them.
pub trait Target: Send + Sync {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Every replica of `env` (all releases), with health and whether the
    /// proxy sends it requests.
    fn observe(&self, env: &str) -> impl Future<Output = Result<ObservedEnv, Self::Error>> + Send;

    /// Starts `count` replicas of `process` running `release` in `env`,
    /// off-traffic: not routable until a [`Target::set_routes`] names them.
    /// Returns once they are spawned (not yet healthy). On error no replica
    /// of this call is left running.
    fn start_replicas(
        &self,
        env: &str,
        release: &ReleaseRef,
        process: &str,
        count: u32,
    ) -> impl Future<Output = Result<Vec<ReplicaKey>, Self::Error>> + Send;

    /// The replica's current health; a replica that no longer exists is
    /// `Exited`.
    fn replica_health(
        &self,
        replica: &ReplicaKey,
    ) -> impl Future<Output = Result<ReplicaHealth, Self::Error>> + Send;

    /// Runs `check.command` against the replica's address (for the local
    /// target: `DAYTWO_SMOKE_URL=http://127.0.0.1:PORT`), at most
    /// `check.timeout`. A failing command is `Ok(passed: false)`, not an error.
    fn run_smoke(
        &self,
        replica: &ReplicaKey,
        check: &SmokeCheck,
    ) -> impl Future<Output = Result<SmokeResult, Self::Error>> + Send;

    /// Makes `routing` the env's routing in one atomic change. Replicas of
    /// a group's release not in its `routable` set get no new request; the
    /// target also withholds requests from a replica that is not healthy.
    fn set_routes(
        &self,
        env: &str,
        routing: &Routing,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Waits until no request is in flight to these (unroutable) replicas,
    /// at most `timeout`. `Ok(false)` when the timeout passed first.
    fn wait_drained(
        &self,
        replicas: &[ReplicaKey],
        timeout: Duration,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Stops these replicas gracefully (stop signal, stop timeout, kill) and
    /// forgets them (no restart).
    fn stop_replicas(
        &self,
        replicas: &[ReplicaKey],
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The replica's last `last_n` log lines, oldest first.
    fn replica_logs(
        &self,
        replica: &ReplicaKey,
        last_n: usize,
    ) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;

    /// The samples of both groups over `request`'s window, for one look of
    /// the canary analysis: request counts by status class, per-interval
    /// latency quantiles, restarts and CPU time per group, RSS series per
    /// replica. The default collects nothing, which the analysis reads as
    /// "inconclusive": a target without metrics never promotes a canary.
    fn collect_samples(
        &self,
        env: &str,
        request: &SampleRequest,
    ) -> impl Future<Output = Result<WindowSamples, Self::Error>> + Send {
        let _ = (env, request);
        async { Ok(WindowSamples::default()) }
    }

    /// Told the verdict of each look of the canary analysis right before
    /// the deploy acts on it, so the target can record it (event log,
    /// metrics). Keep it short: a failing verdict rolls back right after.
    /// The default records nothing.
    fn record_verdict(
        &self,
        env: &str,
        request: &AnalysisRequest,
        verdict: &Verdict,
    ) -> impl Future<Output = ()> + Send {
        let _ = (env, request, verdict);
        async {}
    }
}

/// Time as the driver sees it; a test may run it virtually.
pub trait Clock: Send + Sync {
    fn now(&self) -> Instant;
    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send;
}

/// Tokio's clock (virtual under `tokio::time::pause`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> impl Future<Output = ()> + Send {
        tokio::time::sleep_until(tokio::time::Instant::from_std(deadline))
    }
}
