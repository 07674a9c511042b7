//! One env's recent telemetry: a bounded ring of points, one per sampling
//! tick. A point holds **cumulative** values — per release the proxy's
//! request counts by status class and its latency histogram, per replica
//! the engine's RSS, CPU-seconds counter and restart count — so the requests
//! of any window are the difference of two points and each pair of
//! neighbouring points is one sampling interval.
//!
//! Counters restart from zero when the proxy is replaced (handover) or a
//! replica restarts; a decrease is read as such a reset, as Prometheus'
//! `increase()` does: the later value is the increase.

use daytwo_types::{ReplicaKey, ReplicaState};
use jiff::Timestamp;
use std::borrow::Borrow;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The proxy's counters of one release in one env, cumulative.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReleaseCounts {
    /// Responses by class: 1xx, 2xx, 3xx, 4xx, 5xx.
    pub(crate) classes: [u64; 5],
    /// Upper bounds of the histogram buckets (seconds), shared by points.
    pub(crate) bounds: Arc<[f64]>,
    /// Requests at most `bounds[i]` long (cumulative, as in Prometheus).
    pub(crate) buckets: Box<[u64]>,
    pub(crate) latency_sum_seconds: f64,
}

impl ReleaseCounts {
    /// Every request (the histogram's `+Inf` bucket).
    pub(crate) fn total(&self) -> u64 {
        self.classes.iter().sum()
    }

    /// Nothing counted yet, with these bounds.
    pub(crate) fn zero(bounds: Arc<[f64]>) -> Self {
        Self {
            classes: [0; 5],
            buckets: vec![0; bounds.len()].into_boxed_slice(),
            bounds,
            latency_sum_seconds: 0.0,
        }
    }

    /// What was counted after `earlier` (all of `self` when the counters
    /// were reset in between or the buckets changed).
    pub(crate) fn since(&self, earlier: &ReleaseCounts) -> ReleaseCounts {
        let reset = self.bounds != earlier.bounds
            || self.total() < earlier.total()
            || self
                .classes
                .iter()
                .zip(&earlier.classes)
                .any(|(now, before)| now < before)
            || self
                .buckets
                .iter()
                .zip(earlier.buckets.iter())
                .any(|(now, before)| now < before);
        if reset {
            return self.clone();
        }
        let mut classes = [0; 5];
        for (slot, (now, before)) in classes
            .iter_mut()
            .zip(self.classes.iter().zip(&earlier.classes))
        {
            *slot = now - before;
        }
        ReleaseCounts {
            classes,
            bounds: Arc::clone(&self.bounds),
            buckets: self
                .buckets
                .iter()
                .zip(earlier.buckets.iter())
                .map(|(now, before)| now - before)
                .collect(),
            latency_sum_seconds: (self.latency_sum_seconds - earlier.latency_sum_seconds).max(0.0),
        }
    }

    /// The `q` quantile in milliseconds (see [`super::quantile`]).
    pub(crate) fn quantile_ms(&self, q: f64) -> Option<f64> {
        super::quantile::histogram_quantile(q, &self.bounds, &self.buckets, self.total())
            .map(|seconds| seconds * 1000.0)
    }
}

/// One replica at one tick, from the engine's status board.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReplicaPoint {
    /// The engine's release string (the digest).
    pub(crate) release: String,
    pub(crate) process: String,
    pub(crate) state: ReplicaState,
    /// RSS of the process group (0 while not running or not sampled yet).
    pub(crate) rss_bytes: u64,
    /// CPU seconds of the current process since it started.
    pub(crate) cpu_seconds: f64,
    /// Restarts so far (never decreases while the replica exists).
    pub(crate) restarts: u32,
}

/// One tick of one env.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Point {
    /// The daemon's monotonic clock (`std::time::Instant`), which is also
    /// the deploy driver's clock (`TokioClock` reads the same monotonic
    /// clock when time is not paused).
    pub(crate) at: Instant,
    pub(crate) wall: Timestamp,
    /// By release digest (the proxy's `release` label).
    pub(crate) releases: CompactMap<String, ReleaseCounts>,
    pub(crate) replicas: CompactMap<ReplicaKey, ReplicaPoint>,
}

/// A small map kept as a sorted vector: a ring holds hundreds of points per
/// env, each with a few releases and replicas, and a `BTreeMap` node has
/// room for 11 entries (a few KiB per point); this holds exactly what is
/// in it once [`CompactMap::shrink`] ran.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompactMap<K, V>(Vec<(K, V)>);

