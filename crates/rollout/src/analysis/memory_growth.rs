//! The memory-growth guard: the RSS slope of every candidate replica
//! (Theil–Sen, [`super::theil_sen`]) against the stable replicas' slope,
//! with a dead band, plus the projected time until the replica's memory
//! limit.
//!
//! With `a` the α of this test at this look, half goes to the candidate
//! side and half to the stable side:
//!
//! - each of the `k` candidate replicas gets a lower confidence bound at
//!   one-sided level `a / (2k)`;
//! - the stable reference is the median of the stable replicas' upper
//!   bounds at one-sided level `a / 2`;
//! - the guard fails when a candidate's lower bound exceeds
//!   `reference + max(absolute, relative × |stable slope|)`.
//!
//! If candidate and stable grow alike, failing needs the candidate bound
//! above its true slope or the stable bound below its true slope: at most
//! `a/2 + a/2` by the union bound, before the dead band adds its margin.
//!
//! Time to limit: with the fitted RSS at the last sample `m`, the limit `L`
//! and the slope `s`, `(L − m) / s`. It fails when the candidate's growth
//! is significant (lower bound > 0) and that time is below the horizon.

use super::samples::ReplicaSeries;
use super::theil_sen::{self, SlopeEstimate, median};
use super::verdict::{Decision, Guard, GuardReport};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Growth tolerated beyond the stable slope: 4 KiB/s (≈ 14 MiB/h) …
pub const DEFAULT_MEMORY_ABSOLUTE_TOLERANCE: f64 = 4096.0;
/// … or half the stable slope, whichever is larger.
pub const DEFAULT_MEMORY_RELATIVE_TOLERANCE: f64 = 0.5;
/// Fail when the limit would be reached within this time.
pub const DEFAULT_MEMORY_HORIZON: Duration = Duration::from_secs(3600);

/// `[rollout.guards] memory_growth`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryGrowthGuard {
    /// Bytes per second of growth tolerated beyond the stable slope.
    pub absolute_tolerance_bytes_per_sec: f64,
    /// Tolerated growth relative to the stable slope.
    pub relative_tolerance: f64,
    /// Fail when the projected time to the memory limit is shorter.
    pub horizon: Duration,
}

impl Default for MemoryGrowthGuard {
    fn default() -> Self {
        Self {
            absolute_tolerance_bytes_per_sec: DEFAULT_MEMORY_ABSOLUTE_TOLERANCE,
            relative_tolerance: DEFAULT_MEMORY_RELATIVE_TOLERANCE,
            horizon: DEFAULT_MEMORY_HORIZON,
        }
    }
}

/// Fits a replica's RSS (bytes) over time (seconds) with a two-sided
/// `1 − alpha` interval; `None` below `min_samples` points.
pub fn fit_series(series: &ReplicaSeries, min_samples: usize, alpha: f64) -> Option<SlopeEstimate> {
    if series.rss.len() < min_samples.max(2) {
        return None;
    }
    let points: Vec<(f64, f64)> = series
        .rss
        .iter()
        .map(|s| (s.at.as_secs_f64(), s.bytes as f64))
        .collect();
    theil_sen::fit(&points, alpha)
}

/// Seconds until the fitted line reaches `limit`, from the last sample;
/// `None` without a limit or without growth.
pub fn time_to_limit(series: &ReplicaSeries, fit: &SlopeEstimate) -> Option<f64> {
    let limit = series.memory_limit? as f64;
    let last = series.rss.last()?.at.as_secs_f64();
    (fit.slope > 0.0).then(|| ((limit - fit.at(last)) / fit.slope).max(0.0))
}

