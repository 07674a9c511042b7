//! The error-rate guard: the candidate's 5xx share against the stable one's
//! over the same window, with the two-proportion test of
//! [`super::proportion`] and a dead band.

use super::proportion;
use super::samples::StatusCounts;
use super::verdict::{Decision, Guard, GuardReport};
use serde::{Deserialize, Serialize};

/// A difference of one percentage point of 5xx is tolerated.
pub const DEFAULT_ERROR_ABSOLUTE_TOLERANCE: f64 = 0.01;
/// … or a quarter of the stable error rate, whichever is larger.
pub const DEFAULT_ERROR_RELATIVE_TOLERANCE: f64 = 0.25;

/// `[rollout.guards] error_rate`: the dead band of the error-rate test.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErrorRateGuard {
    /// Tolerated excess in absolute share (0.01 = one point).
    pub absolute_tolerance: f64,
    /// Tolerated excess relative to the stable rate (0.25 = +25 %).
    pub relative_tolerance: f64,
}

impl Default for ErrorRateGuard {
    fn default() -> Self {
        Self {
            absolute_tolerance: DEFAULT_ERROR_ABSOLUTE_TOLERANCE,
            relative_tolerance: DEFAULT_ERROR_RELATIVE_TOLERANCE,
        }
    }
}

impl ErrorRateGuard {
    /// The margin for a stable rate.
    pub fn margin(&self, stable_rate: f64) -> f64 {
        self.absolute_tolerance
            .max(self.relative_tolerance * stable_rate)
    }

    /// Fails when the candidate's 5xx share exceeds the stable share by more
    /// than the margin at level `alpha`; inconclusive below `min_requests`
    /// in either group.
    pub fn evaluate(
        &self,
        candidate: &StatusCounts,
        stable: &StatusCounts,
        min_requests: u64,
        alpha: f64,
    ) -> GuardReport {
        let (cn, sn) = (candidate.total(), stable.total());
        if cn < min_requests || sn < min_requests {
            return GuardReport::new(
                Guard::ErrorRate,
                Decision::Inconclusive,
                format!("too few requests: candidate {cn}, stable {sn} (need {min_requests} each)"),
            )
            .with("candidate_requests", cn as f64)
            .with("stable_requests", sn as f64)
            .with("min_requests", min_requests as f64);
        }
        let stable_rate = stable.server_5xx as f64 / sn as f64;
        let test = proportion::excess_test(
            candidate.server_5xx,
            cn,
            stable.server_5xx,
            sn,
            self.margin(stable_rate),
        );
        let decision = if test.p_value < alpha {
            Decision::Fail
        } else {
            Decision::Pass
        };
        let summary = format!(
            "candidate {:.2}% 5xx ({}/{cn}) vs stable {:.2}% ({}/{sn}), margin {:.2} points, p={:.2e} {} α={:.1e}",
            test.candidate_rate * 100.0,
            candidate.server_5xx,
            test.stable_rate * 100.0,
            stable.server_5xx,
            test.margin * 100.0,
            test.p_value,
            if decision == Decision::Fail {
                "<"
            } else {
                "≥"
            },
            alpha,
        );
        GuardReport::new(Guard::ErrorRate, decision, summary)
            .with("candidate_rate", test.candidate_rate)
            .with("stable_rate", test.stable_rate)
            .with("candidate_requests", cn as f64)
            .with("stable_requests", sn as f64)
            .with("margin", test.margin)
            .with("z", test.z)
            .with("p_value", test.p_value)
            .with("alpha", alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(total: u64, errors: u64) -> StatusCounts {
        StatusCounts {
            ok_2xx: total - errors,
            server_5xx: errors,
            ..StatusCounts::default()
        }
    }

    #[test]
    fn too_few_requests_are_inconclusive_even_when_all_failed() {
        let report =
            ErrorRateGuard::default().evaluate(&counts(20, 20), &counts(5_000, 0), 100, 0.05);
        assert_eq!(report.decision, Decision::Inconclusive);
    }

    #[test]
    fn five_points_more_5xx_fails_and_equal_rates_pass() {
        let guard = ErrorRateGuard::default();
        let bad = guard.evaluate(&counts(1_000, 60), &counts(9_000, 90), 100, 1e-3);
        assert_eq!(bad.decision, Decision::Fail, "{bad}");
        assert!(bad.summary.contains("6.00% 5xx"), "{bad}");
        let good = guard.evaluate(&counts(1_000, 10), &counts(9_000, 90), 100, 1e-3);
        assert_eq!(good.decision, Decision::Pass, "{good}");
    }
}
