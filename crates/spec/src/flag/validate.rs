//! The checks the spec parser reports for flag declarations and env
//! overrides, and the problems they produce.

use super::date::is_valid_date;
use super::declaration::FlagSpec;
use super::env_flag::FlagOverride;
use super::flag_code;
use super::flag_type::article;
use super::targeting::{Condition, Serve, Targeting, percentage_buckets};
use super::value::describe;
use super::version::parse_semver;
use crate::diagnostic::SpecProblem;
use serde_json::Value;

/// The warning `daytwo check` gives when `flag` expired before `today`
/// (`YYYY-MM-DD`, an input so checks are deterministic). A flag expiring
/// today is not yet expired.
pub fn expiry_warning(flag: &FlagSpec, field: &str, today: &str) -> Option<SpecProblem> {
    let expires = flag.expires.as_deref()?;
    if !is_valid_date(expires) || !is_valid_date(today) || expires >= today {
        return None;
    }
    Some(
        SpecProblem::warning(
            flag_code::FLAG_EXPIRED,
            format!("flag `{}` expired on {expires}", flag.name),
        )
        .field(format!("{field}.expires"))
        .label("this date has passed")
        .hint(format!(
            "remove the flag and the code that reads it, or move `expires` to a later date{}",
            flag.owner
                .as_deref()
                .map(|owner| format!(" (owner: {owner})"))
                .unwrap_or_default()
        )),
    )
}

impl FlagSpec {
    /// Every problem of this declaration; `field` is its dotted path
    /// (`flags.analytics`), the problems carry sub-paths of it
    /// (`flags.analytics.default`, `flags.analytics.rules[0]`). The parser
    /// adds spans. Does not check expiry (see [`expiry_warning`]).
    pub fn validate(&self, field: &str) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        if self.description.trim().is_empty() {
            problems.push(
                SpecProblem::error(
                    flag_code::EMPTY_DESCRIPTION,
                    format!("flag `{}` has an empty description", self.name),
                )
                .field(format!("{field}.description"))
                .hint("say what the flag switches and when to turn it off; operators read it at 2 a.m."),
            );
        }
        check_typed(
            self,
            &self.default,
            &format!("{field}.default"),
            &mut problems,
        );
        for (name, value) in &self.variants {
            check_typed(
                self,
                value,
                &format!("{field}.variants.{name}"),
                &mut problems,
            );
        }
        if let Some(expires) = &self.expires
            && !is_valid_date(expires)
        {
            problems.push(
                SpecProblem::error(
                    flag_code::INVALID_EXPIRES,
                    format!("`expires` {expires:?} is not a date"),
                )
                .field(format!("{field}.expires"))
                .hint("write a date as YYYY-MM-DD, e.g. expires = \"2025-12-31\""),
            );
        }
        if let Some(targeting) = &self.targeting {
            check_targeting(self, targeting, field, &mut problems);
        }
        problems
    }
}

impl FlagOverride {
    /// Every problem of this override of `flag`; `field` is its dotted path
    /// (`env.prod.flags.analytics`).
    pub fn validate(&self, flag: &FlagSpec, field: &str) -> Vec<SpecProblem> {
        let mut problems = Vec::new();
        if let Some(value) = &self.value {
            let value_field = if self.enabled.is_none() && self.targeting.is_none() {
                field.to_string()
            } else {
                format!("{field}.value")
            };
            check_typed(flag, value, &value_field, &mut problems);
        }
        if let Some(targeting) = &self.targeting {
            check_targeting(flag, targeting, field, &mut problems);
        }
        problems
    }
}

/// The error for `[env.E.flags] NAME` when `[flags.NAME]` does not exist.
pub fn unknown_flag_problem(name: &str, field: &str, declared: &[&str]) -> SpecProblem {
    let hint = if declared.is_empty() {
        format!("declare it first: [flags.{name}] with type, default and description")
    } else {
        format!(
            "declared flags: {}; declare [flags.{name}] to add one",
            declared.join(", ")
        )
    };
    SpecProblem::error(
        flag_code::UNKNOWN_FLAG,
        format!("`{name}` is not a declared flag"),
    )
    .field(field)
    .hint(hint)
}

