//! A window of one env's ring read as the analysis' samples: one group
//! (a release and its replicas) over `from..=to`.
//!
//! - requests: the release's counters at the window's last point minus
//!   those at its first (the first point at or after `from`, so nothing
//!   counted before the step's routing change is included);
//! - latency: one [`IntervalLatency`] per pair of neighbouring points with
//!   requests, its p50/p99 interpolated in that interval's histogram delta;
//! - restarts: per replica, its restart count at its last point minus at
//!   its first; CPU: the sum of each replica's counter increases;
//! - memory: per replica, every RSS reading while it ran.
//!
//! Offsets (`at`) are from `from`.

use super::ring::{Point, ReleaseCounts, Ring};
use daytwo_rollout::analysis::{
    GroupSamples, IntervalLatency, ReplicaSeries, RssSample, StatusCounts,
};
use daytwo_types::ReplicaKey;
use std::time::Instant;

/// One group's samples in `from..=to`; `memory_limit` gives each replica's
/// limit. Empty (hence inconclusive) when the ring has no point there.
pub(crate) fn group_samples(
    ring: &Ring,
    release: &str,
    replicas: &[ReplicaKey],
    from: Instant,
    to: Instant,
    memory_limit: &dyn Fn(&ReplicaKey) -> Option<u64>,
) -> GroupSamples {
    let points: Vec<&Point> = ring.between(from, to).collect();
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return GroupSamples::default();
    };
    let counts = window_counts(first, last, release);
    let requests = counts
        .as_ref()
        .map_or_else(StatusCounts::default, |c| StatusCounts {
            ok_2xx: c.classes[1] + c.classes[0],
            redirect_3xx: c.classes[2],
            client_4xx: c.classes[3],
            server_5xx: c.classes[4],
        });
    let mut latency = Vec::new();
    for pair in points.windows(2) {
        let Some(interval) = window_counts(pair[0], pair[1], release) else {
            continue;
        };
        let requests = interval.total();
        if let (Some(p50), Some(p99)) = (interval.quantile_ms(0.5), interval.quantile_ms(0.99)) {
            latency.push(IntervalLatency {
                at: pair[1].at.saturating_duration_since(from),
                requests,
                p50_ms: p50,
                p99_ms: p99,
            });
        }
    }
    let mut restarts = 0u32;
    let mut cpu_seconds = 0.0;
    let mut memory = Vec::with_capacity(replicas.len());
    for key in replicas {
        let seen: Vec<(&Point, &super::ring::ReplicaPoint)> = points
            .iter()
            .filter_map(|point| point.replicas.get(key).map(|replica| (*point, replica)))
            .collect();
        if let (Some((_, first)), Some((_, last))) = (seen.first(), seen.last()) {
            restarts = restarts.saturating_add(last.restarts.saturating_sub(first.restarts));
        }
        for pair in seen.windows(2) {
            let (before, now) = (pair[0].1.cpu_seconds, pair[1].1.cpu_seconds);
            cpu_seconds += if now >= before { now - before } else { now };
        }
        memory.push(ReplicaSeries {
            replica: key.clone(),
            memory_limit: memory_limit(key),
            rss: seen
                .iter()
                .filter(|(_, replica)| replica.state.is_running() && replica.rss_bytes > 0)
                .map(|(point, replica)| RssSample {
                    at: point.at.saturating_duration_since(from),
                    bytes: replica.rss_bytes,
                })
                .collect(),
        });
    }
    GroupSamples {
        requests,
        latency,
        restarts,
        cpu_seconds,
        memory,
    }
}

