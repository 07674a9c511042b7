//! Starting, preflight and smoke: the candidates start off-traffic, their
//! health is polled until all are healthy, then the optional smoke check runs.

use super::{Candidate, Deploy, State, Step};
use crate::action::{Action, Input, ReplicaHealth};
use crate::outcome::{Failure, FailureReason};
use crate::plan::HEALTH_POLL_INTERVAL;
use daytwo_types::ReplicaKey;
use std::time::Instant;

impl Deploy {
    // ----- Starting -------------------------------------------------------

    pub(super) fn start_from(&mut self, index: usize, now: Instant) -> Step {
        for (index, process) in self.plan.processes.iter().enumerate().skip(index) {
            let adopted = self
                .candidates
                .iter()
                .filter(|c| c.adopted && c.key.process == process.name)
                .count() as u32;
            let count = process.replicas.saturating_sub(adopted);
            if count > 0 {
                self.state = State::Starting { index };
                return Step::Act(Action::StartCandidates {
                    release: self.plan.to.clone(),
                    process: process.name.clone(),
                    count,
                });
            }
        }
        let deadline = now + self.plan.preflight_timeout;
        self.check_preflight(deadline)
    }

    pub(super) fn on_started(&mut self, index: usize, input: Input, now: Instant) -> Step {
        match input {
            Input::Started { replicas } => {
                let http = self.plan.processes[index].http;
                self.candidates
                    .extend(replicas.into_iter().map(|key| Candidate {
                        key,
                        http,
                        adopted: false,
                        healthy: false,
                    }));
                self.start_from(index + 1, now)
            }
            other => self.abort_on_target("start candidates", other),
        }
    }

    // ----- Preflight ------------------------------------------------------

    fn check_preflight(&mut self, deadline: Instant) -> Step {
        let pending = self.pending_health();
        if pending.is_empty() {
            // Nothing to wait for (e.g. a plan without processes).
            self.state = State::Preflight { deadline };
            return self.after_preflight();
        }
        self.state = State::Preflight { deadline };
        Step::Act(Action::CheckHealth { replicas: pending })
    }

    fn pending_health(&self) -> Vec<ReplicaKey> {
        self.candidates
            .iter()
            .filter(|c| !c.healthy)
            .map(|c| c.key.clone())
            .collect()
    }

    pub(super) fn on_preflight(&mut self, deadline: Instant, input: Input, now: Instant) -> Step {
        match input {
            Input::Tick => self.check_preflight(deadline),
            Input::Health(report) => {
                for (key, health) in report {
                    let Some(candidate) = self.candidates.iter_mut().find(|c| c.key == key) else {
                        continue;
                    };
                    if let Some(reason) = preflight_failure(candidate, health) {
                        return self.abort(Failure::new(reason, Some(key)));
                    }
                    candidate.healthy = health.is_good();
                }
                let pending = self.pending_health();
                if let Some(first) = pending.first() {
                    if now >= deadline {
                        let reason = FailureReason::PreflightTimeout {
                            timeout: self.plan.preflight_timeout,
                        };
                        return self.abort(Failure::new(reason, Some(first.clone())));
                    }
                    self.state = State::Preflight { deadline };
                    let until = (now + HEALTH_POLL_INTERVAL).min(deadline);
                    return Step::Act(Action::Wait { until });
                }
                self.after_preflight()
            }
            other => self.abort_on_target("health check", other),
        }
    }

    fn after_preflight(&mut self) -> Step {
        let smoke_target = self.candidates.iter().find(|c| c.http && !c.adopted);
        match (&self.plan.smoke, smoke_target) {
            (Some(check), Some(candidate)) => {
                let replica = candidate.key.clone();
                self.state = State::Smoke {
                    replica: replica.clone(),
                };
                Step::Act(Action::RunSmoke {
                    replica,
                    check: check.clone(),
                })
            }
            _ => self.enter_switch(),
        }
    }

    // ----- Smoke ----------------------------------------------------------

    pub(super) fn on_smoke(&mut self, replica: ReplicaKey, input: Input) -> Step {
        match input {
            Input::Smoke(result) if result.passed => self.enter_switch(),
            Input::Smoke(result) => self.abort(Failure::new(
                FailureReason::SmokeFailed {
                    output: result.output,
                },
                Some(replica),
            )),
            other => self.abort_on_target("smoke check", other),
        }
    }
}

/// Why `health` fails `candidate` in preflight, if it does.
fn preflight_failure(candidate: &Candidate, health: ReplicaHealth) -> Option<FailureReason> {
    if candidate.adopted && !health.is_good() {
        return Some(FailureReason::WarmReplicaUnhealthy {
            state: health.state,
        });
    }
    if health.restarts > 0 {
        return Some(FailureReason::CandidateCrashed {
            restarts: health.restarts,
        });
    }
    health
        .is_failed()
        .then_some(FailureReason::CandidateUnhealthy {
            state: health.state,
        })
}
