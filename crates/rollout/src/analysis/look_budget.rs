//! The sequential correction: how much false-alarm probability (α) one test
//! at one look may spend, so that all the looks of a whole canary together
//! stay within the configured α.
//!
//! The canary plans its looks in advance: every held step is looked at every
//! `analysis_interval`, and at most `max_extensions` extensions of the same
//! length follow, so the number of looks is bounded and known before the
//! first one. Each statistical test at each look gets
//! `α / (planned looks × tests per look)` (Bonferroni). By the union bound,
//! P(any false fail) ≤ Σ P(false fail at a look) ≤ α, whatever the
//! dependence between looks (they overlap: each window contains the previous
//! one). A look that does not happen (the canary passed or failed earlier)
//! leaves its share unspent, which only makes the canary more conservative.

use serde::{Deserialize, Serialize};

/// The α budget of a canary, split evenly over its planned looks and tests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LookBudget {
    /// The family-wise α of the whole canary.
    pub alpha: f64,
    /// Looks planned over every held step and every allowed extension.
    pub planned_looks: u32,
}

impl LookBudget {
    pub fn new(alpha: f64, planned_looks: u32) -> Self {
        Self {
            alpha,
            planned_looks: planned_looks.max(1),
        }
    }

    /// The α one of `tests` statistical tests may spend at one look.
    pub fn per_test(&self, tests: u32) -> f64 {
        self.alpha / (f64::from(self.planned_looks) * f64::from(tests.max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_splits_alpha_over_looks_and_tests() {
        let budget = LookBudget::new(0.05, 10);
        assert!((budget.per_test(5) - 0.001).abs() < 1e-15);
        assert_eq!(LookBudget::new(0.05, 0).per_test(0), 0.05);
    }

    #[test]
    fn spending_the_budget_on_every_look_keeps_the_family_wise_rate_under_alpha() {
        // 12 looks at a growing window of A/A data (each test at α/12):
        // the chance that *any* look rejects stays below α, whereas testing
        // each look at α would inflate it several times.
        let budget = LookBudget::new(0.05, 12);
        let mut rng = fastrand::Rng::with_seed(5);
        let runs = 1_000;
        let (mut corrected, mut naive) = (0, 0);
        for _ in 0..runs {
            let (mut c_err, mut c_n, mut s_err, mut s_n) = (0u64, 0u64, 0u64, 0u64);
            let (mut any_corrected, mut any_naive) = (false, false);
            for _ in 0..12 {
                for _ in 0..100 {
                    c_n += 1;
                    c_err += u64::from(rng.f64() < 0.03);
                }
                for _ in 0..400 {
                    s_n += 1;
                    s_err += u64::from(rng.f64() < 0.03);
                }
                let p = super::super::proportion::excess_test(c_err, c_n, s_err, s_n, 0.0).p_value;
                any_corrected |= p < budget.per_test(1);
                any_naive |= p < 0.05;
            }
            corrected += u32::from(any_corrected);
            naive += u32::from(any_naive);
        }
        let corrected = f64::from(corrected) / f64::from(runs);
        let naive = f64::from(naive) / f64::from(runs);
        assert!(corrected <= 0.05, "corrected rate {corrected}");
        assert!(naive > 0.1, "uncorrected rate {naive}");
    }
}
