//! The deploy state machine, sans I/O. It reads top to bottom like the
//! deploy itself:
//!
//! ```text
//! Starting ─> Preflight ─> Smoke ─> Switch ─> Retire ─> Succeeded
//!    │            │          │        │
//!    └────────────┴──────────┴──> Abort ──> Failed (routing never touched)
//!                                         └> RolledBack (routing restored) / Unresolved
//! ```
//!
//! - **Starting**: the candidates of every process are started off-traffic.
//! - **Preflight**: their health is polled until all are healthy; a crash, a
//!   failing check or the preflight timeout fails the deploy.
//! - **Smoke**: the optional smoke check runs against one HTTP candidate.
//! - **Switch**: blue-green moves all traffic with one routing change;
//!   rolling admits one candidate, then removes and drains one old replica,
//!   and repeats. The candidates' health is checked before every change, and
//!   before the final one that makes the candidate the stable group. A
//!   canary sets each step's weights (stable 100 − w, candidate w), holds
//!   the step while looking at the analysis every `analysis_interval`, and
//!   goes on when the step's last look passes; a failing look aborts at
//!   once, an inconclusive end extends the step up to `max_extensions`
//!   times, then fails closed.
//! - **Retire**: the old workers stop; the old HTTP replicas stay warm
//!   (unroutable) for the warm window, or stop now when it is zero.
//! - **Abort**: collect the failing replica's logs, restore the routing of
//!   before the deploy if it was touched, drain and stop the candidates.
//!
//! The machine asks for one [`Action`] at a time and is fed its [`Input`]
//! (see [`crate::action`]); time comes in as `now`. Nothing here awaits.

use crate::action::{Action, Input};
use crate::outcome::{DeployOutcome, Failure, WarmRelease};
use crate::plan::{DeployPlan, Strategy};
use crate::routing::Routing;
use daytwo_types::ReplicaKey;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

mod abort;
mod canary;
mod preflight;
mod retire;
mod switch;

// Names `tests` reaches through `use super::*`.
#[cfg(test)]
use crate::action::ReplicaHealth;
#[cfg(test)]
use crate::outcome::FailureReason;
#[cfg(test)]
use crate::plan::{FAILURE_LOG_LINES, HEALTH_POLL_INTERVAL};
#[cfg(test)]
use crate::routing::RouteGroup;

#[cfg(test)]
mod tests;

/// What the caller does next: perform an action and feed its input back, or
/// stop because the deploy is over.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Act(Action),
    Finished(DeployOutcome),
}

/// The running replicas of the release serving before the deploy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentReplicas {
    /// Replicas of the HTTP process: routable before the deploy.
    pub http: Vec<ReplicaKey>,
    /// Replicas of the other processes (workers).
    pub other: Vec<ReplicaKey>,
}

/// Where the machine is, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    Starting,
    Preflight,
    Smoke,
    Switch,
    Retire,
    Abort,
    Finished,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "start candidates",
            Self::Preflight => "wait for health",
            Self::Smoke => "smoke check",
            Self::Switch => "switch traffic",
            Self::Retire => "retire old release",
            Self::Abort => "roll back",
            Self::Finished => "finished",
        }
    }
}

/// One replica started (or adopted) by this deploy.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    key: ReplicaKey,
    http: bool,
    /// Already running before the deploy (a warm rollback's replicas).
    adopted: bool,
    healthy: bool,
}

/// One deploy of `plan.to` into `plan.env`.
#[derive(Debug, Clone)]
pub struct Deploy {
    plan: DeployPlan,
    old: CurrentReplicas,
    candidates: Vec<Candidate>,
    /// The routing before the deploy: what a rollback restores.
    before: Routing,
    /// A `SetRoutes` was sent (even if it failed: it may have applied).
    routes_touched: bool,
    state: State,
}

#[derive(Debug, Clone)]
enum State {
    /// Waiting for `Started` of `plan.processes[index]`.
    Starting {
        index: usize,
    },
    /// Waiting for `Health` or `Tick`.
    Preflight {
        deadline: Instant,
    },
    /// Waiting for `Smoke` of `replica`.
    Smoke {
        replica: ReplicaKey,
    },
    Switch(Switch),
    Retire(RetireStep),
    Abort(Abort),
    Finished(DeployOutcome),
}

/// Progress of the traffic switch.
#[derive(Debug, Clone)]
struct Switch {
    /// Old HTTP replicas still routable, in removal order.
    old_routable: Vec<ReplicaKey>,
    new_routable: BTreeSet<ReplicaKey>,
    /// Blue-green: the one big move is done.
    switched_all: bool,
    /// Canary: the index of the next step to consider.
    next_step: usize,
    /// Canary: the step being held.
    hold: Option<Hold>,
    waiting: SwitchWait,
}

/// A canary step being held and analysed.
#[derive(Debug, Clone)]
struct Hold {
    step: usize,
    /// The routing change of the step: the analysis window's start.
    started: Instant,
    until: Instant,
    looks: u32,
    extensions: u32,
}

