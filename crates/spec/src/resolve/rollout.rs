//! `[rollout]` and `[alerts]` per env: `[env.NAME.rollout]` merged over
//! `[rollout]` key by key (a guard's tuning keys field by field, a guard
//! written `false` in the overlay turning it off), `[env.NAME.alerts]` over
//! `[alerts]`; then what needs the whole file: the flag `flag-off` names.

use crate::code;
use crate::diagnostic::SpecProblem;
use crate::flag::{FlagType, unknown_flag_problem};
use crate::raw::{GuardParam, Located, RawAlerts, RawEnv, RawGuard, RawGuards, RawSpec};
use crate::rollout::{
    AlertsSpec, CpuPerRequestGuardSpec, ErrorRateGuardSpec, GuardsSpec, LatencyGuardSpec,
    MemoryGrowthGuardSpec, RemediationSpec, RolloutSpec,
};
use crate::suggest::closest;
use std::time::Duration;

/// The effective `[rollout]` of an env (`overlay`), or of the base (none).
pub(super) fn rollout(
    raw: &RawSpec,
    overlay: Option<&RawEnv>,
    problems: &mut Vec<SpecProblem>,
) -> RolloutSpec {
    let base = &raw.rollout;
    let over = overlay.map(|env| &env.rollout);
    let defaults = RolloutSpec::default();
    RolloutSpec {
        strategy: over
            .and_then(|o| o.strategy.as_ref())
            .or(base.strategy.as_ref())
            .map_or(defaults.strategy, |l| l.value),
        steps: over
            .and_then(|o| o.steps.as_ref())
            .or(base.steps.as_ref())
            .map_or(defaults.steps, |l| l.value.clone()),
        step_duration: over
            .and_then(|o| o.step_duration.as_ref())
            .or(base.step_duration.as_ref())
            .map_or(defaults.step_duration, |l| l.value),
        guards: Layers {
            base: &base.guards,
            over: over.map(|o| &o.guards),
        }
        .guards(raw, problems),
    }
}

/// The effective `[alerts]` of an env (`overlay`), or of the base (none).
pub(super) fn alerts(base: &RawAlerts, overlay: Option<&RawAlerts>) -> AlertsSpec {
    AlertsSpec {
        webhooks: overlay
            .and_then(|o| o.webhooks.as_ref())
            .or(base.webhooks.as_ref())
            .map(|l| l.value.clone())
            .unwrap_or_default(),
    }
}

/// `[rollout.guards]` and, in an env, `[env.NAME.rollout.guards]`.
struct Layers<'a> {
    base: &'a RawGuards,
    over: Option<&'a RawGuards>,
}

impl<'a> Layers<'a> {
    fn pick<T>(
        &self,
        get: impl Fn(&'a RawGuards) -> Option<&'a Located<T>>,
    ) -> Option<&'a Located<T>> {
        self.over.and_then(&get).or_else(|| get(self.base))
    }

