//! Reconciliation after a daemon crash in the middle of a deploy,
//! level-triggered: from what is actually running and routed (not from what
//! the dead daemon meant to do), decide whether the env finishes on the new
//! release or goes back to the old one, and how.
//!
//! The rule: **finish on new** when the switch had begun (some replica of
//! the new release receives requests) and every process of the new release
//! has its full count of healthy replicas; **back to old** otherwise. A
//! deploy whose switch never began may not have passed its smoke check, so
//! it never finishes. Either way the env ends fully on one release: the
//! routing names only that release, and every replica of another release is
//! stopped.

use crate::action::{Action, ReplicaHealth};
use crate::plan::DeployPlan;
use crate::release::ReleaseRef;
use crate::routing::Routing;
use daytwo_types::{ReplicaKey, ReplicaState};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// What runs in one env, as the target observes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedEnv {
    pub replicas: Vec<ObservedReplica>,
}

/// One replica the target knows of (running, or waiting for a restart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObservedReplica {
    pub key: ReplicaKey,
    pub release: ReleaseRef,
    /// A replica of its release's HTTP process.
    pub http: bool,
    pub health: ReplicaHealth,
    /// Routable in a proxy group whose weight is above 0.
    pub receiving: bool,
}

impl ObservedEnv {
    /// The replicas of `release`.
    pub fn of<'a>(&'a self, release: &'a ReleaseRef) -> impl Iterator<Item = &'a ObservedReplica> {
        self.replicas.iter().filter(move |r| r.release == *release)
    }
}

/// Which release an interrupted deploy ends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    FinishOnNew,
    BackToOld,
}

/// The end state of an interrupted deploy and what to stop to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileDecision {
    pub verdict: Verdict,
    /// The release the env ends on; `None` when a first deploy goes back.
    pub release: Option<ReleaseRef>,
    /// Only `release`'s HTTP replicas, at 100 %.
    pub routing: Routing,
    /// Every replica of another release.
    pub stop: Vec<ReplicaKey>,
}

impl ReconcileDecision {
    /// The actions, in order: set the routing, drain the HTTP replicas that
    /// leave, stop everything that is not of the chosen release.
    pub fn actions(&self, observed: &ObservedEnv, drain_timeout: Duration) -> Vec<Action> {
        let mut actions = vec![Action::SetRoutes(self.routing.clone())];
        let draining: Vec<ReplicaKey> = observed
            .replicas
            .iter()
            .filter(|r| r.http && r.health.state.is_running() && self.stop.contains(&r.key))
            .map(|r| r.key.clone())
            .collect();
        if !draining.is_empty() {
            actions.push(Action::Drain {
                replicas: draining,
                timeout: drain_timeout,
            });
        }
        if !self.stop.is_empty() {
            let replicas = self.stop.clone();
            actions.push(match self.verdict {
                Verdict::FinishOnNew => Action::StopOld { replicas },
                Verdict::BackToOld => Action::StopCandidates { replicas },
            });
        }
        actions
    }
}

/// Decides how the interrupted deploy of `plan` ends, given what runs.
pub fn reconcile(plan: &DeployPlan, observed: &ObservedEnv) -> ReconcileDecision {
    let switch_started = observed.of(&plan.to).any(|r| r.receiving);
    let complete = plan.processes.iter().all(|process| {
        let healthy = observed
            .of(&plan.to)
            .filter(|r| r.key.process == process.name && r.health.state == ReplicaState::Healthy)
            .count();
        healthy >= process.replicas as usize
    });
    let redeploy = plan.from.as_ref() == Some(&plan.to);
    let (verdict, release) = if redeploy || (switch_started && complete) {
        (Verdict::FinishOnNew, Some(plan.to.clone()))
    } else {
        (Verdict::BackToOld, plan.from.clone())
    };
    let chosen = |r: &&ObservedReplica| Some(&r.release) == release.as_ref();
    let routing = match &release {
        Some(release) => Routing::only(
            release.clone(),
            observed
                .replicas
                .iter()
                .filter(chosen)
                .filter(|r| r.http)
                .map(|r| r.key.clone()),
        ),
        None => Routing::empty(),
    };
    let stop = observed
        .replicas
        .iter()
        .filter(|r| !chosen(r))
        .map(|r| r.key.clone())
        .collect();
    ReconcileDecision {
        verdict,
        release,
        routing,
        stop,
    }
}

#[cfg(test)]
mod tests;