#[derive(Debug, Clone)]
enum SwitchWait {
    /// `Health` of the candidates, before `Move`.
    Health(Move),
    /// `RoutesApplied` of `Move`.
    Routes(Move),
    /// `Drained` of old replicas that left routing.
    Drain,
    /// Canary: `Tick` of the wait before the next look.
    Hold,
    /// Canary: `Verdict` of a look.
    Verdict,
    /// Canary: `Drained` of the old replicas after the final change.
    DrainThenRetire,
}

/// One routing change of the switch.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Move {
    /// Rolling: this candidate becomes routable.
    Admit(ReplicaKey),
    /// Rolling: this old replica leaves routing.
    Remove(ReplicaKey),
    /// Blue-green: every candidate routable, the old group at weight 0.
    SwitchAll,
    /// Canary: every candidate routable at this step's weight.
    Canary(usize),
    /// The candidates become the stable group at 100 %.
    Finalize,
}

#[derive(Debug, Clone, Copy)]
enum RetireStep {
    StopWorkers,
    StopHttp,
}

#[derive(Debug, Clone)]
struct Abort {
    failure: Failure,
    waiting: AbortStep,
}

/// In the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum AbortStep {
    CollectLogs,
    Restore,
    DrainCandidates,
    StopCandidates,
}

impl Deploy {
    /// A deploy of `plan.to`, with `current` the running replicas of
    /// `plan.from`. Returns the machine and its first step.
    pub fn new(plan: DeployPlan, current: CurrentReplicas, now: Instant) -> (Self, Step) {
        let mut deploy = Self::idle(plan, current);
        let step = deploy.start_from(0, now);
        (deploy, step)
    }

    /// A warm rollback: `warm`'s HTTP replicas are still running, so going
    /// back is a proxy switch. `plan.to` becomes `warm.release`; the strategy
    /// is blue-green, there is no smoke check and no warm window (the release
    /// rolled back from stops at once). Only the missing replicas (the
    /// workers) are started. A warm replica that is not healthy at the first
    /// check fails the rollback with `WarmReplicaUnhealthy` before anything
    /// changed: do a cold rollback then.
    pub fn rollback_warm(
        mut plan: DeployPlan,
        current: CurrentReplicas,
        warm: &WarmRelease,
        now: Instant,
    ) -> (Self, Step) {
        plan.to = warm.release.clone();
        plan.strategy = Strategy::BlueGreen;
        plan.smoke = None;
        plan.warm_window = Duration::ZERO;
        let mut adopted = Vec::new();
        for process in plan.processes.iter().filter(|process| process.http) {
            adopted.extend(
                warm.replicas
                    .iter()
                    .filter(|key| key.process == process.name)
                    .take(process.replicas as usize)
                    .map(|key| Candidate {
                        key: key.clone(),
                        http: true,
                        adopted: true,
                        healthy: false,
                    }),
            );
        }
        let mut deploy = Self::idle(plan, current);
        deploy.candidates = adopted;
        let step = deploy.start_from(0, now);
        (deploy, step)
    }

    fn idle(plan: DeployPlan, current: CurrentReplicas) -> Self {
        let before = match &plan.from {
            Some(from) => Routing::only(from.clone(), current.http.iter().cloned()),
            None => Routing::empty(),
        };
        Self {
            plan,
            old: current,
            candidates: Vec::new(),
            before,
            routes_touched: false,
            state: State::Starting { index: 0 },
        }
    }

    pub fn plan(&self) -> &DeployPlan {
        &self.plan
    }

    /// The routing before the deploy: what a failure restores.
    pub fn before(&self) -> &Routing {
        &self.before
    }

    /// The replicas this deploy started or adopted, so far.
    pub fn candidates(&self) -> Vec<ReplicaKey> {
        self.candidates.iter().map(|c| c.key.clone()).collect()
    }

    pub fn phase(&self) -> Phase {
        match &self.state {
            State::Starting { .. } => Phase::Starting,
            State::Preflight { .. } => Phase::Preflight,
            State::Smoke { .. } => Phase::Smoke,
            State::Switch(_) => Phase::Switch,
            State::Retire(_) => Phase::Retire,
            State::Abort(_) => Phase::Abort,
            State::Finished(_) => Phase::Finished,
        }
    }

    /// Feeds the input of the last action; returns what to do next.
    pub fn step(&mut self, input: Input, now: Instant) -> Step {
        let state = std::mem::replace(&mut self.state, State::Starting { index: 0 });
        match state {
            State::Starting { index } => self.on_started(index, input, now),
            State::Preflight { deadline } => self.on_preflight(deadline, input, now),
            State::Smoke { replica } => self.on_smoke(replica, input),
            State::Switch(switch) => self.on_switch(switch, input, now),
            State::Retire(step) => self.on_retire(step, now),
            State::Abort(abort) => self.on_abort(abort, input),
            State::Finished(outcome) => self.finish(outcome),
        }
    }

    fn finish(&mut self, outcome: DeployOutcome) -> Step {
        self.state = State::Finished(outcome.clone());
        Step::Finished(outcome)
    }
}