/// The error for a `type` that is not one of the five.
pub fn unknown_flag_type_problem(written: &str, field: &str) -> SpecProblem {
    SpecProblem::error(
        flag_code::UNKNOWN_FLAG_TYPE,
        format!("`{written}` is not a flag type"),
    )
    .field(field)
    .hint("use one of \"boolean\", \"string\", \"integer\", \"float\", \"object\"")
}

/// The error for a rule operator or operand that does not fit, with the
/// message from [`Condition::from_op`].
pub fn invalid_rule_problem(message: impl Into<String>, field: &str) -> SpecProblem {
    SpecProblem::error(flag_code::INVALID_RULE, message)
        .field(field)
        .hint(
            "write a rule as { attribute = \"email\", starts_with = \"qa-\", variant = \"on\" } \
             with one operator (equals, in, starts_with, semver_eq/gt/ge/lt/le) and one of \
             `variant` or `value`",
        )
}

fn check_typed(flag: &FlagSpec, value: &Value, field: &str, problems: &mut Vec<SpecProblem>) {
    if !flag.kind.accepts(value) {
        problems.push(
            SpecProblem::error(
                flag_code::INVALID_FLAG_VALUE,
                format!(
                    "flag `{}` is {} {}, but this is {}",
                    flag.name,
                    article(flag.kind),
                    flag.kind,
                    describe(value)
                ),
            )
            .field(field)
            .hint(format!(
                "write {} {} value, e.g. {}",
                article(flag.kind),
                flag.kind,
                flag.kind.example()
            )),
        );
    }
}

fn check_serve(flag: &FlagSpec, serve: &Serve, field: &str, problems: &mut Vec<SpecProblem>) {
    match serve {
        Serve::Variant(name) if !flag.variants.contains_key(name) => {
            let declared: Vec<&str> = flag.variants.keys().map(String::as_str).collect();
            problems.push(
                SpecProblem::error(
                    flag_code::UNKNOWN_VARIANT,
                    format!("flag `{}` has no variant `{name}`", flag.name),
                )
                .field(format!("{field}.variant"))
                .hint(if declared.is_empty() {
                    format!(
                        "declare it in [flags.{}] variants, or serve a literal with `value = …`",
                        flag.name
                    )
                } else {
                    format!("declared variants: {}", declared.join(", "))
                }),
            );
        }
        Serve::Variant(_) => {}
        Serve::Value(value) => check_typed(flag, value, &format!("{field}.value"), problems),
    }
}

fn check_targeting(
    flag: &FlagSpec,
    targeting: &Targeting,
    field: &str,
    problems: &mut Vec<SpecProblem>,
) {
    for (index, rule) in targeting.rules.iter().enumerate() {
        let rule_field = format!("{field}.rules[{index}]");
        if rule.attribute.trim().is_empty() {
            problems.push(invalid_rule_problem(
                "a rule needs the context `attribute` it compares",
                &format!("{rule_field}.attribute"),
            ));
        }
        let operand = match &rule.condition {
            Condition::SemverEq(v)
            | Condition::SemverGt(v)
            | Condition::SemverGe(v)
            | Condition::SemverLt(v)
            | Condition::SemverLe(v) => Some(v),
            _ => None,
        };
        if let Some(version) = operand
            && parse_semver(version).is_none()
        {
            problems.push(invalid_rule_problem(
                format!(
                    "`{}` takes a semantic version like \"2.1.0\", found {version:?}",
                    rule.condition.op()
                ),
                &format!("{rule_field}.{}", rule.condition.op()),
            ));
        }
        check_serve(flag, &rule.serve, &rule_field, problems);
    }
    if let Some(rollout) = &targeting.rollout {
        let rollout_field = format!("{field}.rollout");
        if percentage_buckets(rollout.percentage).is_none() {
            problems.push(
                SpecProblem::error(
                    flag_code::INVALID_PERCENTAGE,
                    format!(
                        "rollout percentage {} is not between 0 and 100 in steps of 0.01",
                        rollout.percentage
                    ),
                )
                .field(format!("{rollout_field}.percentage"))
                .hint("write a number from 0 to 100, e.g. percentage = 25 or 12.5"),
            );
        }
        check_serve(flag, &rollout.serve, &rollout_field, problems);
    }
}
