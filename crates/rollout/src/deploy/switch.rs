//! The traffic switch: each routing change of blue-green, rolling and the
//! canary, with the candidates' health checked before every one.

use super::{Deploy, Hold, Move, State, Step, Switch, SwitchWait};
use crate::action::{Action, Input};
use crate::outcome::{Failure, FailureReason};
use crate::plan::Strategy;
use crate::routing::{RouteGroup, Routing};
use daytwo_types::ReplicaKey;
use std::collections::BTreeSet;
use std::time::Instant;

impl Deploy {
    // ----- Switch ---------------------------------------------------------

    pub(super) fn enter_switch(&mut self) -> Step {
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

    pub(super) fn http_candidates(&self) -> impl Iterator<Item = &ReplicaKey> {
        self.candidates.iter().filter(|c| c.http).map(|c| &c.key)
    }

    /// Decides the next routing change and checks the candidates first.
    pub(super) fn next_move(&mut self, mut switch: Switch) -> Step {
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

    pub(super) fn on_switch(&mut self, mut switch: Switch, input: Input, now: Instant) -> Step {
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
}
