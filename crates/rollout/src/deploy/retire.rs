//! Retiring the old release: its workers stop, its HTTP replicas stay warm
//! for the warm window or stop now.

use super::{Deploy, RetireStep, State, Step};
use crate::action::Action;
use crate::outcome::{DeployOutcome, WarmRelease};
use std::time::Instant;

impl Deploy {
    // ----- Retire ---------------------------------------------------------

    pub(super) fn retire(&mut self, now: Instant) -> Step {
        if self.old.other.is_empty() {
            return self.retire_http(now);
        }
        self.state = State::Retire(RetireStep::StopWorkers);
        Step::Act(Action::StopOld {
            replicas: self.old.other.clone(),
        })
    }

    fn retire_http(&mut self, now: Instant) -> Step {
        if !self.plan.warm_window.is_zero() || self.old.http.is_empty() {
            return self.succeed(now);
        }
        self.state = State::Retire(RetireStep::StopHttp);
        Step::Act(Action::StopOld {
            replicas: self.old.http.clone(),
        })
    }

    /// Stopping old replicas cannot fail the deploy: the new release serves
    /// everything already. A replica whose stop failed is left to the
    /// daemon's reconciliation.
    pub(super) fn on_retire(&mut self, step: RetireStep, now: Instant) -> Step {
        match step {
            RetireStep::StopWorkers => self.retire_http(now),
            RetireStep::StopHttp => self.succeed(now),
        }
    }

    fn succeed(&mut self, now: Instant) -> Step {
        let warm = match &self.plan.from {
            Some(release) if !self.plan.warm_window.is_zero() && !self.old.http.is_empty() => {
                Some(WarmRelease {
                    release: release.clone(),
                    replicas: self.old.http.clone(),
                    until: now + self.plan.warm_window,
                })
            }
            _ => None,
        };
        self.finish(DeployOutcome::Succeeded { warm })
    }
}
