//! The async driver: loops the sans-io [`Deploy`] machine against a
//! [`Target`], one action at a time, and reports progress as
//! [`DeployEvent`]s (named phases and steps with timings, for spinners).
//!
//! ```text
//! run_deploy ─observe─> Deploy::new ─Action─> perform (Target) ─Input─> Deploy::step ─> … ─> DeployOutcome
//! ```

use crate::action::{Action, Input};
use crate::analysis::{Guard, Verdict};
use crate::deploy::{CurrentReplicas, Deploy, Phase, Step};
use crate::outcome::{DeployOutcome, Failure, FailureReason, WarmRelease};
use crate::plan::DeployPlan;
use crate::reconcile::{ObservedEnv, ReconcileDecision};
use crate::target::{Clock, Target};
use std::time::Duration;

/// Progress of a deploy, for the CLI's spinners and the event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployEvent {
    PhaseStarted {
        phase: Phase,
    },
    /// `elapsed`: time spent in the phase.
    PhaseFinished {
        phase: Phase,
        elapsed: Duration,
    },
    /// One action done (health polls and waits are not reported).
    StepDone {
        phase: Phase,
        description: String,
        elapsed: Duration,
        /// The target's error, when the action failed.
        error: Option<String>,
    },
}

/// Deploys `plan` on `target`: observes the env for the replicas of
/// `plan.from`, then drives the machine to its outcome.
pub async fn run_deploy<T: Target, C: Clock>(
    plan: DeployPlan,
    target: &T,
    clock: &C,
    progress: impl FnMut(DeployEvent),
) -> DeployOutcome {
    let current = match observe_current(&plan, target).await {
        Ok(current) => current,
        Err(outcome) => return outcome,
    };
    let (deploy, step) = Deploy::new(plan, current, clock.now());
    drive(deploy, step, target, clock, progress).await
}

/// Rolls back to `warm.release` by a proxy switch (see
/// [`Deploy::rollback_warm`]); `plan.from` is the release rolled back from.
pub async fn run_warm_rollback<T: Target, C: Clock>(
    plan: DeployPlan,
    warm: &WarmRelease,
    target: &T,
    clock: &C,
    progress: impl FnMut(DeployEvent),
) -> DeployOutcome {
    let current = match observe_current(&plan, target).await {
        Ok(current) => current,
        Err(outcome) => return outcome,
    };
    let (deploy, step) = Deploy::rollback_warm(plan, current, warm, clock.now());
    drive(deploy, step, target, clock, progress).await
}

async fn observe_current<T: Target>(
    plan: &DeployPlan,
    target: &T,
) -> Result<CurrentReplicas, DeployOutcome> {
    let observed = target.observe(&plan.env).await.map_err(|error| {
        DeployOutcome::Failed(Failure::new(
            FailureReason::Target {
                step: "observe env".to_owned(),
                error: error.to_string(),
            },
            None,
        ))
    })?;
    Ok(current_replicas(plan, &observed))
}

/// The replicas of `plan.from` in `observed`, split by HTTP or not.
pub fn current_replicas(plan: &DeployPlan, observed: &ObservedEnv) -> CurrentReplicas {
    let mut current = CurrentReplicas::default();
    let Some(from) = &plan.from else {
        return current;
    };
    for replica in observed.of(from) {
        if replica.http {
            current.http.push(replica.key.clone());
        } else {
            current.other.push(replica.key.clone());
        }
    }
    current
}