/// The release's requests between two points; `None` when neither point
/// has seen it.
pub(crate) fn window_counts(first: &Point, last: &Point, release: &str) -> Option<ReleaseCounts> {
    match (first.counts(release), last.counts(release)) {
        (Some(before), Some(after)) => Some(after.since(before)),
        (None, Some(after)) => Some(after.since(&ReleaseCounts::zero(after.bounds.clone()))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::ring::{CompactMap, ReplicaPoint};
    use daytwo_types::ReplicaState;
    use jiff::Timestamp;
    use std::sync::Arc;
    use std::time::Duration;

    /// 10 points 1 s apart; the release answers 20 requests a second (one
    /// 5xx every other second) at 8 ms, its replica grows 1 MiB a second.
    fn ring(start: Instant) -> Ring {
        let bounds: Arc<[f64]> = Arc::from(vec![0.005, 0.01, 0.1]);
        let mut ring = Ring::new(Duration::from_secs(60));
        for second in 0..10u64 {
            let errors = second / 2;
            let ok = second * 20 - errors;
            let mut releases = CompactMap::new();
            releases.insert(
                "sha256:new".to_string(),
                ReleaseCounts {
                    classes: [0, ok, 0, 0, errors],
                    bounds: bounds.clone(),
                    buckets: vec![0, ok + errors, ok + errors].into_boxed_slice(),
                    latency_sum_seconds: 0.0,
                },
            );
            let mut replicas = CompactMap::new();
            replicas.insert(
                ReplicaKey::new("prod", "web", 3),
                ReplicaPoint {
                    release: "sha256:new".into(),
                    process: "web".into(),
                    state: ReplicaState::Healthy,
                    rss_bytes: (50 + second) << 20,
                    cpu_seconds: 0.1 * second as f64,
                    restarts: u32::from(second >= 7),
                },
            );
            ring.push(Point {
                at: start + Duration::from_secs(second),
                wall: Timestamp::now(),
                releases,
                replicas,
            });
        }
        ring
    }

    #[test]
    fn a_window_is_the_difference_of_its_points_with_one_latency_per_interval() {
        let start = Instant::now();
        let ring = ring(start);
        let key = ReplicaKey::new("prod", "web", 3);
        let from = start + Duration::from_millis(2500);
        let to = start + Duration::from_secs(8);
        let group = group_samples(
            &ring,
            "sha256:new",
            std::slice::from_ref(&key),
            from,
            to,
            &|_| Some(512 << 20),
        );
        // Points at 3..=8 s: 100 requests, errors 4 - 1 = 3.
        assert_eq!(group.requests.total(), 100);
        assert_eq!(group.requests.server_5xx, 3);
        assert_eq!(group.latency.len(), 5);
        assert!(group.latency.iter().all(|l| l.requests == 20));
        assert!(
            group
                .latency
                .iter()
                .all(|l| l.p50_ms > 5.0 && l.p99_ms <= 10.0),
            "{:?}",
            group.latency
        );
        assert_eq!(group.latency[0].at, Duration::from_millis(1500));
        assert_eq!(group.restarts, 1);
        assert!(
            (group.cpu_seconds - 0.5).abs() < 1e-9,
            "{}",
            group.cpu_seconds
        );
        assert_eq!(group.memory.len(), 1);
        assert_eq!(group.memory[0].memory_limit, Some(512 << 20));
        assert_eq!(group.memory[0].rss.len(), 6);
        assert_eq!(group.memory[0].rss[0].bytes, 53 << 20);
        assert_eq!(group.memory[0].rss[0].at, Duration::from_millis(500));
    }

    #[test]
    fn an_unknown_release_or_an_empty_window_gives_nothing() {
        let start = Instant::now();
        let ring = ring(start);
        let empty = group_samples(
            &ring,
            "sha256:new",
            &[],
            start + Duration::from_secs(30),
            start + Duration::from_secs(40),
            &|_| None,
        );
        assert_eq!(empty, GroupSamples::default());
        let unknown = group_samples(
            &ring,
            "sha256:other",
            &[ReplicaKey::new("prod", "web", 9)],
            start,
            start + Duration::from_secs(9),
            &|_| None,
        );
        assert_eq!(unknown.requests.total(), 0);
        assert!(unknown.latency.is_empty());
        assert!(unknown.memory[0].rss.is_empty());
    }
}
