//! What the analysis reads: samples the wiring (proxy metrics, engine
//! sampling) collects per group and per replica over one time window.
//! Plain data with serde; the analysis does no I/O and reads no clock.
//!
//! Times inside a window are offsets ([`Duration`]) from an origin the
//! collector chooses (e.g. the window's start); only differences matter.

use crate::release::ReleaseRef;
use daytwo_types::ReplicaKey;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

/// Requests answered in the window, by HTTP status class. Responses the
/// proxy produced itself for an upstream failure (502/503/504) count as 5xx.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    pub ok_2xx: u64,
    pub redirect_3xx: u64,
    pub client_4xx: u64,
    pub server_5xx: u64,
}

impl StatusCounts {
    pub fn total(&self) -> u64 {
        self.ok_2xx + self.redirect_3xx + self.client_4xx + self.server_5xx
    }

    /// The 5xx share, `None` without requests.
    pub fn error_rate(&self) -> Option<f64> {
        let total = self.total();
        (total > 0).then(|| self.server_5xx as f64 / total as f64)
    }
}

/// Latency quantiles of one sampling interval (e.g. one second) of one
/// group, from the proxy's histogram for that interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IntervalLatency {
    /// The interval's end, as an offset in the window.
    pub at: Duration,
    /// Requests completed in the interval.
    pub requests: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// One RSS reading of one replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RssSample {
    pub at: Duration,
    pub bytes: u64,
}

/// The memory readings of one replica in the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaSeries {
    pub replica: ReplicaKey,
    /// The replica's memory limit, when it has one (for the time to limit).
    pub memory_limit: Option<u64>,
    pub rss: Vec<RssSample>,
}

/// Everything measured of one group (stable or candidate) in the window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupSamples {
    pub requests: StatusCounts,
    /// Per-interval latency quantiles, one entry per interval with requests.
    pub latency: Vec<IntervalLatency>,
    /// Restarts of the group's replicas during the window.
    pub restarts: u32,
    /// CPU time (user + system) the group's replicas used in the window.
    pub cpu_seconds: f64,
    /// One series per replica.
    pub memory: Vec<ReplicaSeries>,
}

/// Both groups over the same window: what one look of the analysis reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowSamples {
    pub stable: GroupSamples,
    pub candidate: GroupSamples,
}

/// What the driver asks the target to collect for one look: the window and
/// who is in each group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRequest {
    /// Index of the canary step in the plan's `steps`.
    pub step: usize,
    /// The candidate's share of requests during the window.
    pub weight_percent: u32,
    /// The window: from the step's start (its routing change) to now.
    pub from: Instant,
    pub to: Instant,
    pub stable: ReleaseRef,
    pub stable_replicas: Vec<ReplicaKey>,
    pub candidate: ReleaseRef,
    pub candidate_replicas: Vec<ReplicaKey>,
}
