//! The latency guard: per-interval p50 and/or p99 of the candidate against
//! the stable group's, with the one-sided Mann–Whitney test of
//! [`super::mann_whitney`] against the stable values shifted by the dead
//! band (`stable × (1 + relative) + absolute`).
//!
//! Why per-interval quantiles and a rank test rather than one ratio of the
//! window's p99: one window gives one p99 per group, with no measure of its
//! noise; per-interval values give a sample of it, and the rank test needs
//! no assumption about their (skewed) distribution. Intervals with fewer
//! than `min_interval_requests` requests are left out: their p99 is just
//! their maximum. The candidate's intervals hold fewer requests than the
//! stable ones at a small weight, which biases its per-interval p99
//! slightly *down*: a loss of power, never a false alarm.

use super::mann_whitney;
use super::samples::IntervalLatency;
use super::theil_sen::median;
use super::verdict::{Decision, Guard, GuardReport};
use serde::{Deserialize, Serialize};

/// The candidate may be 10 % slower …
pub const DEFAULT_LATENCY_RELATIVE_TOLERANCE: f64 = 0.10;
/// … plus 10 ms.
pub const DEFAULT_LATENCY_ABSOLUTE_TOLERANCE_MS: f64 = 10.0;
/// Intervals with fewer requests are ignored.
pub const DEFAULT_MIN_INTERVAL_REQUESTS: u64 = 5;

/// `[rollout.guards] latency`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LatencyGuard {
    /// Compare the per-interval median (off by default).
    pub p50: bool,
    /// Compare the per-interval p99 (on by default).
    pub p99: bool,
    pub relative_tolerance: f64,
    pub absolute_tolerance_ms: f64,
    pub min_interval_requests: u64,
}

impl Default for LatencyGuard {
    fn default() -> Self {
        Self {
            p50: false,
            p99: true,
            relative_tolerance: DEFAULT_LATENCY_RELATIVE_TOLERANCE,
            absolute_tolerance_ms: DEFAULT_LATENCY_ABSOLUTE_TOLERANCE_MS,
            min_interval_requests: DEFAULT_MIN_INTERVAL_REQUESTS,
        }
    }
}

impl LatencyGuard {
    /// How many statistical tests one look runs (for the α budget).
    pub fn tests(&self) -> u32 {
        u32::from(self.p50) + u32::from(self.p99)
    }

    /// One report per enabled quantile.
    pub fn evaluate(
        &self,
        candidate: &[IntervalLatency],
        stable: &[IntervalLatency],
        min_samples: usize,
        alpha: f64,
    ) -> Vec<GuardReport> {
        let mut reports = Vec::new();
        if self.p50 {
            reports.push(self.compare(
                Guard::LatencyP50,
                candidate,
                stable,
                min_samples,
                alpha,
                |l| l.p50_ms,
            ));
        }
        if self.p99 {
            reports.push(self.compare(
                Guard::LatencyP99,
                candidate,
                stable,
                min_samples,
                alpha,
                |l| l.p99_ms,
            ));
        }
        reports
    }

    fn compare(
        &self,
        guard: Guard,
        candidate: &[IntervalLatency],
        stable: &[IntervalLatency],
        min_samples: usize,
        alpha: f64,
        quantile: impl Fn(&IntervalLatency) -> f64,
    ) -> GuardReport {
        let values = |intervals: &[IntervalLatency]| -> Vec<f64> {
            intervals
                .iter()
                .filter(|l| l.requests >= self.min_interval_requests)
                .map(&quantile)
                .filter(|v| v.is_finite())
                .collect()
        };
        let x = values(candidate);
        let y = values(stable);
        if x.len() < min_samples || y.len() < min_samples {
            return GuardReport::new(
                guard,
                Decision::Inconclusive,
                format!(
                    "too few intervals with ≥ {} requests: candidate {}, stable {} (need {min_samples} each)",
                    self.min_interval_requests,
                    x.len(),
                    y.len()
                ),
            )
            .with("candidate_intervals", x.len() as f64)
            .with("stable_intervals", y.len() as f64);
        }
        let shifted: Vec<f64> = y
            .iter()
            .map(|v| v * (1.0 + self.relative_tolerance) + self.absolute_tolerance_ms)
            .collect();
        let test = mann_whitney::greater(&x, &shifted);
        let decision = if test.p_value < alpha {
            Decision::Fail
        } else {
            Decision::Pass
        };
        let (cm, sm) = (median(&x), median(&y));
        let summary = format!(
            "candidate median {cm:.1} ms vs stable {sm:.1} ms over {}/{} intervals (tolerance +{:.0}% +{:.0} ms), p={:.2e} {} α={alpha:.1e}",
            x.len(),
            y.len(),
            self.relative_tolerance * 100.0,
            self.absolute_tolerance_ms,
            test.p_value,
            if decision == Decision::Fail {
                "<"
            } else {
                "≥"
            },
        );
        GuardReport::new(guard, decision, summary)
            .with("candidate_median_ms", cm)
            .with("stable_median_ms", sm)
            .with("candidate_intervals", x.len() as f64)
            .with("stable_intervals", y.len() as f64)
            .with("u", test.u)
            .with("p_value", test.p_value)
            .with("alpha", alpha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn series(base: f64, n: usize, rng: &mut fastrand::Rng) -> Vec<IntervalLatency> {
        (0..n)
            .map(|i| IntervalLatency {
                at: Duration::from_secs(i as u64),
                requests: 50,
                p50_ms: base / 4.0 + rng.f64() * 5.0,
                p99_ms: base + rng.f64() * 30.0,
            })
            .collect()
    }

    #[test]
    fn fifty_ms_slower_p99_fails_and_the_same_latency_passes() {
        let mut rng = fastrand::Rng::with_seed(1);
        let stable = series(100.0, 30, &mut rng);
        let slow = series(150.0, 30, &mut rng);
        let same = series(100.0, 30, &mut rng);
        let guard = LatencyGuard::default();
        assert_eq!(
            guard.evaluate(&slow, &stable, 10, 1e-3)[0].decision,
            Decision::Fail
        );
        assert_eq!(
            guard.evaluate(&same, &stable, 10, 1e-3)[0].decision,
            Decision::Pass
        );
    }

    #[test]
    fn sparse_intervals_are_inconclusive() {
        let mut rng = fastrand::Rng::with_seed(2);
        let mut thin = series(500.0, 30, &mut rng);
        thin.iter_mut().for_each(|l| l.requests = 1);
        let stable = series(100.0, 30, &mut rng);
        let report = &LatencyGuard::default().evaluate(&thin, &stable, 10, 1e-3)[0];
        assert_eq!(report.decision, Decision::Inconclusive);
    }
}
