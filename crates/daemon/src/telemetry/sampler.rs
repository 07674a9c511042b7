//! The sampler task: every interval one point per env from the proxy's
//! per-release counters and the engine's per-replica readings; every
//! summary period the coarse rows into the store.

use super::Telemetry;
use super::ring::{CompactMap, Point, ReleaseCounts, ReplicaPoint};
use crate::store_handle::StoreHandle;
use daytwo_engine::Engine;
use daytwo_proxy::{MetricsSnapshot, ProxyClient};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

/// Release counters by env, then release digest.
type EnvCounts = BTreeMap<String, CompactMap<String, ReleaseCounts>>;

/// Starts the sampler; it ends with `shutdown`.
pub(crate) fn spawn_sampler(
    telemetry: Telemetry,
    engine: Engine,
    proxy: ProxyClient,
    store: StoreHandle,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let config = telemetry.config().clone();
        let mut ticker = tokio::time::interval(config.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut counts = EnvCounts::new();
        let mut summarized_until = Instant::now();
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let replicas = engine.replicas(None);
            if replicas.is_empty() && telemetry.envs().is_empty() {
                continue;
            }
            // A proxy that does not answer keeps the last counters: the
            // next answer's difference covers both intervals.
            match tokio::time::timeout(config.interval, proxy.metrics()).await {
                Ok(Ok(snapshot)) => counts = release_counts(&snapshot),
                Ok(Err(error)) => tracing::debug!("telemetry: no proxy metrics: {error}"),
                Err(_) => tracing::debug!("telemetry: the proxy's metrics took over an interval"),
            }
            let at = Instant::now();
            let wall = jiff::Timestamp::now();
            let cpu = engine.cpu_seconds(None);
            // One point per env that runs replicas (an env that is down
            // has nothing to analyse; its ring ages out).
            let mut points: BTreeMap<String, Point> = BTreeMap::new();
            for status in replicas {
                let point = points.entry(status.key.env.clone()).or_insert_with(|| {
                    let releases = counts.get(&status.key.env).cloned().unwrap_or_default();
                    empty_point(at, wall, releases)
                });
                point.replicas.insert(
                    status.key.clone(),
                    ReplicaPoint {
                        release: status.release,
                        process: status.key.process.clone(),
                        state: status.state,
                        rss_bytes: status.rss_bytes,
                        cpu_seconds: cpu.get(&status.key).copied().unwrap_or(0.0),
                        restarts: status.restarts,
                    },
                );
            }
            for (env, point) in points {
                telemetry.record(&env, point);
            }
            telemetry.forget_stale(at);

            if at.saturating_duration_since(summarized_until) >= config.summary_period {
                let rows = super::summary::summaries(&telemetry, summarized_until, at);
                summarized_until = at;
                if !rows.is_empty()
                    && let Err(error) = store.call(move |store| store.append_telemetry(&rows)).await
                {
                    tracing::warn!("telemetry summaries were not stored: {error}");
                }
            }
        }
    })
}

fn empty_point(
    at: Instant,
    wall: jiff::Timestamp,
    releases: CompactMap<String, ReleaseCounts>,
) -> Point {
    Point {
        at,
        wall,
        releases,
        replicas: CompactMap::new(),
    }
}

/// The proxy's per-release counters, by env and release.
fn release_counts(snapshot: &MetricsSnapshot) -> EnvCounts {
    let mut out = EnvCounts::new();
    let mut bounds_cache: Option<Arc<[f64]>> = None;
    for release in &snapshot.releases {
        let requests = &release.requests;
        let bounds: Vec<f64> = requests
            .latency_buckets
            .iter()
            .map(|bucket| bucket.le_seconds)
            .collect();
        let bounds = match &bounds_cache {
            Some(cached) if **cached == *bounds => Arc::clone(cached),
            _ => {
                let shared: Arc<[f64]> = Arc::from(bounds);
                bounds_cache = Some(Arc::clone(&shared));
                shared
            }
        };
        out.entry(release.env.clone()).or_default().insert(
            release.release.clone(),
            ReleaseCounts {
                classes: [
                    requests.status_1xx,
                    requests.status_2xx,
                    requests.status_3xx,
                    requests.status_4xx,
                    requests.status_5xx,
                ],
                bounds,
                buckets: requests
                    .latency_buckets
                    .iter()
                    .map(|bucket| bucket.count)
                    .collect(),
                latency_sum_seconds: requests.latency_sum_seconds,
            },
        );
    }
    out
}
