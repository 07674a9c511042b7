//! The coarse summaries the store keeps (`telemetry` table): per env and
//! release, what one period (~10 s) of the ring shows.

use super::Telemetry;
use super::window::{group_samples, window_counts};
use daytwo_store::TelemetrySummary;
use daytwo_types::ReplicaKey;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// One row per env and release seen in `since..=until` (the point at
/// `since` is the baseline): requests and 5xx of the period, p50/p99 of
/// the period's histogram, CPU seconds of all the release's replicas, the
/// mean RSS per replica. A release with neither requests nor replicas in
/// the period gives no row.
pub(super) fn summaries(
    telemetry: &Telemetry,
    since: Instant,
    until: Instant,
) -> Vec<TelemetrySummary> {
    let mut rows = Vec::new();
    for env in telemetry.envs() {
        telemetry.with_ring(&env, |ring| {
            let points: Vec<_> = ring.between(since, until).collect();
            let (Some(first), Some(last)) = (points.first(), points.last()) else {
                return;
            };
            if points.len() < 2 {
                return;
            }
            let mut replicas: BTreeMap<String, BTreeSet<ReplicaKey>> = BTreeMap::new();
            for point in &points {
                for (key, replica) in point.replicas.iter() {
                    replicas
                        .entry(replica.release.clone())
                        .or_default()
                        .insert(key.clone());
                }
            }
            let releases: BTreeSet<String> = last
                .releases
                .keys()
                .cloned()
                .chain(replicas.keys().cloned())
                .collect();
            for release in releases {
                let keys: Vec<ReplicaKey> = replicas
                    .get(&release)
                    .map(|keys| keys.iter().cloned().collect())
                    .unwrap_or_default();
                let counts = window_counts(first, last, &release);
                let requests = counts.as_ref().map_or(0, |c| c.total());
                let group = group_samples(ring, &release, &keys, first.at, last.at, &|_| None);
                let means: Vec<f64> = group
                    .memory
                    .iter()
                    .filter(|series| !series.rss.is_empty())
                    .map(|series| {
                        series.rss.iter().map(|s| s.bytes as f64).sum::<f64>()
                            / series.rss.len() as f64
                    })
                    .collect();
                if requests == 0 && means.is_empty() {
                    continue;
                }
                let rss_bytes = if means.is_empty() {
                    0
                } else {
                    (means.iter().sum::<f64>() / means.len() as f64) as u64
                };
                rows.push(TelemetrySummary {
                    at: last.wall,
                    env: env.clone(),
                    release_digest: release.clone(),
                    period: last.at.saturating_duration_since(first.at),
                    requests,
                    errors_5xx: counts.as_ref().map_or(0, |c| c.classes[4]),
                    p50_ms: counts.as_ref().and_then(|c| c.quantile_ms(0.5)),
                    p99_ms: counts.as_ref().and_then(|c| c.quantile_ms(0.99)),
                    cpu_seconds: group.cpu_seconds,
                    rss_bytes,
                    replicas: means.len() as u32,
                });
            }
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::TelemetryConfig;
    use crate::telemetry::ring::{CompactMap, Point, ReleaseCounts, ReplicaPoint};
    use daytwo_types::ReplicaState;
    use jiff::Timestamp;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn a_period_becomes_one_row_per_release_with_mean_rss_per_replica() {
        let telemetry = Telemetry::new(TelemetryConfig::default());
        let start = Instant::now();
        let bounds: Arc<[f64]> = Arc::from(vec![0.01, 0.1]);
        for second in 0..=10u64 {
            let mut point = Point {
                at: start + Duration::from_secs(second),
                wall: Timestamp::now(),
                releases: CompactMap::new(),
                replicas: CompactMap::new(),
            };
            let total = second * 10;
            point.releases.insert(
                "sha256:a".into(),
                ReleaseCounts {
                    classes: [0, total - second, 0, 0, second],
                    bounds: bounds.clone(),
                    buckets: vec![total, total].into_boxed_slice(),
                    latency_sum_seconds: 0.0,
                },
            );
            for (n, rss) in [(1, 100u64 << 20), (2, 200 << 20)] {
                point.replicas.insert(
                    ReplicaKey::new("prod", "web", n),
                    ReplicaPoint {
                        release: "sha256:a".into(),
                        process: "web".into(),
                        state: ReplicaState::Healthy,
                        rss_bytes: rss,
                        cpu_seconds: 0.05 * second as f64,
                        restarts: 0,
                    },
                );
            }
            telemetry.record("prod", point);
        }
        let rows = summaries(&telemetry, start, start + Duration::from_secs(10));
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];
        assert_eq!(
            (row.env.as_str(), row.release_digest.as_str()),
            ("prod", "sha256:a")
        );
        assert_eq!(row.period, Duration::from_secs(10));
        assert_eq!((row.requests, row.errors_5xx), (100, 10));
        assert!(row.p99_ms.unwrap() <= 10.0);
        assert!((row.cpu_seconds - 1.0).abs() < 1e-9, "{}", row.cpu_seconds);
        assert_eq!(row.rss_bytes, 150 << 20, "mean per replica");
        assert_eq!(row.replicas, 2);
        // Nothing after the last point: no row.
        let later = start + Duration::from_secs(20);
        assert!(summaries(&telemetry, later, later + Duration::from_secs(10)).is_empty());
    }
}
