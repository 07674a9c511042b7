//! The restarts guard: a candidate replica that restarted during the window
//! crashed; that fails the canary whatever the stable group does. Not a
//! statistical test: one crash is evidence enough.

use super::samples::GroupSamples;
use super::verdict::{Decision, Guard, GuardReport};

/// Fails when the candidate restarted at all.
pub fn evaluate(candidate: &GroupSamples, stable: &GroupSamples) -> GuardReport {
    let decision = if candidate.restarts > 0 {
        Decision::Fail
    } else {
        Decision::Pass
    };
    GuardReport::new(
        Guard::Restarts,
        decision,
        format!(
            "candidate restarted {} time(s), stable {}",
            candidate.restarts, stable.restarts
        ),
    )
    .with("candidate_restarts", f64::from(candidate.restarts))
    .with("stable_restarts", f64::from(stable.restarts))
}
