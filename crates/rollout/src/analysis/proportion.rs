//! The two-proportion test behind the error-rate guard: is the candidate's
//! error share higher than the stable one's by more than a margin (the dead
//! band)?
//!
//! H0: p_candidate − p_stable ≤ margin, against H1: it is larger. The
//! statistic uses the Agresti–Caffo adjustment (one error and one success
//! added to each group), which keeps the standard error positive with zero
//! errors and gives close to nominal error rates for small counts, unlike
//! the plain Wald test: `p̃ = (x + 1) / (n + 2)`,
//! `z = (p̃_c − p̃_s − margin) / √(p̃_c(1 − p̃_c)/(n_c + 2) + p̃_s(1 − p̃_s)/(n_s + 2))`,
//! one-sided p-value `P(Z > z)`. Where `z > 0` (the only region where the
//! test can reject) the statistic never decreases when the candidate's
//! error count grows with its total fixed, so the decision is monotone in
//! the error count.

use super::normal;

/// The result of one test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionTest {
    /// Observed shares (not adjusted).
    pub candidate_rate: f64,
    pub stable_rate: f64,
    pub margin: f64,
    pub z: f64,
    pub p_value: f64,
}

/// Tests whether `candidate_errors / candidate_total` exceeds
/// `stable_errors / stable_total` by more than `margin` (both totals > 0).
pub fn excess_test(
    candidate_errors: u64,
    candidate_total: u64,
    stable_errors: u64,
    stable_total: u64,
    margin: f64,
) -> ProportionTest {
    let adjusted = |x: u64, n: u64| (x as f64 + 1.0) / (n as f64 + 2.0);
    let pc = adjusted(candidate_errors, candidate_total);
    let ps = adjusted(stable_errors, stable_total);
    let variance = pc * (1.0 - pc) / (candidate_total as f64 + 2.0)
        + ps * (1.0 - ps) / (stable_total as f64 + 2.0);
    let z = (pc - ps - margin) / variance.sqrt();
    ProportionTest {
        candidate_rate: candidate_errors as f64 / candidate_total.max(1) as f64,
        stable_rate: stable_errors as f64 / stable_total.max(1) as f64,
        margin,
        z,
        p_value: normal::upper_tail(z),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn five_points_more_errors_is_significant_with_enough_requests() {
        let test = excess_test(60, 1_000, 50, 5_000, 0.01);
        assert!(test.p_value < 1e-6, "{test:?}");
    }

    #[test]
    fn equal_rates_are_not_significant() {
        let test = excess_test(10, 1_000, 50, 5_000, 0.01);
        assert!(test.p_value > 0.5, "{test:?}");
        // Zero errors everywhere: a finite statistic, no evidence.
        let test = excess_test(0, 100, 0, 1_000, 0.0);
        assert!(test.z.is_finite() && test.p_value > 0.1, "{test:?}");
    }

    #[test]
    fn a_difference_inside_the_dead_band_is_not_significant() {
        // 1.5 % vs 1 %: half a point, inside a one-point band.
        let test = excess_test(1_500, 100_000, 1_000, 100_000, 0.01);
        assert!(test.p_value > 0.9, "{test:?}");
    }

    #[test]
    fn rejections_under_the_null_stay_near_alpha() {
        // A/A at 2 % errors, 400 vs 3 600 requests, α = 0.05.
        let mut rng = fastrand::Rng::with_seed(11);
        let draws =
            |n: u64, rng: &mut fastrand::Rng| (0..n).filter(|_| rng.f64() < 0.02).count() as u64;
        let runs = 2_000;
        let rejected = (0..runs)
            .filter(|_| {
                let c = draws(400, &mut rng);
                let s = draws(3_600, &mut rng);
                excess_test(c, 400, s, 3_600, 0.0).p_value < 0.05
            })
            .count();
        let rate = rejected as f64 / runs as f64;
        assert!(rate < 0.065, "false-alarm rate {rate}");
    }

    proptest! {
        #[test]
        fn more_candidate_errors_never_turn_a_rejection_into_an_acceptance(
            total in 1u64..5_000,
            errors in 0u64..5_000,
            stable_total in 1u64..50_000,
            stable_errors in 0u64..50_000,
            margin in 0.0f64..0.2,
        ) {
            let errors = errors.min(total - 1);
            let stable_errors = stable_errors.min(stable_total);
            let fewer = excess_test(errors, total, stable_errors, stable_total, margin);
            let more = excess_test(errors + 1, total, stable_errors, stable_total, margin);
            if fewer.z > 0.0 {
                prop_assert!(more.z >= fewer.z - 1e-12, "{:?} vs {:?}", fewer, more);
            }
            for alpha in [0.05, 1e-3, 1e-5] {
                prop_assert!(fewer.p_value >= alpha || more.p_value < alpha);
            }
        }
    }
}