    fn guard(&self, name: &str) -> Option<&'a RawGuard> {
        self.over
            .and_then(|o| o.guards.get(name))
            .or_else(|| self.base.guards.get(name))
    }

    fn enabled(&self, name: &str, default: bool) -> bool {
        self.guard(name).map_or(default, |g| g.enabled.value)
    }

    /// A guard's tuning key: the overlay's, else the base's.
    fn param(&self, guard: &str, key: &str) -> Option<&'a Located<GuardParam>> {
        let of = |layer: &'a RawGuards| layer.guards.get(guard).and_then(|g| g.params.get(key));
        self.over.and_then(of).or_else(|| of(self.base))
    }

    fn number(&self, guard: &str, key: &str, default: f64) -> f64 {
        match self.param(guard, key).map(|l| l.value) {
            Some(GuardParam::Number(n)) => n,
            _ => default,
        }
    }

    fn boolean(&self, guard: &str, key: &str, default: bool) -> bool {
        match self.param(guard, key).map(|l| l.value) {
            Some(GuardParam::Bool(b)) => b,
            _ => default,
        }
    }

    fn count(&self, guard: &str, key: &str, default: u64) -> u64 {
        match self.param(guard, key).map(|l| l.value) {
            Some(GuardParam::Count(n)) => n,
            _ => default,
        }
    }

    fn duration(&self, guard: &str, key: &str, default: Duration) -> Duration {
        match self.param(guard, key).map(|l| l.value) {
            Some(GuardParam::Duration(d)) => d,
            _ => default,
        }
    }

    fn guards(&self, raw: &RawSpec, problems: &mut Vec<SpecProblem>) -> GuardsSpec {
        let defaults = GuardsSpec::default();
        let error_rate = self
            .enabled("error_rate", defaults.error_rate.is_some())
            .then(|| {
                let d = ErrorRateGuardSpec::default();
                ErrorRateGuardSpec {
                    absolute_tolerance: self.number(
                        "error_rate",
                        "absolute_tolerance",
                        d.absolute_tolerance,
                    ),
                    relative_tolerance: self.number(
                        "error_rate",
                        "relative_tolerance",
                        d.relative_tolerance,
                    ),
                }
            });
        let cpu_per_request = self
            .enabled("cpu_per_request", defaults.cpu_per_request.is_some())
            .then(|| CpuPerRequestGuardSpec {
                tolerance: self.number(
                    "cpu_per_request",
                    "tolerance",
                    CpuPerRequestGuardSpec::default().tolerance,
                ),
            });
        let memory_growth = self
            .enabled("memory_growth", defaults.memory_growth.is_some())
            .then(|| {
                let d = MemoryGrowthGuardSpec::default();
                MemoryGrowthGuardSpec {
                    absolute_tolerance_bytes_per_sec: self.number(
                        "memory_growth",
                        "absolute_tolerance_bytes_per_sec",
                        d.absolute_tolerance_bytes_per_sec,
                    ),
                    relative_tolerance: self.number(
                        "memory_growth",
                        "relative_tolerance",
                        d.relative_tolerance,
                    ),
                    horizon: self.duration("memory_growth", "horizon", d.horizon),
                }
            });
        let count = |get: fn(&RawGuards) -> Option<&Located<u64>>, default: u64| {
            self.over
                .and_then(get)
                .or_else(|| get(self.base))
                .map_or(default, |l| l.value)
        };
        GuardsSpec {
            error_rate,
            latency: self.latency(defaults.latency.is_some(), problems),
            restarts: self.enabled("restarts", defaults.restarts),
            cpu_per_request,
            memory_growth,
            min_requests: count(|g| g.min_requests.as_ref(), defaults.min_requests),
            min_samples: u32::try_from(count(
                |g| g.min_samples.as_ref(),
                u64::from(defaults.min_samples),
            ))
            .unwrap_or(u32::MAX),
            alpha: self
                .pick(|g| g.alpha.as_ref())
                .map_or(defaults.alpha, |l| l.value),
            analysis_interval: self
                .pick(|g| g.analysis_interval.as_ref())
                .map_or(defaults.analysis_interval, |l| l.value),
            max_extensions: u32::try_from(count(
                |g| g.max_extensions.as_ref(),
                u64::from(defaults.max_extensions),
            ))
            .unwrap_or(u32::MAX),
            remediation: self.remediation(raw, problems),
        }
    }

    /// The latency guard; one that compares neither quantile is an error.
    fn latency(&self, default: bool, problems: &mut Vec<SpecProblem>) -> Option<LatencyGuardSpec> {
        const NAME: &str = "latency";
        if !self.enabled(NAME, default) {
            return None;
        }
        let d = LatencyGuardSpec::default();
        let guard = LatencyGuardSpec {
            p50: self.boolean(NAME, "p50", d.p50),
            p99: self.boolean(NAME, "p99", d.p99),
            relative_tolerance: self.number(NAME, "relative_tolerance", d.relative_tolerance),
            absolute_tolerance_ms: self.number(
                NAME,
                "absolute_tolerance_ms",
                d.absolute_tolerance_ms,
            ),
            min_interval_requests: self.count(
                NAME,
                "min_interval_requests",
                d.min_interval_requests,
            ),
        };
        if guard.p50 || guard.p99 {
            return Some(guard);
        }
        let culprit = self
            .param(NAME, "p99")
            .or_else(|| self.param(NAME, "p50"))
            .map(|l| (l.span.clone(), l.field.clone()));
        if let Some((span, field)) = culprit {
            problems.push(
                SpecProblem::error(
                    code::INVALID_GUARD_VALUE,
                    "the latency guard compares no quantile: `p50` and `p99` are both false",
                )
                .field(field)
                .span(span)
                .label("no quantile left")
                .hint("set `p99 = true` (or `p50 = true`), or turn the guard off with `latency = false`"),
            );
        }
        None
    }

    /// The remediation; `flag-off NAME` must name a declared boolean flag.
    fn remediation(&self, raw: &RawSpec, problems: &mut Vec<SpecProblem>) -> RemediationSpec {
        let Some(written) = self.pick(|g| g.remediation.as_ref()) else {
            return RemediationSpec::default();
        };
        let RemediationSpec::FlagOff(name) = &written.value else {
            return written.value.clone();
        };
        let names: Vec<&str> = raw.flags.written.iter().map(String::as_str).collect();
        if !names.contains(&name.as_str()) {
            problems.push(
                unknown_flag_problem(name, &written.field, &names)
                    .span(written.span.clone())
                    .label("no such flag")
                    .suggestion(closest(name, names.iter().copied())),
            );
        } else if let Some(flag) = raw.flags.declared.get(name)
            && flag.kind != FlagType::Boolean
        {
            problems.push(
                SpecProblem::error(
                    code::INVALID_REMEDIATION,
                    format!(
                        "`flag-off {name}`: flag `{name}` has type `{}`, not `boolean`",
                        flag.kind
                    ),
                )
                .field(&written.field)
                .span(written.span.clone())
                .label("not a boolean flag")
                .hint("flag-off turns a boolean kill switch off; name a boolean flag, or use \"alert\" or \"rollback\""),
            );
        }
        written.value.clone()
    }
}
