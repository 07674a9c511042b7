//! Telemetry: what the daemon measures of each env, for the canary
//! analysis, the metrics endpoint and the release notes.
//!
//! ```text
//! every interval (1 s): proxy GET /v1/metrics (per release: status classes, latency histogram)
//!                       engine status board (per replica: RSS, CPU-seconds counter, restarts, state)
//!        ─> one Point per env ─> Ring (last 15 min, in memory)
//!              ├─> window(env, SampleRequest) ─> WindowSamples   (LocalTarget::collect_samples)
//!              ├─> latest()                   ─> GET /metrics     (Prometheus text)
//!              └─ every 10 s ─> TelemetrySummary rows ─> store `telemetry` table (7 days)
//! ```
//!
//! Points are cumulative (see [`ring`]); windows are differences of points
//! and per-interval latency quantiles are interpolated in each interval's
//! histogram delta ([`quantile`]). The engine samples RSS and CPU at the
//! same interval (the daemon configures both from one setting).
//!
//! The guard verdicts of canary looks are counted here too
//! ([`Telemetry::count_verdict`]) for `daytwo_canary_guard_verdicts_total`.
//!
//! Configuration (environment of the daemon): `DAYTWO_TELEMETRY_INTERVAL`
//! (`1s` by default; `250ms`, `2s` or a number of milliseconds).

pub(crate) mod metrics_server;
pub(crate) mod prometheus;
mod quantile;
pub(crate) mod ring;
mod sampler;
mod summary;
mod window;

use daytwo_rollout::analysis::{SampleRequest, Verdict, WindowSamples};
use daytwo_types::ReplicaKey;
use ring::{Point, Ring};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub(crate) use sampler::spawn_sampler;

/// How often the sampler looks by default.
pub const DEFAULT_TELEMETRY_INTERVAL: Duration = Duration::from_secs(1);
/// How much of each env's history the ring keeps.
pub const DEFAULT_TELEMETRY_RETENTION: Duration = Duration::from_secs(15 * 60);
/// How often a coarse summary per env and release is stored.
pub const DEFAULT_SUMMARY_PERIOD: Duration = Duration::from_secs(10);
/// The variable that sets the sampling interval.
pub const TELEMETRY_INTERVAL_VAR: &str = "DAYTWO_TELEMETRY_INTERVAL";
/// Shortest interval accepted (the engine samples `/proc` at this pace).
const MIN_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TelemetryConfig {
    pub(crate) interval: Duration,
    pub(crate) retention: Duration,
    pub(crate) summary_period: Duration,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            interval: DEFAULT_TELEMETRY_INTERVAL,
            retention: DEFAULT_TELEMETRY_RETENTION,
            summary_period: DEFAULT_SUMMARY_PERIOD,
        }
    }
}

impl TelemetryConfig {
    /// The defaults, with the interval from [`TELEMETRY_INTERVAL_VAR`]
    /// (an unreadable value is logged and ignored).
    pub(crate) fn from_env() -> Self {
        let mut config = Self::default();
        if let Ok(text) = std::env::var(TELEMETRY_INTERVAL_VAR) {
            match parse_interval(&text) {
                Some(interval) => config.interval = interval.max(MIN_INTERVAL),
                None => tracing::warn!(
                    "{TELEMETRY_INTERVAL_VAR}={text:?} is not a duration like `1s` or `250ms`; using {:?}",
                    config.interval
                ),
            }
        }
        config
    }
}

/// `250ms`, `1s`, `1.5s` or a bare number of milliseconds.
fn parse_interval(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Some(ms) = text.strip_suffix("ms") {
        return ms.trim().parse::<u64>().ok().map(Duration::from_millis);
    }
    if let Some(seconds) = text.strip_suffix('s') {
        return seconds
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s > 0.0)
            .map(Duration::from_secs_f64);
    }
    text.parse::<u64>().ok().map(Duration::from_millis)
}

/// Verdict counts by `(env, guard, decision)`.
type VerdictCounts = BTreeMap<(String, String, String), u64>;

#[derive(Debug)]
struct Inner {
    config: TelemetryConfig,
    rings: Mutex<BTreeMap<String, Ring>>,
    verdicts: Mutex<VerdictCounts>,
    looks: Mutex<VerdictCounts>,
}