/// Loops `deploy` from `step` against `target` until it finishes.
pub async fn drive<T: Target, C: Clock>(
    mut deploy: Deploy,
    mut step: Step,
    target: &T,
    clock: &C,
    mut progress: impl FnMut(DeployEvent),
) -> DeployOutcome {
    let env = deploy.plan().env.clone();
    let mut phase = deploy.phase();
    let mut phase_start = clock.now();
    progress(DeployEvent::PhaseStarted { phase });
    loop {
        let action = match step {
            Step::Act(action) => action,
            Step::Finished(outcome) => {
                progress(DeployEvent::PhaseFinished {
                    phase,
                    elapsed: clock.now() - phase_start,
                });
                return outcome;
            }
        };
        let reported = !matches!(action, Action::CheckHealth { .. } | Action::Wait { .. });
        let description = action.describe();
        let started = clock.now();
        let input = perform(&env, action, target, clock).await;
        if reported {
            let error = match &input {
                Input::ActionFailed { error } => Some(error.clone()),
                _ => None,
            };
            progress(DeployEvent::StepDone {
                phase,
                description,
                elapsed: clock.now() - started,
                error,
            });
        }
        let now = clock.now();
        step = deploy.step(input, now);
        if deploy.phase() != phase {
            progress(DeployEvent::PhaseFinished {
                phase,
                elapsed: now - phase_start,
            });
            phase = deploy.phase();
            phase_start = now;
            if phase != Phase::Finished {
                progress(DeployEvent::PhaseStarted { phase });
            }
        }
    }
}

/// Performs one action; a target error becomes [`Input::ActionFailed`].
pub async fn perform<T: Target, C: Clock>(
    env: &str,
    action: Action,
    target: &T,
    clock: &C,
) -> Input {
    let result = match action {
        Action::StartCandidates {
            release,
            process,
            count,
        } => target
            .start_replicas(env, &release, &process, count)
            .await
            .map(|replicas| Input::Started { replicas }),
        Action::CheckHealth { replicas } => {
            let mut report = Vec::with_capacity(replicas.len());
            let mut failed = None;
            for replica in replicas {
                match target.replica_health(&replica).await {
                    Ok(health) => report.push((replica, health)),
                    Err(error) => {
                        failed = Some(error);
                        break;
                    }
                }
            }
            match failed {
                Some(error) => Err(error),
                None => Ok(Input::Health(report)),
            }
        }
        Action::Wait { until } => {
            clock.sleep_until(until).await;
            Ok(Input::Tick)
        }
        Action::RunSmoke { replica, check } => {
            target.run_smoke(&replica, &check).await.map(Input::Smoke)
        }
        Action::SetRoutes(routing) => target
            .set_routes(env, &routing)
            .await
            .map(|()| Input::RoutesApplied),
        Action::Drain { replicas, timeout } => target
            .wait_drained(&replicas, timeout)
            .await
            .map(|complete| Input::Drained { complete }),
        Action::StopCandidates { replicas } | Action::StopOld { replicas } => target
            .stop_replicas(&replicas)
            .await
            .map(|()| Input::Stopped),
        Action::CollectLogs { replica, last_n } => {
            target.replica_logs(&replica, last_n).await.map(Input::Logs)
        }
        // Samples that cannot be collected make the look inconclusive, not
        // the deploy failed: the step is extended, and fails closed at the
        // limit.
        Action::Analyze(request) => {
            let verdict = match target.collect_samples(env, &request.samples).await {
                Ok(samples) => request.guards.evaluate(&samples, request.budget),
                Err(error) => Verdict::unavailable(
                    Guard::Samples,
                    format!("the samples could not be collected: {error}"),
                ),
            };
            target.record_verdict(env, &request, &verdict).await;
            Ok(Input::Verdict(verdict))
        }
    };
    result.unwrap_or_else(|error| Input::ActionFailed {
        error: error.to_string(),
    })
}

/// A reconciliation action the target could not perform.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reconcile: {action} failed: {error}")]
pub struct ReconcileError {
    pub action: String,
    pub error: String,
}

/// Carries out a reconciliation decision: routing first, then drain and
/// stop what leaves. Stops at the first target error (reconciling again is
/// safe: the decision is computed from what runs).
pub async fn apply_reconcile<T: Target, C: Clock>(
    env: &str,
    decision: &ReconcileDecision,
    observed: &ObservedEnv,
    drain_timeout: Duration,
    target: &T,
    clock: &C,
) -> Result<(), ReconcileError> {
    for action in decision.actions(observed, drain_timeout) {
        let description = action.describe();
        if let Input::ActionFailed { error } = perform(env, action, target, clock).await {
            return Err(ReconcileError {
                action: description,
                error,
            });
        }
    }
    Ok(())
}
