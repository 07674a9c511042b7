//! `[rollout]` / `[env.NAME.rollout]`: the strategy, the canary's steps and
//! `[rollout.guards]` (each guard on, off or tuned; the analysis' parameters;
//! the steady-state watch's remediation). Which flag `flag-off` names is
//! checked by the resolver, which sees `[flags]`.

use super::{Expected, Value, Walker, join};
use crate::code;
use crate::diagnostic::SpecProblem;
use crate::interpolate::Context;
use crate::raw::{GuardParam, Located, RawGuard, RawGuards, RawRollout};
use crate::rollout::{MAX_GUARD_ALPHA, RemediationSpec, RolloutStrategy};
use crate::size::parse_size;
use crate::suggest::closest;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::de::{DeTable, DeValue};

pub(crate) const ROLLOUT_KEYS: &[&str] = &["strategy", "steps", "step_duration", "guards"];
pub(crate) const GUARDS_KEYS: &[&str] = &[
    "error_rate",
    "latency",
    "restarts",
    "cpu_per_request",
    "memory_growth",
    "min_requests",
    "min_samples",
    "alpha",
    "analysis_interval",
    "max_extensions",
    "remediation",
];
/// The key that turns a guard written as a table off.
const ENABLED: &str = "enabled";
/// The fewest RSS points / latency intervals a guard can conclude with.
const MIN_MIN_SAMPLES: u64 = 2;

/// What a guard's tuning key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    Bool,
    /// A share from 0 to 1 (0.01 = one percentage point).
    Share,
    /// A number ≥ 0 (0.25 = +25 %, or milliseconds).
    Tolerance,
    /// An integer ≥ 1.
    Count,
    /// Bytes per second: a number ≥ 0 or a size string (`"4KiB"`).
    BytesPerSec,
    /// A duration > 0.
    Duration,
}

/// One guard of `[rollout.guards]` and its tuning keys.
pub(crate) struct GuardSchema {
    pub name: &'static str,
    pub params: &'static [(&'static str, ParamKind)],
}

/// Every guard, with the same field names as the analysis' guards.
pub(crate) const GUARDS: &[GuardSchema] = &[
    GuardSchema {
        name: "error_rate",
        params: &[
            ("absolute_tolerance", ParamKind::Share),
            ("relative_tolerance", ParamKind::Tolerance),
        ],
    },
    GuardSchema {
        name: "latency",
        params: &[
            ("p50", ParamKind::Bool),
            ("p99", ParamKind::Bool),
            ("relative_tolerance", ParamKind::Tolerance),
            ("absolute_tolerance_ms", ParamKind::Tolerance),
            ("min_interval_requests", ParamKind::Count),
        ],
    },
    GuardSchema {
        name: "restarts",
        params: &[],
    },
    GuardSchema {
        name: "cpu_per_request",
        params: &[("tolerance", ParamKind::Tolerance)],
    },
    GuardSchema {
        name: "memory_growth",
        params: &[
            ("absolute_tolerance_bytes_per_sec", ParamKind::BytesPerSec),
            ("relative_tolerance", ParamKind::Tolerance),
            ("horizon", ParamKind::Duration),
        ],
    },
];

const REMEDIATION_HINT: &str =
    "write \"alert\", \"rollback\" or \"flag-off NAME\" (NAME a boolean flag declared in [flags])";
const STEPS_HINT: &str = "write the candidate's percentage of requests at each step, growing and ending at 100, e.g. [10, 50, 100]";

