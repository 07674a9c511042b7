//! Request metrics per upstream (replica) and per release: counts by status
//! class, a latency histogram and the in-flight gauge. Counters are atomics
//! reached through `Arc`s that the compiled routing holds, so the hot path
//! never takes a lock; the registry's mutex is taken only when a route table
//! is applied or metrics are read.
//!
//! Rendering: [`MetricsRegistry::snapshot`] for the JSON control endpoint and
//! [`MetricsRegistry::prometheus`] for the Prometheus text endpoint.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Upper bounds of the latency histogram buckets, in seconds (`le` labels).
/// At most ~33 % apart up to 2.5 s (0.5 ms … 10 s), so a quantile
/// interpolated inside a bucket is within a quarter of its value: the canary
/// analysis compares per-second p99s of two releases and must see a +50 ms
/// shift at a 100–500 ms p99 (Prometheus' default buckets put 100–250 ms in
/// one bucket).
pub const LATENCY_BUCKETS_SECONDS: [f64; 35] = [
    0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0065, 0.008, 0.01, 0.0125, 0.015, 0.02, 0.025,
    0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0, 1.25,
    1.5, 2.0, 2.5, 5.0, 10.0,
];

const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Counts and latencies of a set of requests.
#[derive(Debug)]
pub struct RequestStats {
    classes: [AtomicU64; 5],
    /// Non-cumulative: bucket `i` counts requests in `(le[i-1], le[i]]`; the
    /// last slot counts requests slower than every bound.
    buckets: [AtomicU64; LATENCY_BUCKETS_SECONDS.len() + 1],
    sum_micros: AtomicU64,
}

