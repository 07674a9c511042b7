//! The CPU-per-request guard: CPU seconds per request of the candidate
//! against the stable group's. A threshold on the ratio, not a test: both
//! figures aggregate every request of the window, so their noise is small
//! next to the tolerance (default +50 %), and a regression worth a rollback
//! is large. Inconclusive below the minimum request count or without stable
//! CPU time to compare with.

use super::samples::GroupSamples;
use super::verdict::{Decision, Guard, GuardReport};
use serde::{Deserialize, Serialize};

/// The candidate may use 50 % more CPU per request.
pub const DEFAULT_CPU_TOLERANCE: f64 = 0.5;

/// `[rollout.guards] cpu_per_request`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CpuPerRequestGuard {
    /// Fail above `stable × (1 + tolerance)`.
    pub tolerance: f64,
}

impl Default for CpuPerRequestGuard {
    fn default() -> Self {
        Self {
            tolerance: DEFAULT_CPU_TOLERANCE,
        }
    }
}

impl CpuPerRequestGuard {
    pub fn evaluate(
        &self,
        candidate: &GroupSamples,
        stable: &GroupSamples,
        min_requests: u64,
    ) -> GuardReport {
        let (cn, sn) = (candidate.requests.total(), stable.requests.total());
        if cn < min_requests || sn < min_requests || stable.cpu_seconds <= 0.0 {
            return GuardReport::new(
                Guard::CpuPerRequest,
                Decision::Inconclusive,
                format!(
                    "too few requests or no stable CPU time: candidate {cn}, stable {sn} requests (need {min_requests}), stable CPU {:.3} s",
                    stable.cpu_seconds
                ),
            );
        }
        let c = candidate.cpu_seconds / cn as f64;
        let s = stable.cpu_seconds / sn as f64;
        let ratio = c / s;
        let decision = if ratio > 1.0 + self.tolerance {
            Decision::Fail
        } else {
            Decision::Pass
        };
        let summary = format!(
            "candidate {:.1} µs CPU/request vs stable {:.1} µs: ratio {ratio:.2} (limit {:.2})",
            c * 1e6,
            s * 1e6,
            1.0 + self.tolerance
        );
        GuardReport::new(Guard::CpuPerRequest, decision, summary)
            .with("candidate_cpu_per_request", c)
            .with("stable_cpu_per_request", s)
            .with("ratio", ratio)
            .with("limit", 1.0 + self.tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::samples::StatusCounts;

    fn group(requests: u64, cpu_seconds: f64) -> GroupSamples {
        GroupSamples {
            requests: StatusCounts {
                ok_2xx: requests,
                ..StatusCounts::default()
            },
            cpu_seconds,
            ..GroupSamples::default()
        }
    }

    #[test]
    fn twice_the_cpu_per_request_fails_and_ten_percent_passes() {
        let guard = CpuPerRequestGuard::default();
        let stable = group(10_000, 1.0);
        assert_eq!(
            guard.evaluate(&group(1_000, 0.2), &stable, 100).decision,
            Decision::Fail
        );
        assert_eq!(
            guard.evaluate(&group(1_000, 0.11), &stable, 100).decision,
            Decision::Pass
        );
        assert_eq!(
            guard.evaluate(&group(10, 5.0), &stable, 100).decision,
            Decision::Inconclusive
        );
    }
}