impl Walker<'_> {
    pub(super) fn rollout_section(&mut self, value: &Value<'_>, field: &str) -> RawRollout {
        let mut rollout = RawRollout::default();
        let Some(table) = self.table(value, field) else {
            return rollout;
        };
        self.unknown_keys(table, ROLLOUT_KEYS, field);
        for (key, value) in table.iter() {
            let key_field = join(field, key.get_ref());
            match key.get_ref().as_ref() {
                "strategy" => rollout.strategy = self.strategy(value, &key_field),
                "steps" => rollout.steps = self.steps(value, &key_field),
                "step_duration" => rollout.step_duration = self.duration(value, &key_field, true),
                "guards" => rollout.guards = self.guards(value, &key_field),
                _ => {}
            }
        }
        rollout
    }

    fn strategy(&mut self, value: &Value<'_>, field: &str) -> Option<Located<RolloutStrategy>> {
        let text = self.string(value, field, Context::Value)?;
        match text.value.trim().parse::<RolloutStrategy>() {
            Ok(strategy) => Some(Located {
                value: strategy,
                span: text.span,
                field: text.field,
            }),
            Err(_) => {
                let names = RolloutStrategy::ALL.map(RolloutStrategy::as_str);
                self.problems.push(
                    SpecProblem::error(
                        code::UNKNOWN_STRATEGY,
                        format!("unknown rollout strategy `{}`", text.value),
                    )
                    .field(field)
                    .span(text.span)
                    .label("unknown strategy")
                    .hint("use \"rolling\", \"blue-green\" or \"canary\"")
                    .suggestion(closest(text.value.trim(), names)),
                );
                None
            }
        }
    }

    /// The canary's steps: percentages 1–100, strictly increasing, the last
    /// 100. Every bad entry is reported; any makes the list `None`.
    fn steps(&mut self, value: &Value<'_>, field: &str) -> Option<Located<Vec<u32>>> {
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(value, field, Expected::Steps);
            return None;
        };
        let mut steps: Vec<u32> = Vec::new();
        let mut valid = true;
        for (index, item) in items.iter().enumerate() {
            let item_field = format!("{field}[{index}]");
            let Some(n) = self.integer(item, &item_field) else {
                valid = false;
                continue;
            };
            let step = u32::try_from(n.value)
                .ok()
                .filter(|n| (1..=100).contains(n));
            let problem = match (step, steps.last()) {
                (None, _) => Some((
                    format!(
                        "`{item_field}` is {}: a step is a percentage from 1 to 100",
                        n.value
                    ),
                    "not 1–100",
                )),
                (Some(step), Some(&previous)) if step <= previous => Some((
                    format!("`{field}` must grow: {step} comes after {previous}"),
                    "not above the previous step",
                )),
                _ => None,
            };
            match (problem, step) {
                (Some((message, label)), _) => {
                    valid = false;
                    self.problems.push(
                        SpecProblem::error(code::INVALID_STEPS, message)
                            .field(&item_field)
                            .span(n.span)
                            .label(label)
                            .hint(STEPS_HINT),
                    );
                }
                (None, Some(step)) => steps.push(step),
                (None, None) => valid = false,
            }
        }
        if !valid {
            return None;
        }
        let ends_at = match steps.last() {
            Some(100) => None,
            Some(last) => Some(format!(
                "`{field}` ends at {last} %: the last step must be 100"
            )),
            None => Some(format!("`{field}` lists no step")),
        };
        if let Some(message) = ends_at {
            self.problems.push(
                SpecProblem::error(code::INVALID_STEPS, message)
                    .field(field)
                    .span(value.span())
                    .label("does not end at 100")
                    .hint(format!(
                        "the last step is the promotion (all requests to the new release); {STEPS_HINT}"
                    )),
            );
            return None;
        }
        Some(Located {
            value: steps,
            span: value.span(),
            field: field.to_string(),
        })
    }

    fn guards(&mut self, value: &Value<'_>, field: &str) -> RawGuards {
        let mut guards = RawGuards::default();
        let Some(table) = self.table(value, field) else {
            return guards;
        };
        self.unknown_keys(table, GUARDS_KEYS, field);
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let key_field = join(field, name);
            if let Some(schema) = GUARDS.iter().find(|g| g.name == name) {
                if let Some(guard) = self.guard(schema, key.span(), value, &key_field) {
                    guards.guards.insert(schema.name, guard);
                }
                continue;
            }
            match name {
                "min_requests" => guards.min_requests = self.count(value, &key_field, 1),
                "min_samples" => {
                    guards.min_samples = self.count(value, &key_field, MIN_MIN_SAMPLES)
                }
                "max_extensions" => guards.max_extensions = self.count(value, &key_field, 0),
                "alpha" => guards.alpha = self.alpha(value, &key_field),
                "analysis_interval" => {
                    guards.analysis_interval = self.duration(value, &key_field, true)
                }
                "remediation" => guards.remediation = self.remediation(value, &key_field),
                _ => {}
            }
        }
        guards
    }

    /// `NAME = true | false` or `NAME = { enabled?, tuning keys }`.
    fn guard(
        &mut self,
        schema: &GuardSchema,
        key_span: Range<usize>,
        value: &Value<'_>,
        field: &str,
    ) -> Option<RawGuard> {
        let table: &DeTable<'_> = match value.get_ref() {
            DeValue::Boolean(on) => {
                return Some(RawGuard {
                    enabled: Located {
                        value: *on,
                        span: value.span(),
                        field: field.to_string(),
                    },
                    params: BTreeMap::new(),
                });
            }
            DeValue::Table(table) => table,
            _ => {
                self.wrong_type(value, field, Expected::GuardToggle);
                return None;
            }
        };
        let mut known: Vec<&str> = schema.params.iter().map(|(name, _)| *name).collect();
        known.push(ENABLED);
        self.unknown_keys(table, &known, field);
        let mut guard = RawGuard {
            enabled: Located {
                value: true,
                span: key_span,
                field: field.to_string(),
            },
            params: BTreeMap::new(),
        };
        for (key, value) in table.iter() {
            let name: &str = key.get_ref();
            let key_field = join(field, name);
            if name == ENABLED {
                if let Some(enabled) = self.boolean(value, &key_field) {
                    guard.enabled = enabled;
                }
            } else if let Some((param, kind)) = schema.params.iter().find(|(n, _)| *n == name)
                && let Some(value) = self.guard_param(*kind, value, &key_field)
            {
                guard.params.insert(param, value);
            }
        }
        Some(guard)
    }

    fn guard_param(
        &mut self,
        kind: ParamKind,
        value: &Value<'_>,
        field: &str,
    ) -> Option<Located<GuardParam>> {
        match kind {
            ParamKind::Bool => Some(self.boolean(value, field)?.map(GuardParam::Bool)),
            ParamKind::Count => Some(self.count(value, field, 1)?.map(GuardParam::Count)),
            ParamKind::Duration => {
                Some(self.duration(value, field, true)?.map(GuardParam::Duration))
            }
            ParamKind::Share => {
                let n = self.number(value, field)?;
                if !(0.0..=1.0).contains(&n.value) {
                    self.out_of_range(
                        &n,
                        format!("`{field}` must be a share from 0 to 1, found {}", n.value),
                        "write a fraction: 0.01 is one percentage point, 0.05 five",
                    );
                    return None;
                }
                Some(n.map(GuardParam::Number))
            }
            ParamKind::Tolerance => {
                let n = self.number(value, field)?;
                if n.value < 0.0 {
                    self.out_of_range(
                        &n,
                        format!("`{field}` must be 0 or more, found {}", n.value),
                        "a tolerance is how much worse the candidate may be: 0 or more, e.g. 0.25 for +25 %",
                    );
                    return None;
                }
                Some(n.map(GuardParam::Number))
            }
            ParamKind::BytesPerSec => self.bytes_per_sec(value, field),
        }
    }

    /// A number ≥ 0 of bytes, or a size string (`"4KiB"`), per second.
    fn bytes_per_sec(&mut self, value: &Value<'_>, field: &str) -> Option<Located<GuardParam>> {
        const HINT: &str =
            "write bytes per second as a number (4096) or a size (\"4KiB\", \"1MiB\")";
        if let DeValue::String(_) = value.get_ref() {
            let text = self.string(value, field, Context::Value)?;
            return match parse_size(&text.value) {
                Ok(bytes) => Some(Located {
                    value: GuardParam::Number(bytes as f64),
                    span: text.span,
                    field: text.field,
                }),
                Err(reason) => {
                    self.problems.push(
                        SpecProblem::error(
                            code::INVALID_SIZE,
                            format!("`{field}` is not a valid size: {reason}"),
                        )
                        .field(field)
                        .span(text.span)
                        .label("bad size")
                        .hint(HINT),
                    );
                    None
                }
            };
        }
        let n = self.number(value, field)?;
        if n.value < 0.0 {
            self.out_of_range(
                &n,
                format!("`{field}` must be 0 or more, found {}", n.value),
                HINT,
            );
            return None;
        }
        Some(n.map(GuardParam::Number))
    }

    /// An integer from `min` to `u32::MAX`.
    fn count(&mut self, value: &Value<'_>, field: &str, min: u64) -> Option<Located<u64>> {
        let n = self.integer(value, field)?;
        match u64::try_from(n.value) {
            Ok(count) if count >= min && count <= u64::from(u32::MAX) => Some(Located {
                value: count,
                span: n.span,
                field: n.field,
            }),
            _ => {
                let hint = match min {
                    0 => "write a whole number, 0 or more".to_string(),
                    min => format!("write a whole number, {min} or more"),
                };
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_GUARD_VALUE,
                        format!("`{field}` must be at least {min}, found {}", n.value),
                    )
                    .field(field)
                    .span(n.span)
                    .label("out of range")
                    .hint(hint),
                );
                None
            }
        }
    }

    fn alpha(&mut self, value: &Value<'_>, field: &str) -> Option<Located<f64>> {
        let n = self.number(value, field)?;
        if n.value > 0.0 && n.value <= MAX_GUARD_ALPHA {
            return Some(n);
        }
        let hint = if n.value > 1.0 && n.value <= 50.0 {
            format!(
                "alpha is a probability, not a percentage: write {} for {} %",
                n.value / 100.0,
                n.value
            )
        } else {
            "alpha is the probability that a healthy canary is rolled back; write e.g. 0.05 for 5 %"
                .to_string()
        };
        self.out_of_range(
            &n,
            format!(
                "`{field}` must be above 0 and at most {MAX_GUARD_ALPHA}, found {}",
                n.value
            ),
            hint,
        );
        None
    }

    fn remediation(&mut self, value: &Value<'_>, field: &str) -> Option<Located<RemediationSpec>> {
        let text = self.string(value, field, Context::Value)?;
        match text.value.parse::<RemediationSpec>() {
            Ok(remediation) => Some(Located {
                value: remediation,
                span: text.span,
                field: text.field,
            }),
            Err(reason) => {
                let first = text.value.split_whitespace().next().unwrap_or_default();
                self.problems.push(
                    SpecProblem::error(code::INVALID_REMEDIATION, reason)
                        .field(field)
                        .span(text.span)
                        .label("not a remediation")
                        .hint(REMEDIATION_HINT)
                        .suggestion(
                            closest(first, ["alert", "rollback", "flag-off"])
                                .filter(|s| *s != first),
                        ),
                );
                None
            }
        }
    }

    /// An integer or a finite float, as `f64`.
    pub(super) fn number(&mut self, value: &Value<'_>, field: &str) -> Option<Located<f64>> {
        let number = match value.get_ref() {
            DeValue::Integer(_) => self.integer(value, field).map(|n| n.value as f64),
            DeValue::Float(float) => float.as_str().replace('_', "").parse::<f64>().ok(),
            _ => {
                self.wrong_type(value, field, Expected::Number);
                return None;
            }
        };
        match number.filter(|n| n.is_finite()) {
            Some(n) => Some(Located {
                value: n,
                span: value.span(),
                field: field.to_string(),
            }),
            None => {
                self.problems.push(
                    SpecProblem::error(
                        code::INVALID_GUARD_VALUE,
                        format!("`{field}` is not a finite number"),
                    )
                    .field(field)
                    .span(value.span())
                    .label("not a finite number")
                    .hint(Expected::Number.hint()),
                );
                None
            }
        }
    }

    fn out_of_range(&mut self, n: &Located<f64>, message: String, hint: impl Into<String>) {
        self.problems.push(
            SpecProblem::error(code::INVALID_GUARD_VALUE, message)
                .field(&n.field)
                .span(n.span.clone())
                .label("out of range")
                .hint(hint),
        );
    }
}

impl<T> Located<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Located<U> {
        Located {
            value: f(self.value),
            span: self.span,
            field: self.field,
        }
    }
}
