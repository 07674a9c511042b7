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

use crate::action::{Action, AnalysisRequest, Input, ReplicaHealth};
use crate::analysis::{Decision, LookBudget, SampleRequest, Verdict};
use crate::outcome::{DeployOutcome, Failure, FailureReason, WarmRelease};
use crate::plan::{CanaryStep, DeployPlan, FAILURE_LOG_LINES, HEALTH_POLL_INTERVAL, Strategy};
use crate::routing::{RouteGroup, Routing};
use daytwo_types::ReplicaKey;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

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

    // ----- Starting -------------------------------------------------------

    fn start_from(&mut self, index: usize, now: Instant) -> Step {
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

    fn on_started(&mut self, index: usize, input: Input, now: Instant) -> Step {
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

    fn on_preflight(&mut self, deadline: Instant, input: Input, now: Instant) -> Step {
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

    fn on_smoke(&mut self, replica: ReplicaKey, input: Input) -> Step {
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

    // ----- Switch ---------------------------------------------------------

    fn enter_switch(&mut self) -> Step {
        let switch = Switch {
            old_routable: self.old.http.clone(),
            new_routable: BTreeSet::new(),
            switched_all: false,
            next_step: 0,
            hold: None,
            waiting: SwitchWait::Drain,
        };
        self.next_move(switch)
    }

    fn http_candidates(&self) -> impl Iterator<Item = &ReplicaKey> {
        self.candidates.iter().filter(|c| c.http).map(|c| &c.key)
    }

    /// Decides the next routing change and checks the candidates first.
    fn next_move(&mut self, mut switch: Switch) -> Step {
        let next = match &self.plan.strategy {
            // With no stable replicas there is nothing to compare with: a
            // canary of a first deploy switches like blue-green.
            Strategy::Canary { steps } if !self.old.http.is_empty() => steps
                .iter()
                .enumerate()
                .skip(switch.next_step)
                .find(|(_, step)| (1..100).contains(&step.weight_percent))
                .map_or(Move::Finalize, |(index, _)| Move::Canary(index)),
            Strategy::BlueGreen | Strategy::Canary { .. } if !switch.switched_all => {
                Move::SwitchAll
            }
            Strategy::BlueGreen | Strategy::Canary { .. } => Move::Finalize,
            // Alternate: admit one, remove one. Admit first, so capacity
            // never drops below what it was.
            Strategy::Rolling => {
                let unadmitted = self
                    .http_candidates()
                    .find(|key| !switch.new_routable.contains(*key))
                    .cloned();
                let removed = self.old.http.len() - switch.old_routable.len();
                let admit_turn = switch.new_routable.len() <= removed;
                match (unadmitted, switch.old_routable.first()) {
                    (Some(key), None) => Move::Admit(key),
                    (Some(key), Some(_)) if admit_turn => Move::Admit(key),
                    (_, Some(old)) => Move::Remove(old.clone()),
                    (None, None) => Move::Finalize,
                }
            }
        };
        let mut replicas: Vec<ReplicaKey> = match &next {
            Move::SwitchAll | Move::Canary(_) => self.http_candidates().cloned().collect(),
            _ => switch.new_routable.iter().cloned().collect(),
        };
        if let Move::Admit(key) = &next {
            replicas.push(key.clone());
        }
        switch.waiting = SwitchWait::Health(next);
        self.state = State::Switch(switch);
        Step::Act(Action::CheckHealth { replicas })
    }

    fn on_switch(&mut self, mut switch: Switch, input: Input, now: Instant) -> Step {
        let waiting = std::mem::replace(&mut switch.waiting, SwitchWait::Drain);
        match (waiting, input) {
            (SwitchWait::Health(next), Input::Health(report)) => {
                if let Some((key, health)) = report.into_iter().find(|(_, h)| !h.is_good()) {
                    let reason = FailureReason::CandidateFailedDuringSwitch {
                        state: health.state,
                        restarts: health.restarts,
                    };
                    return self.abort(Failure::new(reason, Some(key)));
                }
                match &next {
                    Move::Admit(key) => {
                        switch.new_routable.insert(key.clone());
                    }
                    Move::Remove(key) => switch.old_routable.retain(|old| old != key),
                    Move::SwitchAll => {
                        switch.new_routable = self.http_candidates().cloned().collect();
                        switch.switched_all = true;
                    }
                    Move::Canary(_) => {
                        switch.new_routable = self.http_candidates().cloned().collect();
                    }
                    Move::Finalize => {}
                }
                let routing = match next {
                    Move::Finalize => {
                        Routing::only(self.plan.to.clone(), self.http_candidates().cloned())
                    }
                    Move::SwitchAll => self.split(&[], &switch.new_routable),
                    Move::Canary(index) => self
                        .canary_split(self.canary_step(index).weight_percent, &switch.new_routable),
                    Move::Admit(_) | Move::Remove(_) => {
                        self.split(&switch.old_routable, &switch.new_routable)
                    }
                };
                switch.waiting = SwitchWait::Routes(next);
                self.state = State::Switch(switch);
                self.routes_touched = true;
                Step::Act(Action::SetRoutes(routing))
            }
            (SwitchWait::Routes(done), Input::RoutesApplied) => {
                let leaving: Vec<ReplicaKey> = match done {
                    Move::Admit(_) => return self.next_move(switch),
                    Move::Canary(index) => {
                        let duration = self.canary_step(index).duration;
                        switch.hold = Some(Hold {
                            step: index,
                            started: now,
                            until: now + duration,
                            looks: 0,
                            extensions: 0,
                        });
                        return self.hold(switch, now);
                    }
                    // A canary's old replicas leave routing only now.
                    Move::Finalize
                        if matches!(self.plan.strategy, Strategy::Canary { .. })
                            && !switch.switched_all
                            && !self.old.http.is_empty() =>
                    {
                        switch.waiting = SwitchWait::DrainThenRetire;
                        self.state = State::Switch(switch);
                        return Step::Act(Action::Drain {
                            replicas: self.old.http.clone(),
                            timeout: self.plan.drain_timeout,
                        });
                    }
                    Move::Finalize => return self.retire(now),
                    Move::Remove(key) => vec![key],
                    Move::SwitchAll => self.old.http.clone(),
                };
                if leaving.is_empty() {
                    return self.next_move(switch);
                }
                switch.waiting = SwitchWait::Drain;
                self.state = State::Switch(switch);
                Step::Act(Action::Drain {
                    replicas: leaving,
                    timeout: self.plan.drain_timeout,
                })
            }
            // An incomplete drain is not a failure: the timeout is the limit
            // the spec gives a request; the replica stays warm anyway.
            (SwitchWait::Drain, Input::Drained { .. }) => self.next_move(switch),
            (SwitchWait::DrainThenRetire, Input::Drained { .. }) => self.retire(now),
            (SwitchWait::Hold, Input::Tick) => self.analyze(switch, now),
            (SwitchWait::Verdict, Input::Verdict(verdict)) => self.on_verdict(switch, verdict, now),
            (waiting, other) => {
                let step = match waiting {
                    SwitchWait::Health(_) => "health check",
                    SwitchWait::Routes(_) => "set routes",
                    SwitchWait::Drain | SwitchWait::DrainThenRetire => "drain",
                    SwitchWait::Hold => "wait",
                    SwitchWait::Verdict => "canary analysis",
                };
                self.abort_on_target(step, other)
            }
        }
    }

    /// Weights in proportion to the routable replicas of each group.
    fn split(&self, old: &[ReplicaKey], new: &BTreeSet<ReplicaKey>) -> Routing {
        let total = old.len() + new.len();
        let old_percent = (old.len() * 100).checked_div(total).unwrap_or(0) as u32;
        let new_percent = if new.is_empty() { 0 } else { 100 - old_percent };
        Routing {
            stable: self.plan.from.clone().map(|release| RouteGroup {
                release,
                weight_percent: old_percent,
                routable: old.iter().cloned().collect(),
            }),
            candidate: Some(RouteGroup {
                release: self.plan.to.clone(),
                weight_percent: new_percent,
                routable: new.clone(),
            }),
        }
    }

    // ----- Canary -----------------------------------------------------------

    fn canary_steps(&self) -> &[CanaryStep] {
        match &self.plan.strategy {
            Strategy::Canary { steps } => steps,
            Strategy::Rolling | Strategy::BlueGreen => &[],
        }
    }

    fn canary_step(&self, index: usize) -> CanaryStep {
        self.canary_steps()[index]
    }

    /// Looks planned over the whole canary: the α budget's denominator.
    pub fn planned_looks(&self) -> u32 {
        self.canary_steps()
            .iter()
            .filter(|step| (1..100).contains(&step.weight_percent))
            .map(|step| self.plan.guards.looks_per_step(step.duration))
            .fold(0u32, u32::saturating_add)
    }

    /// Every routable replica of both groups; the candidate at `weight`.
    fn canary_split(&self, weight: u32, new: &BTreeSet<ReplicaKey>) -> Routing {
        Routing {
            stable: self.plan.from.clone().map(|release| RouteGroup {
                release,
                weight_percent: 100 - weight,
                routable: self.old.http.iter().cloned().collect(),
            }),
            candidate: Some(RouteGroup {
                release: self.plan.to.clone(),
                weight_percent: weight,
                routable: new.clone(),
            }),
        }
    }

    /// Waits until the next look of the held step.
    fn hold(&mut self, mut switch: Switch, now: Instant) -> Step {
        let until = switch.hold.as_ref().map_or(now, |hold| hold.until);
        let next = (now + self.plan.guards.analysis_interval).min(until);
        switch.waiting = SwitchWait::Hold;
        self.state = State::Switch(switch);
        Step::Act(Action::Wait { until: next })
    }

    fn analyze(&mut self, mut switch: Switch, now: Instant) -> Step {
        let Some(hold) = &switch.hold else {
            return self.abort_on_target("canary analysis", Input::Tick);
        };
        let request = AnalysisRequest {
            samples: SampleRequest {
                step: hold.step,
                weight_percent: self.canary_step(hold.step).weight_percent,
                from: hold.started,
                to: now,
                stable: self
                    .plan
                    .from
                    .clone()
                    .unwrap_or_else(|| self.plan.to.clone()),
                stable_replicas: self.old.http.clone(),
                candidate: self.plan.to.clone(),
                candidate_replicas: self.http_candidates().cloned().collect(),
            },
            guards: self.plan.guards.clone(),
            budget: LookBudget::new(self.plan.guards.alpha, self.planned_looks()),
            look: hold.looks + 1,
        };
        switch.waiting = SwitchWait::Verdict;
        self.state = State::Switch(switch);
        Step::Act(Action::Analyze(Box::new(request)))
    }

    /// A failing look aborts at once; the step's last look decides between
    /// the next step, an extension and failing closed.
    fn on_verdict(&mut self, mut switch: Switch, verdict: Verdict, now: Instant) -> Step {
        let Some(mut hold) = switch.hold.take() else {
            return self.abort_on_target("canary analysis", Input::Verdict(verdict));
        };
        hold.looks += 1;
        let step = self.canary_step(hold.step);
        if let Some(report) = verdict.failing() {
            let mut failure = Failure::new(
                FailureReason::GuardFailed {
                    guard: report.guard.to_string(),
                    weight_percent: step.weight_percent,
                    evidence: report.summary.clone(),
                },
                None,
            );
            failure.replica = report.replica.clone();
            // The candidate's weight goes to 0 first; no log collection
            // delays the restore (the evidence is the metrics).
            return self.abort_from(failure, AbortStep::Restore);
        }
        if now < hold.until {
            switch.hold = Some(hold);
            return self.hold(switch, now);
        }
        match verdict.decision {
            Decision::Pass => {
                switch.next_step = hold.step + 1;
                self.next_move(switch)
            }
            _ if hold.extensions < self.plan.guards.max_extensions => {
                hold.extensions += 1;
                hold.until = now + step.duration;
                switch.hold = Some(hold);
                self.hold(switch, now)
            }
            _ => {
                let pending: Vec<String> = verdict.pending().map(ToString::to_string).collect();
                let reason = FailureReason::AnalysisInconclusive {
                    weight_percent: step.weight_percent,
                    looks: hold.looks,
                    extensions: hold.extensions,
                    pending: pending.join("; "),
                };
                self.abort_from(Failure::new(reason, None), AbortStep::Restore)
            }
        }
    }

    // ----- Retire ---------------------------------------------------------

    fn retire(&mut self, now: Instant) -> Step {
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
    fn on_retire(&mut self, step: RetireStep, now: Instant) -> Step {
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

    // ----- Abort ----------------------------------------------------------

    fn abort_on_target(&mut self, step: &str, input: Input) -> Step {
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

    fn abort(&mut self, failure: Failure) -> Step {
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
    fn abort_from(&mut self, failure: Failure, first: AbortStep) -> Step {
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

    fn on_abort(&mut self, mut abort: Abort, input: Input) -> Step {
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

    fn finish(&mut self, outcome: DeployOutcome) -> Step {
        self.state = State::Finished(outcome.clone());
        Step::Finished(outcome)
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