impl MemoryGrowthGuard {
    pub fn evaluate(
        &self,
        candidate: &[ReplicaSeries],
        stable: &[ReplicaSeries],
        min_samples: usize,
        alpha: f64,
    ) -> GuardReport {
        let inconclusive = |summary: String| {
            GuardReport::new(Guard::MemoryGrowth, Decision::Inconclusive, summary)
        };
        if candidate.is_empty() || stable.is_empty() {
            return inconclusive(format!(
                "no RSS series: candidate {}, stable {} replica(s)",
                candidate.len(),
                stable.len()
            ));
        }
        let stable_fits: Vec<SlopeEstimate> = stable
            .iter()
            .filter_map(|s| fit_series(s, min_samples, alpha))
            .collect();
        if stable_fits.is_empty() {
            return inconclusive(format!(
                "too few RSS samples of the stable replicas (need {min_samples})"
            ));
        }
        let stable_slope = median(&stable_fits.iter().map(|f| f.slope).collect::<Vec<_>>());
        let stable_upper = median(&stable_fits.iter().map(|f| f.upper).collect::<Vec<_>>());
        if !stable_upper.is_finite() {
            return inconclusive("the stable RSS series is too short for a bound".into());
        }
        let band = self
            .absolute_tolerance_bytes_per_sec
            .max(self.relative_tolerance * stable_slope.abs());
        let threshold = stable_upper + band;
        let per_replica = alpha / candidate.len() as f64;
        let mut missing = Vec::new();
        let mut worst: Option<GuardReport> = None;
        for series in candidate {
            let Some(fit) = fit_series(series, min_samples, per_replica) else {
                missing.push(series.replica.to_string());
                continue;
            };
            if !fit.lower.is_finite() {
                missing.push(series.replica.to_string());
                continue;
            }
            let ttl = time_to_limit(series, &fit);
            let grows_faster = fit.lower > threshold;
            let hits_limit = fit.lower > 0.0 && ttl.is_some_and(|t| t < self.horizon.as_secs_f64());
            let decision = if grows_faster || hits_limit {
                Decision::Fail
            } else {
                Decision::Pass
            };
            let why = match (grows_faster, hits_limit) {
                (true, _) => format!(
                    "> stable bound {} + band {}",
                    rate(stable_upper),
                    rate(band)
                ),
                (false, true) => format!(
                    "reaches its limit in {:.0} s < horizon {:.0} s",
                    ttl.unwrap_or_default(),
                    self.horizon.as_secs_f64()
                ),
                (false, false) => format!(
                    "≤ stable bound {} + band {}",
                    rate(stable_upper),
                    rate(band)
                ),
            };
            let summary = format!(
                "{}: RSS slope {} (lower bound {}) vs stable {}, {why}",
                series.replica,
                rate(fit.slope),
                rate(fit.lower),
                rate(stable_slope),
            );
            let mut report = GuardReport::new(Guard::MemoryGrowth, decision, summary)
                .with("candidate_slope_bytes_per_sec", fit.slope)
                .with("candidate_lower_bytes_per_sec", fit.lower)
                .with("stable_slope_bytes_per_sec", stable_slope)
                .with("stable_upper_bytes_per_sec", stable_upper)
                .with("threshold_bytes_per_sec", threshold)
                .with("samples", fit.points as f64)
                .with("alpha", per_replica)
                .about(series.replica.clone());
            if let Some(ttl) = ttl {
                report = report.with("seconds_to_limit", ttl);
            }
            let margin = |r: &GuardReport| r.evidence["candidate_lower_bytes_per_sec"] - threshold;
            let replace = match &worst {
                None => true,
                Some(w) if w.decision == Decision::Fail => {
                    decision == Decision::Fail && margin(&report) > margin(w)
                }
                Some(w) => decision == Decision::Fail || margin(&report) > margin(w),
            };
            if replace {
                worst = Some(report);
            }
        }
        match worst {
            Some(report) if report.decision == Decision::Fail => report,
            _ if !missing.is_empty() => inconclusive(format!(
                "too few RSS samples of candidate replica(s) {} (need {min_samples} and enough for a bound)",
                missing.join(", ")
            )),
            Some(report) => report,
            None => inconclusive("no candidate RSS series".into()),
        }
    }
}

/// A rate for people: `1.0 MiB/s`, `12.3 KiB/s`, `-512 B/s`.
pub fn rate(bytes_per_sec: f64) -> String {
    let abs = bytes_per_sec.abs();
    if !abs.is_finite() {
        format!("{bytes_per_sec}")
    } else if abs >= 1024.0 * 1024.0 {
        format!("{:.1} MiB/s", bytes_per_sec / (1024.0 * 1024.0))
    } else if abs >= 1024.0 {
        format!("{:.1} KiB/s", bytes_per_sec / 1024.0)
    } else {
        format!("{bytes_per_sec:.0} B/s")
    }
}