impl Default for RequestStats {
    fn default() -> Self {
        Self {
            classes: Default::default(),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl RequestStats {
    pub fn record(&self, status: u16, elapsed: Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.classes[class].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        // The first bucket whose bound is ≥ the duration (or the overflow slot).
        let bucket = LATENCY_BUCKETS_SECONDS.partition_point(|bound| *bound < seconds);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn counts(&self) -> RequestCounts {
        let classes: Vec<u64> = self
            .classes
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect();
        let mut cumulative = 0;
        let mut latency_buckets = Vec::with_capacity(LATENCY_BUCKETS_SECONDS.len());
        for (bound, count) in LATENCY_BUCKETS_SECONDS.iter().zip(&self.buckets) {
            cumulative += count.load(Ordering::Relaxed);
            latency_buckets.push(LatencyBucket {
                le_seconds: *bound,
                count: cumulative,
            });
        }
        RequestCounts {
            total: classes.iter().sum(),
            status_1xx: classes[0],
            status_2xx: classes[1],
            status_3xx: classes[2],
            status_4xx: classes[3],
            status_5xx: classes[4],
            latency_buckets,
            latency_sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
        }
    }
}

/// Live state of one upstream: in-flight requests, counters, and the passive
/// health mark set after a connect failure.
#[derive(Debug)]
pub struct UpstreamStats {
    pub env: String,
    pub id: String,
    pub release: String,
    inflight: AtomicI64,
    pub requests: RequestStats,
    pub release_stats: Arc<ReleaseStats>,
    /// Milliseconds since the registry's epoch until which this upstream is
    /// avoided after a connect failure (0: not avoided).
    avoid_until_ms: AtomicU64,
    epoch: Instant,
}

impl UpstreamStats {
    pub fn inflight(&self) -> u64 {
        self.inflight.load(Ordering::Relaxed).max(0) as u64
    }

    /// Counts a request as in flight until the returned guard is dropped.
    pub fn start_request(self: &Arc<Self>) -> InflightGuard {
        self.inflight.fetch_add(1, Ordering::Relaxed);
        InflightGuard {
            stats: Arc::clone(self),
        }
    }

    pub fn record(&self, status: u16, elapsed: Duration) {
        self.requests.record(status, elapsed);
        self.release_stats.requests.record(status, elapsed);
    }

    /// Avoids this upstream for new requests during `period` (unless no other
    /// upstream is left).
    pub fn avoid_for(&self, period: Duration) {
        let until = self.epoch.elapsed() + period;
        self.avoid_until_ms
            .store(until.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn is_avoided(&self) -> bool {
        let until = self.avoid_until_ms.load(Ordering::Relaxed);
        until != 0 && (self.epoch.elapsed().as_millis() as u64) < until
    }
}

/// Decrements the upstream's in-flight gauge on Drop.
#[derive(Debug)]
pub struct InflightGuard {
    stats: Arc<UpstreamStats>,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.stats.inflight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Debug)]
pub struct ReleaseStats {
    pub env: String,
    pub release: String,
    pub requests: RequestStats,
}

/// Responses the proxy produced itself, per env.
#[derive(Debug, Default)]
pub struct EnvStats {
    pub no_upstream: AtomicU64,
    pub connect_failed: AtomicU64,
    pub upstream_failed: AtomicU64,
    pub timed_out: AtomicU64,
    pub retries: AtomicU64,
}

type UpstreamKey = (String, String, String);

#[derive(Debug, Default)]
struct Registry {
    upstreams: HashMap<UpstreamKey, Arc<UpstreamStats>>,
    releases: HashMap<(String, String), Arc<ReleaseStats>>,
    envs: HashMap<String, Arc<EnvStats>>,
}

/// Owner of every stats object, keyed by env, upstream id and release.
#[derive(Debug)]
pub struct MetricsRegistry {
    inner: Mutex<Registry>,
    epoch: Instant,
}

impl Default for MetricsRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl MetricsRegistry {
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Registry::default()),
            epoch: Instant::now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The stats of `id` serving `release` in `env`, created on first use.
    pub fn upstream(&self, env: &str, id: &str, release: &str) -> Arc<UpstreamStats> {
        let mut registry = self.lock();
        let key = (env.to_string(), id.to_string(), release.to_string());
        if let Some(stats) = registry.upstreams.get(&key) {
            return Arc::clone(stats);
        }
        let release_stats = Arc::clone(
            registry
                .releases
                .entry((env.to_string(), release.to_string()))
                .or_insert_with(|| {
                    Arc::new(ReleaseStats {
                        env: env.to_string(),
                        release: release.to_string(),
                        requests: RequestStats::default(),
                    })
                }),
        );
        let stats = Arc::new(UpstreamStats {
            env: env.to_string(),
            id: id.to_string(),
            release: release.to_string(),
            inflight: AtomicI64::new(0),
            requests: RequestStats::default(),
            release_stats,
            avoid_until_ms: AtomicU64::new(0),
            epoch: self.epoch,
        });
        registry.upstreams.insert(key, Arc::clone(&stats));
        stats
    }

    pub fn env(&self, env: &str) -> Arc<EnvStats> {
        Arc::clone(self.lock().envs.entry(env.to_string()).or_default())
    }

    /// Forgets upstreams no longer in the table once nothing is in flight to
    /// them. Counters of a release stay (they describe history).
    pub fn retain_upstreams(&self, keep: impl Fn(&str, &str, &str) -> bool) {
        self.lock()
            .upstreams
            .retain(|(env, id, release), stats| keep(env, id, release) || stats.inflight() > 0);
    }

    /// In-flight requests to upstream `id`, over all its releases.
    pub fn inflight(&self, id: &str) -> u64 {
        self.lock()
            .upstreams
            .values()
            .filter(|stats| stats.id == id)
            .map(|stats| stats.inflight())
            .sum()
    }

    /// In-flight requests of every known upstream, sorted by id.
    pub fn inflight_all(&self) -> Vec<InflightCount> {
        let mut counts: HashMap<String, u64> = HashMap::new();
        for stats in self.lock().upstreams.values() {
            *counts.entry(stats.id.clone()).or_default() += stats.inflight();
        }
        let mut counts: Vec<InflightCount> = counts
            .into_iter()
            .map(|(upstream, inflight)| InflightCount { upstream, inflight })
            .collect();
        counts.sort_by(|a, b| a.upstream.cmp(&b.upstream));
        counts
    }

    pub fn snapshot(&self, generation: u64) -> MetricsSnapshot {
        let registry = self.lock();
        let mut upstreams: Vec<UpstreamMetrics> = registry
            .upstreams
            .values()
            .map(|stats| UpstreamMetrics {
                env: stats.env.clone(),
                upstream: stats.id.clone(),
                release: stats.release.clone(),
                inflight: stats.inflight(),
                requests: stats.requests.counts(),
            })
            .collect();
        upstreams.sort_by(|a, b| {
            (&a.env, &a.upstream, &a.release).cmp(&(&b.env, &b.upstream, &b.release))
        });
        let mut releases: Vec<ReleaseMetrics> = registry
            .releases
            .values()
            .map(|stats| ReleaseMetrics {
                env: stats.env.clone(),
                release: stats.release.clone(),
                requests: stats.requests.counts(),
            })
            .collect();
        releases.sort_by(|a, b| (&a.env, &a.release).cmp(&(&b.env, &b.release)));
        let mut envs: Vec<EnvMetrics> = registry
            .envs
            .iter()
            .map(|(env, stats)| EnvMetrics {
                env: env.clone(),
                no_upstream: stats.no_upstream.load(Ordering::Relaxed),
                connect_failed: stats.connect_failed.load(Ordering::Relaxed),
                upstream_failed: stats.upstream_failed.load(Ordering::Relaxed),
                timed_out: stats.timed_out.load(Ordering::Relaxed),
                retries: stats.retries.load(Ordering::Relaxed),
            })
            .collect();
        envs.sort_by(|a, b| a.env.cmp(&b.env));
        MetricsSnapshot {
            generation,
            upstreams,
            releases,
            envs,
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn prometheus(&self, generation: u64) -> String {
        render_prometheus(&self.snapshot(generation))
    }
}

fn render_prometheus(snapshot: &MetricsSnapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP daytwo_proxy_route_generation Generation of the route table in use."
    );
    let _ = writeln!(out, "# TYPE daytwo_proxy_route_generation gauge");
    let _ = writeln!(out, "daytwo_proxy_route_generation {}", snapshot.generation);

    let upstream_series: Vec<(String, &RequestCounts)> = snapshot
        .upstreams
        .iter()
        .map(|u| {
            (
                format!(
                    "env=\"{}\",upstream=\"{}\",release=\"{}\"",
                    escape(&u.env),
                    escape(&u.upstream),
                    escape(&u.release)
                ),
                &u.requests,
            )
        })
        .collect();
    render_requests(
        &mut out,
        "daytwo_proxy_upstream",
        "upstream (replica)",
        &upstream_series,
    );

    let _ = writeln!(
        out,
        "# HELP daytwo_proxy_upstream_inflight_requests Requests in flight to an upstream."
    );
    let _ = writeln!(out, "# TYPE daytwo_proxy_upstream_inflight_requests gauge");
    for u in &snapshot.upstreams {
        let _ = writeln!(
            out,
            "daytwo_proxy_upstream_inflight_requests{{env=\"{}\",upstream=\"{}\",release=\"{}\"}} {}",
            escape(&u.env),
            escape(&u.upstream),
            escape(&u.release),
            u.inflight
        );
    }

    let release_series: Vec<(String, &RequestCounts)> = snapshot
        .releases
        .iter()
        .map(|r| {
            (
                format!(
                    "env=\"{}\",release=\"{}\"",
                    escape(&r.env),
                    escape(&r.release)
                ),
                &r.requests,
            )
        })
        .collect();
    render_requests(&mut out, "daytwo_proxy_release", "release", &release_series);

    let _ = writeln!(
        out,
        "# HELP daytwo_proxy_errors_total Responses the proxy produced itself, by cause."
    );
    let _ = writeln!(out, "# TYPE daytwo_proxy_errors_total counter");
    for env in &snapshot.envs {
        for (cause, count) in [
            ("no_upstream", env.no_upstream),
            ("connect_failed", env.connect_failed),
            ("upstream_failed", env.upstream_failed),
            ("timeout", env.timed_out),
        ] {
            let _ = writeln!(
                out,
                "daytwo_proxy_errors_total{{env=\"{}\",cause=\"{cause}\"}} {count}",
                escape(&env.env)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP daytwo_proxy_retries_total Requests sent again to another upstream."
    );
    let _ = writeln!(out, "# TYPE daytwo_proxy_retries_total counter");
    for env in &snapshot.envs {
        let _ = writeln!(
            out,
            "daytwo_proxy_retries_total{{env=\"{}\"}} {}",
            escape(&env.env),
            env.retries
        );
    }
    out
}

fn render_requests(
    out: &mut String,
    prefix: &str,
    what: &str,
    series: &[(String, &RequestCounts)],
) {
    let _ = writeln!(
        out,
        "# HELP {prefix}_requests_total Requests answered per {what}, by status class."
    );
    let _ = writeln!(out, "# TYPE {prefix}_requests_total counter");
    for (labels, counts) in series {
        for (class, count) in STATUS_CLASSES.iter().zip(counts.by_class()) {
            let _ = writeln!(
                out,
                "{prefix}_requests_total{{{labels},class=\"{class}\"}} {count}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP {prefix}_request_duration_seconds Time to the end of the response per {what}."
    );
    let _ = writeln!(out, "# TYPE {prefix}_request_duration_seconds histogram");
    for (labels, counts) in series {
        for bucket in &counts.latency_buckets {
            let _ = writeln!(
                out,
                "{prefix}_request_duration_seconds_bucket{{{labels},le=\"{}\"}} {}",
                bucket.le_seconds, bucket.count
            );
        }
        let _ = writeln!(
            out,
            "{prefix}_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            counts.total
        );
        let _ = writeln!(
            out,
            "{prefix}_request_duration_seconds_sum{{{labels}}} {}",
            counts.latency_sum_seconds
        );
        let _ = writeln!(
            out,
            "{prefix}_request_duration_seconds_count{{{labels}}} {}",
            counts.total
        );
    }
}

/// Escapes a Prometheus label value.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /v1/metrics`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsSnapshot {
    pub generation: u64,
    pub upstreams: Vec<UpstreamMetrics>,
    pub releases: Vec<ReleaseMetrics>,
    pub envs: Vec<EnvMetrics>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamMetrics {
    pub env: String,
    pub upstream: String,
    pub release: String,
    pub inflight: u64,
    pub requests: RequestCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseMetrics {
    pub env: String,
    pub release: String,
    pub requests: RequestCounts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvMetrics {
    pub env: String,
    pub no_upstream: u64,
    pub connect_failed: u64,
    pub upstream_failed: u64,
    pub timed_out: u64,
    pub retries: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub total: u64,
    pub status_1xx: u64,
    pub status_2xx: u64,
    pub status_3xx: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    /// Cumulative, as in Prometheus: requests at most `le_seconds` long.
    pub latency_buckets: Vec<LatencyBucket>,
    pub latency_sum_seconds: f64,
}

impl RequestCounts {
    fn by_class(&self) -> [u64; 5] {
        [
            self.status_1xx,
            self.status_2xx,
            self.status_3xx,
            self.status_4xx,
            self.status_5xx,
        ]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyBucket {
    pub le_seconds: f64,
    pub count: u64,
}

/// `GET /v1/inflight`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InflightCount {
    pub upstream: String,
    pub inflight: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let stats = RequestStats::default();
        stats.record(200, Duration::from_micros(500));
        stats.record(200, Duration::from_millis(7));
        stats.record(503, Duration::from_secs(20));
        let counts = stats.counts();
        assert_eq!(counts.total, 3);
        assert_eq!(counts.status_2xx, 2);
        assert_eq!(counts.status_5xx, 1);
        let le = |bound: f64| {
            counts
                .latency_buckets
                .iter()
                .find(|bucket| bucket.le_seconds == bound)
                .unwrap()
                .count
        };
        assert_eq!(le(0.0005), 1);
        assert_eq!(le(0.0065), 1);
        assert_eq!(le(0.008), 2);
        assert_eq!(counts.latency_buckets.last().unwrap().count, 2);
        // A duration exactly on a bound belongs to that bucket (`le`).
        let edge = RequestStats::default();
        edge.record(200, Duration::from_millis(5));
        assert_eq!(edge.counts().latency_buckets[5].le_seconds, 0.005);
        assert_eq!(edge.counts().latency_buckets[5].count, 1);
        assert_eq!(edge.counts().latency_buckets[4].count, 0);
    }

    #[test]
    fn inflight_guard_counts_until_dropped() {
        let registry = MetricsRegistry::new();
        let stats = registry.upstream("dev", "dev/web.1", "r1");
        let guard = stats.start_request();
        assert_eq!(registry.inflight("dev/web.1"), 1);
        drop(guard);
        assert_eq!(registry.inflight("dev/web.1"), 0);
    }
}
