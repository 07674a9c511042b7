//! The abort: collect the failing replica's logs, restore the routing of
//! before the deploy, drain and stop the candidates.

use super::{Abort, AbortStep, Deploy, State, Step};
use crate::action::{Action, Input};
use crate::outcome::{DeployOutcome, Failure, FailureReason};
use crate::plan::FAILURE_LOG_LINES;
use daytwo_types::ReplicaKey;

impl Deploy {
    // ----- Abort ----------------------------------------------------------

    pub(super) fn abort_on_target(&mut self, step: &str, input: Input) -> Step {
        let error = match input {
            Input::ActionFailed { error } => error,
            other => format!("unexpected input {other:?}"),
        };
        self.abort(Failure::new(
            FailureReason::Target {
                step: step.to_owned(),
                error,
            },
            None,
        ))
    }

    pub(super) fn abort(&mut self, failure: Failure) -> Step {
        let Some(replica) = failure.replica.clone() else {
            return self.abort_from(failure, AbortStep::Restore);
        };
        self.state = State::Abort(Abort {
            failure,
            waiting: AbortStep::CollectLogs,
        });
        Step::Act(Action::CollectLogs {
            replica,
            last_n: FAILURE_LOG_LINES,
        })
    }

    /// The abort's steps from `first` on, skipping those with nothing to do:
    /// restore the routing (if it was touched), drain the HTTP candidates
    /// (idem), stop the candidates this deploy started.
    pub(super) fn abort_from(&mut self, failure: Failure, first: AbortStep) -> Step {
        for step in [
            AbortStep::Restore,
            AbortStep::DrainCandidates,
            AbortStep::StopCandidates,
        ] {
            if step < first {
                continue;
            }
            let action = match step {
                AbortStep::Restore if self.routes_touched => {
                    Some(Action::SetRoutes(self.before.clone()))
                }
                AbortStep::DrainCandidates if self.routes_touched => {
                    let replicas: Vec<ReplicaKey> = self.http_candidates().cloned().collect();
                    (!replicas.is_empty()).then_some(Action::Drain {
                        replicas,
                        timeout: self.plan.drain_timeout,
                    })
                }
                AbortStep::StopCandidates => {
                    let replicas: Vec<ReplicaKey> = self
                        .candidates
                        .iter()
                        .filter(|c| !c.adopted)
                        .map(|c| c.key.clone())
                        .collect();
                    (!replicas.is_empty()).then_some(Action::StopCandidates { replicas })
                }
                _ => None,
            };
            if let Some(action) = action {
                self.state = State::Abort(Abort {
                    failure,
                    waiting: step,
                });
                return Step::Act(action);
            }
        }
        self.aborted(failure)
    }

    pub(super) fn on_abort(&mut self, mut abort: Abort, input: Input) -> Step {
        match (abort.waiting, input) {
            (AbortStep::CollectLogs, Input::Logs(lines)) => {
                abort.failure.logs = lines;
                self.abort_from(abort.failure, AbortStep::Restore)
            }
            // Logs are a courtesy: without them the abort goes on.
            (AbortStep::CollectLogs, _) => self.abort_from(abort.failure, AbortStep::Restore),
            (AbortStep::Restore, Input::RoutesApplied) => {
                self.abort_from(abort.failure, AbortStep::DrainCandidates)
            }
            (AbortStep::Restore, other) => {
                let error = match other {
                    Input::ActionFailed { error } => error,
                    other => format!("unexpected input {other:?}"),
                };
                self.finish(DeployOutcome::Unresolved {
                    failure: abort.failure,
                    error,
                })
            }
            (AbortStep::DrainCandidates, _) => {
                self.abort_from(abort.failure, AbortStep::StopCandidates)
            }
            (AbortStep::StopCandidates, _) => self.aborted(abort.failure),
        }
    }

    fn aborted(&mut self, failure: Failure) -> Step {
        let outcome = if self.routes_touched {
            DeployOutcome::RolledBack(failure)
        } else {
            DeployOutcome::Failed(failure)
        };
        self.finish(outcome)
    }
}