impl<K: Ord, V> CompactMap<K, V> {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    /// Inserts or replaces `key`'s value.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(index) => self.0[index].1 = value,
            Err(index) => self.0.insert(index, (key, value)),
        }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0
            .binary_search_by(|(k, _)| k.borrow().cmp(key))
            .ok()
            .map(|index| &self.0[index].1)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Gives back the spare capacity.
    pub(crate) fn shrink(&mut self) {
        self.0.shrink_to_fit();
    }
}

impl<K: Ord, V> Default for CompactMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for CompactMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(items: I) -> Self {
        let mut map = Self::new();
        for (key, value) in items {
            map.insert(key, value);
        }
        map
    }
}

impl Point {
    pub(crate) fn counts(&self, release: &str) -> Option<&ReleaseCounts> {
        self.releases.get(release)
    }
}

/// The last `retention` of one env's points, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    points: VecDeque<Point>,
    retention: Duration,
}

impl Ring {
    pub(crate) fn new(retention: Duration) -> Self {
        Self {
            points: VecDeque::new(),
            retention,
        }
    }

    /// Appends a point (a point not after the last one is ignored) and
    /// drops those older than the retention.
    pub(crate) fn push(&mut self, mut point: Point) {
        if self.points.back().is_some_and(|last| point.at <= last.at) {
            return;
        }
        point.releases.shrink();
        point.replicas.shrink();
        let horizon = point.at.checked_sub(self.retention);
        self.points.push_back(point);
        if let Some(horizon) = horizon {
            while self.points.front().is_some_and(|first| first.at < horizon) {
                self.points.pop_front();
            }
        }
    }

    pub(crate) fn last(&self) -> Option<&Point> {
        self.points.back()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.points.len()
    }

    /// The points with `from <= at <= to`, oldest first.
    pub(crate) fn between(&self, from: Instant, to: Instant) -> impl Iterator<Item = &Point> {
        let start = self.points.partition_point(|point| point.at < from);
        self.points
            .range(start..)
            .take_while(move |point| point.at <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds() -> Arc<[f64]> {
        Arc::from(vec![0.01, 0.1])
    }

    fn counts(ok: u64, errors: u64, fast: u64) -> ReleaseCounts {
        ReleaseCounts {
            classes: [0, ok, 0, 0, errors],
            bounds: bounds(),
            buckets: vec![fast, ok + errors].into_boxed_slice(),
            latency_sum_seconds: 0.0,
        }
    }

    fn point(at: Instant) -> Point {
        Point {
            at,
            wall: Timestamp::now(),
            releases: CompactMap::new(),
            replicas: CompactMap::new(),
        }
    }

    #[test]
    fn a_compact_map_stays_sorted_replaces_and_finds_by_borrowed_key() {
        let mut map: CompactMap<String, u32> = CompactMap::new();
        for (key, value) in [("b", 2), ("a", 1), ("c", 3), ("b", 20)] {
            map.insert(key.to_string(), value);
        }
        map.shrink();
        let entries: Vec<(&str, u32)> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(entries, [("a", 1), ("b", 20), ("c", 3)]);
        assert_eq!(map.get("c"), Some(&3));
        assert_eq!(map.get("d"), None);
        assert_eq!(map.keys().count(), 3);
    }

    #[test]
    fn a_difference_of_two_points_is_the_window_and_a_decrease_is_a_reset() {
        let before = counts(100, 5, 90);
        let after = counts(150, 6, 120);
        let delta = after.since(&before);
        assert_eq!(delta.classes, [0, 50, 0, 0, 1]);
        assert_eq!(&*delta.buckets, &[30, 51]);
        assert_eq!(delta.total(), 51);
        // The proxy was replaced: its counters started again.
        let restarted = counts(7, 0, 7);
        assert_eq!(restarted.since(&after), restarted);
    }

    #[test]
    fn the_ring_keeps_its_retention_and_answers_windows() {
        let start = Instant::now();
        let mut ring = Ring::new(Duration::from_secs(10));
        for second in 0..30 {
            ring.push(point(start + Duration::from_secs(second)));
        }
        ring.push(point(start)); // out of order: ignored
        assert_eq!(ring.len(), 11, "points from 19 s to 29 s");
        let window: Vec<u64> = ring
            .between(
                start + Duration::from_secs(20),
                start + Duration::from_secs(23),
            )
            .map(|p| (p.at - start).as_secs())
            .collect();
        assert_eq!(window, [20, 21, 22, 23]);
        assert_eq!(
            ring.between(start, start + Duration::from_secs(5)).count(),
            0
        );
    }
}
