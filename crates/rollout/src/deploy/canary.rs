//! Canary steps: the weights of a step, holding it while the analysis
//! looks, and the verdict that goes on, extends the step or aborts.

use super::{AbortStep, Deploy, State, Step, Switch, SwitchWait};
use crate::action::{Action, AnalysisRequest, Input};
use crate::analysis::{Decision, LookBudget, SampleRequest, Verdict};
use crate::outcome::{Failure, FailureReason};
use crate::plan::{CanaryStep, Strategy};
use crate::routing::{RouteGroup, Routing};
use daytwo_types::ReplicaKey;
use std::collections::BTreeSet;
use std::time::Instant;

impl Deploy {
    // ----- Canary -----------------------------------------------------------

    fn canary_steps(&self) -> &[CanaryStep] {
        match &self.plan.strategy {
            Strategy::Canary { steps } => steps,
            Strategy::Rolling | Strategy::BlueGreen => &[],
        }
    }

    pub(super) fn canary_step(&self, index: usize) -> CanaryStep {
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
    pub(super) fn canary_split(&self, weight: u32, new: &BTreeSet<ReplicaKey>) -> Routing {
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
    pub(super) fn hold(&mut self, mut switch: Switch, now: Instant) -> Step {
        let until = switch.hold.as_ref().map_or(now, |hold| hold.until);
        let next = (now + self.plan.guards.analysis_interval).min(until);
        switch.waiting = SwitchWait::Hold;
        self.state = State::Switch(switch);
        Step::Act(Action::Wait { until: next })
    }

    pub(super) fn analyze(&mut self, mut switch: Switch, now: Instant) -> Step {
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
    pub(super) fn on_verdict(
        &mut self,
        mut switch: Switch,
        verdict: Verdict,
        now: Instant,
    ) -> Step {
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
}