/// The daemon's telemetry: per-env rings and verdict counters. Cheap to
/// clone; every clone shares the same state.
#[derive(Debug, Clone)]
pub(crate) struct Telemetry {
    inner: Arc<Inner>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Telemetry {
    pub(crate) fn new(config: TelemetryConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                rings: Mutex::default(),
                verdicts: Mutex::default(),
                looks: Mutex::default(),
            }),
        }
    }

    pub(crate) fn config(&self) -> &TelemetryConfig {
        &self.inner.config
    }

    /// Appends one tick's point of `env`.
    pub(crate) fn record(&self, env: &str, point: Point) {
        let mut rings = lock(&self.inner.rings);
        rings
            .entry(env.to_string())
            .or_insert_with(|| Ring::new(self.inner.config.retention))
            .push(point);
    }

    /// Forgets envs whose last point is older than the retention.
    pub(crate) fn forget_stale(&self, now: std::time::Instant) {
        let retention = self.inner.config.retention;
        lock(&self.inner.rings).retain(|_, ring| {
            ring.last()
                .is_some_and(|last| now.saturating_duration_since(last.at) <= retention)
        });
    }

    /// Both groups of a canary look over `request`'s window, read from
    /// `env`'s ring. `memory_limit` gives a replica's limit. Missing data
    /// gives empty groups, which the analysis reads as inconclusive.
    pub(crate) fn window(
        &self,
        env: &str,
        request: &SampleRequest,
        memory_limit: &dyn Fn(&ReplicaKey) -> Option<u64>,
    ) -> WindowSamples {
        let rings = lock(&self.inner.rings);
        let Some(ring) = rings.get(env) else {
            return WindowSamples::default();
        };
        let group = |release: &str, replicas: &[ReplicaKey]| {
            window::group_samples(
                ring,
                release,
                replicas,
                request.from,
                request.to,
                memory_limit,
            )
        };
        WindowSamples {
            stable: group(&request.stable.digest, &request.stable_replicas),
            candidate: group(&request.candidate.digest, &request.candidate_replicas),
        }
    }

    /// One group (`release` and its `replicas`) of `env` over `from..=to`:
    /// what the steady-state watch looks at (`crate::watch`).
    pub(crate) fn group_window(
        &self,
        env: &str,
        release: &str,
        replicas: &[ReplicaKey],
        from: std::time::Instant,
        to: std::time::Instant,
        memory_limit: &dyn Fn(&ReplicaKey) -> Option<u64>,
    ) -> daytwo_rollout::analysis::GroupSamples {
        let rings = lock(&self.inner.rings);
        rings.get(env).map_or_else(Default::default, |ring| {
            window::group_samples(ring, release, replicas, from, to, memory_limit)
        })
    }

    /// The newest point of each env.
    pub(crate) fn latest(&self) -> BTreeMap<String, Point> {
        lock(&self.inner.rings)
            .iter()
            .filter_map(|(env, ring)| ring.last().map(|point| (env.clone(), point.clone())))
            .collect()
    }

    /// Runs `read` on `env`'s ring (for summaries and tests).
    pub(crate) fn with_ring<T>(&self, env: &str, read: impl FnOnce(&Ring) -> T) -> Option<T> {
        lock(&self.inner.rings).get(env).map(read)
    }

    /// The envs that have a ring.
    pub(crate) fn envs(&self) -> Vec<String> {
        lock(&self.inner.rings).keys().cloned().collect()
    }

    /// Counts one canary look of `env`: its decision and each guard's.
    pub(crate) fn count_verdict(&self, env: &str, verdict: &Verdict) {
        {
            let mut looks = lock(&self.inner.looks);
            *looks
                .entry((
                    env.to_string(),
                    String::new(),
                    verdict.decision.as_str().to_string(),
                ))
                .or_default() += 1;
        }
        let mut verdicts = lock(&self.inner.verdicts);
        for report in &verdict.reports {
            *verdicts
                .entry((
                    env.to_string(),
                    report.guard.as_str().to_string(),
                    report.decision.as_str().to_string(),
                ))
                .or_default() += 1;
        }
    }

    /// `(env, guard, decision) → count` of every guard report so far.
    pub(crate) fn verdict_counts(&self) -> VerdictCounts {
        lock(&self.inner.verdicts).clone()
    }

    /// `(env, "", decision) → count` of every look so far.
    pub(crate) fn look_counts(&self) -> VerdictCounts {
        lock(&self.inner.looks).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_like_the_other_durations() {
        assert_eq!(parse_interval("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_interval("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_interval("0.5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_interval("750"), Some(Duration::from_millis(750)));
        assert_eq!(parse_interval("soon"), None);
        assert_eq!(parse_interval("-1s"), None);
    }
}
