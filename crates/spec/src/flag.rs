//! Feature flags as declared in the spec (`[flags.NAME]`) and as one env
//! serves them (`[env.NAME.flags]` applied): the validated model only.
//!
//! ```text
//! [flags.NAME] ─> FlagSpec ─┐
//!                           ├─ EnvFlag::resolve ─> EnvFlag (what daytwo-flags evaluates)
//! [env.E.flags] NAME ─> FlagOverride ─┘
//! ```
//!
//! Evaluation, serving (OFREP) and export live in `daytwo-flags`; this
//! module owns the shapes and the checks the spec parser reports
//! ([`FlagSpec::validate`], [`FlagOverride::validate`], [`expiry_warning`]).
//! docs/flags.md describes the semantics.

use crate::diagnostic::SpecProblem;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A percentage rollout has this many buckets: 0.01 % resolution.
pub const ROLLOUT_BUCKETS: u32 = 10_000;
/// Decimal places a rollout percentage may have (`12.5`, `0.25`).
pub const MAX_PERCENTAGE_DECIMALS: u32 = 2;

/// Stable diagnostic codes for flag problems (to be listed in
/// [`crate::code`] and docs/spec.md once the parser reads `[flags]`).
pub mod flag_code {
    /// `type` is not boolean, string, integer, float or object.
    pub const UNKNOWN_FLAG_TYPE: &str = "spec::unknown_flag_type";
    /// A default, env value, variant or served value of the wrong type.
    pub const INVALID_FLAG_VALUE: &str = "spec::invalid_flag_value";
    /// A rule or rollout serves a variant the flag does not declare.
    pub const UNKNOWN_VARIANT: &str = "spec::unknown_variant";
    /// A rollout percentage outside 0–100 or finer than 0.01.
    pub const INVALID_PERCENTAGE: &str = "spec::invalid_percentage";
    /// A targeting rule without attribute, with no or several operators, an
    /// operand of the wrong kind, or no / two things to serve.
    pub const INVALID_RULE: &str = "spec::invalid_rule";
    /// `expires` is not a `YYYY-MM-DD` date.
    pub const INVALID_EXPIRES: &str = "spec::invalid_expires";
    /// Warning: the flag's `expires` date has passed.
    pub const FLAG_EXPIRED: &str = "spec::flag_expired";
    /// `[env.E.flags]` names a flag that `[flags]` does not declare.
    pub const UNKNOWN_FLAG: &str = "spec::unknown_flag";
    /// A flag `description` that is empty.
    pub const EMPTY_DESCRIPTION: &str = "spec::empty_flag_description";

    pub const ALL: &[&str] = &[
        UNKNOWN_FLAG_TYPE,
        INVALID_FLAG_VALUE,
        UNKNOWN_VARIANT,
        INVALID_PERCENTAGE,
        INVALID_RULE,
        INVALID_EXPIRES,
        FLAG_EXPIRED,
        UNKNOWN_FLAG,
        EMPTY_DESCRIPTION,
    ];
}

/// The value type of a flag (`type = "boolean"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlagType {
    Boolean,
    String,
    Integer,
    Float,
    Object,
}

impl FlagType {
    pub const ALL: [FlagType; 5] = [
        FlagType::Boolean,
        FlagType::String,
        FlagType::Integer,
        FlagType::Float,
        FlagType::Object,
    ];

    /// The spelling in the spec: `boolean`, `string`, `integer`, `float`, `object`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlagType::Boolean => "boolean",
            FlagType::String => "string",
            FlagType::Integer => "integer",
            FlagType::Float => "float",
            FlagType::Object => "object",
        }
    }

    /// Parses the spec spelling; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// True when `value` is of this type. A float flag accepts integers
    /// (`1` is `1.0`); an integer flag accepts only whole numbers that fit
    /// in an `i64`.
    pub fn accepts(self, value: &Value) -> bool {
        match self {
            FlagType::Boolean => value.is_boolean(),
            FlagType::String => value.is_string(),
            FlagType::Integer => value.is_i64(),
            FlagType::Float => value.is_number(),
            FlagType::Object => value.is_object(),
        }
    }

    /// An example literal for hints, as written in TOML.
    pub fn example(self) -> &'static str {
        match self {
            FlagType::Boolean => "true",
            FlagType::String => "\"blue\"",
            FlagType::Integer => "10",
            FlagType::Float => "0.5",
            FlagType::Object => "{ limit = 10 }",
        }
    }
}

impl fmt::Display for FlagType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[flags.NAME]` as declared (before any env applies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagSpec {
    /// The flag key clients evaluate (`analytics`).
    pub name: String,
    /// What the flag switches; required, shown by `daytwo flags` and notes.
    pub description: String,
    #[serde(rename = "type")]
    pub kind: FlagType,
    /// Served when no env value, rule or rollout applies, and when disabled.
    pub default: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`; `daytwo check` warns once it has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Optional named values (`on = true`, `off = false`), used by rules,
    /// rollouts and as the `variant` of an evaluation.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeting: Option<Targeting>,
}

/// Dynamic evaluation: the ordered rules first (the first match wins), then
/// the rollout, then the env value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Targeting {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<TargetingRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<Rollout>,
}

impl Targeting {
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.rollout.is_none()
    }
}

/// `{ attribute = "email", starts_with = "qa-", variant = "on" }`: when the
/// context attribute satisfies the condition, serve this.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetingRule {
    /// A top-level key of the evaluation context; `targetingKey` is the
    /// context's targeting key.
    pub attribute: String,
    #[serde(flatten)]
    pub condition: Condition,
    #[serde(flatten)]
    pub serve: Serve,
}

/// The comparison a rule makes. A missing attribute never matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// JSON equality (numbers compare by value: `1 == 1.0`).
    Equals(Value),
    /// Equal to one of the listed values.
    In(Vec<Value>),
    /// A string attribute with this prefix.
    StartsWith(String),
    /// Semantic-version comparisons of a string attribute (`2.1.0`, a
    /// leading `v` is allowed) with the operand.
    SemverEq(String),
    SemverGt(String),
    SemverGe(String),
    SemverLt(String),
    SemverLe(String),
}

impl Condition {
    /// Every operator key, as written in the spec.
    pub const OPS: &'static [&'static str] = &[
        "equals",
        "in",
        "starts_with",
        "semver_eq",
        "semver_gt",
        "semver_ge",
        "semver_lt",
        "semver_le",
    ];

    /// The operator key of this condition.
    pub fn op(&self) -> &'static str {
        match self {
            Condition::Equals(_) => "equals",
            Condition::In(_) => "in",
            Condition::StartsWith(_) => "starts_with",
            Condition::SemverEq(_) => "semver_eq",
            Condition::SemverGt(_) => "semver_gt",
            Condition::SemverGe(_) => "semver_ge",
            Condition::SemverLt(_) => "semver_lt",
            Condition::SemverLe(_) => "semver_le",
        }
    }

    /// Builds a condition from an operator key and its operand (as the
    /// parser reads `op = operand`); `Err` says what is wrong.
    pub fn from_op(op: &str, operand: Value) -> Result<Self, String> {
        let string = |operand: Value| match operand {
            Value::String(text) => Ok(text),
            other => Err(format!("`{op}` takes a string, found {}", describe(&other))),
        };
        let semver = |operand: Value| {
            let text = string(operand)?;
            match parse_semver(&text) {
                Some(_) => Ok(text),
                None => Err(format!(
                    "`{op}` takes a semantic version like \"2.1.0\", found {text:?}"
                )),
            }
        };
        Ok(match op {
            "equals" => Condition::Equals(operand),
            "in" => match operand {
                Value::Array(values) => Condition::In(values),
                other => return Err(format!("`in` takes an array, found {}", describe(&other))),
            },
            "starts_with" => Condition::StartsWith(string(operand)?),
            "semver_eq" => Condition::SemverEq(semver(operand)?),
            "semver_gt" => Condition::SemverGt(semver(operand)?),
            "semver_ge" => Condition::SemverGe(semver(operand)?),
            "semver_lt" => Condition::SemverLt(semver(operand)?),
            "semver_le" => Condition::SemverLe(semver(operand)?),
            other => {
                return Err(format!(
                    "`{other}` is not a rule operator (use one of {})",
                    Self::OPS.join(", ")
                ));
            }
        })
    }
}

/// Parses a semantic version as rules use it: `2.1.0`, `v2.1.0`,
/// `2.1.0-beta.1`.
pub fn parse_semver(text: &str) -> Option<semver::Version> {
    let text = text.trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    semver::Version::parse(text).ok()
}

/// What a rule or rollout serves: a declared variant or a literal value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Serve {
    Variant(String),
    Value(Value),
}

/// `rollout = { percentage = 25, variant = "on" }`: that share of
/// targeting keys (sticky, by a stable hash of flag name and key) is
/// served this; the others fall through to the env value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    /// 0 to 100, at most two decimals.
    pub percentage: f64,
    #[serde(flatten)]
    pub serve: Serve,
}

impl Rollout {
    /// The rollout's share in buckets of [`ROLLOUT_BUCKETS`] (25 % → 2500).
    pub fn threshold(&self) -> u32 {
        percentage_buckets(self.percentage).unwrap_or(0)
    }
}

/// A percentage in buckets of 0.01 %, or `None` when it is not a number
/// from 0 to 100 with at most [`MAX_PERCENTAGE_DECIMALS`] decimals.
pub fn percentage_buckets(percentage: f64) -> Option<u32> {
    if !percentage.is_finite() || !(0.0..=100.0).contains(&percentage) {
        return None;
    }
    let scaled = percentage * 100.0;
    let rounded = scaled.round();
    if (scaled - rounded).abs() > 1e-6 {
        return None;
    }
    Some(rounded as u32)
}

/// What one env changes about a flag (`[env.E.flags]`): `analytics = true`
/// sets `value`; the table form `analytics = { value = …, enabled = …,
/// rules = […], rollout = {…} }` can also disable the flag or replace its
/// targeting for that env.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlagOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// When set, replaces the declared targeting entirely (an empty one
    /// turns targeting off in this env).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeting: Option<Targeting>,
}

/// A flag as one env serves it: declaration and override combined. This
/// is what `daytwo-flags` evaluates and what the daemon changes at run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvFlag {
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: FlagType,
    /// A disabled flag serves `default` with reason `DISABLED`.
    pub enabled: bool,
    /// Served when no rule or rollout applies: the env's value, else the
    /// declared default.
    pub value: Value,
    /// The declared default.
    pub default: Value,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targeting: Option<Targeting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl EnvFlag {
    /// The flag as env-with-`overlay` serves it (no overlay: as declared).
    pub fn resolve(spec: &FlagSpec, overlay: Option<&FlagOverride>) -> Self {
        let overlay = overlay.cloned().unwrap_or_default();
        let targeting = match overlay.targeting {
            Some(targeting) => Some(targeting),
            None => spec.targeting.clone(),
        }
        .filter(|targeting| !targeting.is_empty());
        Self {
            name: spec.name.clone(),
            description: spec.description.clone(),
            kind: spec.kind,
            enabled: overlay.enabled.unwrap_or(true),
            value: overlay.value.unwrap_or_else(|| spec.default.clone()),
            default: spec.default.clone(),
            variants: spec.variants.clone(),
            targeting,
            owner: spec.owner.clone(),
            expires: spec.expires.clone(),
        }
    }

    /// The value `serve` stands for; `None` for an undeclared variant.
    pub fn served<'a>(&'a self, serve: &'a Serve) -> Option<&'a Value> {
        match serve {
            Serve::Variant(name) => self.variants.get(name),
            Serve::Value(value) => Some(value),
        }
    }

    /// The name of the first declared variant (in name order) whose value
    /// equals `value`.
    pub fn variant_of(&self, value: &Value) -> Option<&str> {
        self.variants
            .iter()
            .find(|(_, candidate)| values_equal(candidate, value))
            .map(|(name, _)| name.as_str())
    }

    /// `Ok` when `value` may become this flag's env value.
    pub fn check_value(&self, value: &Value) -> Result<(), String> {
        if self.kind.accepts(value) {
            Ok(())
        } else {
            Err(format!(
                "flag `{}` is {} {}, not {}",
                self.name,
                article(self.kind),
                self.kind,
                describe(value)
            ))
        }
    }

    /// Problems that would make evaluation fail: values of the wrong type
    /// and undeclared variants. Empty for any flag built by
    /// [`EnvFlag::resolve`] from validated parts.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (what, value) in [("value", &self.value), ("default", &self.default)] {
            if let Err(problem) = self.check_value(value) {
                problems.push(format!("{what}: {problem}"));
            }
        }
        if let Some(targeting) = &self.targeting {
            let serves = targeting
                .rules
                .iter()
                .map(|rule| &rule.serve)
                .chain(targeting.rollout.iter().map(|rollout| &rollout.serve));
            for serve in serves {
                match self.served(serve) {
                    None => problems.push(format!("serves an undeclared variant: {serve:?}")),
                    Some(value) => {
                        if let Err(problem) = self.check_value(value) {
                            problems.push(problem);
                        }
                    }
                }
            }
        }
        problems
    }
}

/// JSON equality where numbers compare by value (`1 == 1.0`).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// "a boolean", "an integer" … for messages.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "an integer",
        Value::Number(_) => "a float",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "a table",
    }
}

fn article(kind: FlagType) -> &'static str {
    match kind {
        FlagType::Integer | FlagType::Object => "an",
        _ => "a",
    }
}

/// True when `date` is a valid `YYYY-MM-DD` calendar date.
pub fn is_valid_date(date: &str) -> bool {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &date[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flag() -> FlagSpec {
        FlagSpec {
            name: "checkout".into(),
            description: "new checkout page".into(),
            kind: FlagType::Boolean,
            default: json!(false),
            owner: Some("payments".into()),
            expires: Some("2030-01-31".into()),
            variants: BTreeMap::from([("on".into(), json!(true)), ("off".into(), json!(false))]),
            targeting: Some(Targeting {
                rules: vec![TargetingRule {
                    attribute: "email".into(),
                    condition: Condition::StartsWith("qa-".into()),
                    serve: Serve::Variant("on".into()),
                }],
                rollout: Some(Rollout {
                    percentage: 25.0,
                    serve: Serve::Value(json!(true)),
                }),
            }),
        }
    }

    fn codes(problems: &[SpecProblem]) -> Vec<(&'static str, String)> {
        problems
            .iter()
            .map(|p| (p.code, p.field.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn a_valid_flag_has_no_problems() {
        assert!(flag().validate("flags.checkout").is_empty());
    }

    #[test]
    fn serde_shape_reads_like_the_spec() {
        let json = serde_json::to_value(flag()).unwrap();
        assert_eq!(json["type"], "boolean");
        assert_eq!(
            json["targeting"]["rules"][0],
            json!({"attribute": "email", "starts_with": "qa-", "variant": "on"})
        );
        assert_eq!(
            json["targeting"]["rollout"],
            json!({"percentage": 25.0, "value": true})
        );
        let back: FlagSpec = serde_json::from_value(json).unwrap();
        assert_eq!(back, flag());
    }

    #[test]
    fn wrong_typed_values_unknown_variants_and_bad_percentages_are_reported() {
        let mut bad = flag();
        bad.default = json!("no");
        bad.variants.insert("maybe".into(), json!(1));
        bad.expires = Some("2030-02-30".into());
        let targeting = bad.targeting.as_mut().unwrap();
        targeting.rules[0].serve = Serve::Variant("missing".into());
        targeting.rules.push(TargetingRule {
            attribute: "appVersion".into(),
            condition: Condition::SemverGe("two".into()),
            serve: Serve::Value(json!(3)),
        });
        targeting.rollout.as_mut().unwrap().percentage = 100.5;
        assert_eq!(
            codes(&bad.validate("flags.checkout")),
            vec![
                (
                    flag_code::INVALID_FLAG_VALUE,
                    "flags.checkout.default".to_string()
                ),
                (
                    flag_code::INVALID_FLAG_VALUE,
                    "flags.checkout.variants.maybe".into()
                ),
                (flag_code::INVALID_EXPIRES, "flags.checkout.expires".into()),
                (
                    flag_code::UNKNOWN_VARIANT,
                    "flags.checkout.rules[0].variant".into()
                ),
                (
                    flag_code::INVALID_RULE,
                    "flags.checkout.rules[1].semver_ge".into()
                ),
                (
                    flag_code::INVALID_FLAG_VALUE,
                    "flags.checkout.rules[1].value".into()
                ),
                (
                    flag_code::INVALID_PERCENTAGE,
                    "flags.checkout.rollout.percentage".into()
                ),
            ]
        );
    }

    #[test]
    fn percentages_have_two_decimals_at_most() {
        assert_eq!(percentage_buckets(0.0), Some(0));
        assert_eq!(percentage_buckets(12.5), Some(1250));
        assert_eq!(percentage_buckets(0.01), Some(1));
        assert_eq!(percentage_buckets(100.0), Some(10_000));
        assert_eq!(percentage_buckets(0.001), None);
        assert_eq!(percentage_buckets(-1.0), None);
        assert_eq!(percentage_buckets(f64::NAN), None);
    }

    #[test]
    fn rule_operators_parse_with_their_operands() {
        assert_eq!(
            Condition::from_op("in", json!(["a", "b"])),
            Ok(Condition::In(vec![json!("a"), json!("b")]))
        );
        assert!(Condition::from_op("in", json!("a")).is_err());
        assert!(Condition::from_op("semver_gt", json!("v1.2.3")).is_ok());
        assert!(Condition::from_op("semver_gt", json!("1.2")).is_err());
        assert!(Condition::from_op("starts_with", json!(3)).is_err());
        assert!(
            Condition::from_op("ends_with", json!("x"))
                .unwrap_err()
                .contains("starts_with")
        );
    }

    #[test]
    fn integer_flags_reject_floats_and_float_flags_accept_integers() {
        assert!(FlagType::Integer.accepts(&json!(3)));
        assert!(!FlagType::Integer.accepts(&json!(3.5)));
        assert!(FlagType::Float.accepts(&json!(3)));
        assert!(!FlagType::Boolean.accepts(&json!("true")));
        assert_eq!(FlagType::parse("float"), Some(FlagType::Float));
        assert_eq!(FlagType::parse("bool"), None);
    }

    #[test]
    fn expired_flags_warn_and_dates_are_checked() {
        assert!(is_valid_date("2024-02-29"));
        assert!(!is_valid_date("2023-02-29"));
        assert!(!is_valid_date("2024-13-01"));
        assert!(!is_valid_date("24-01-01"));
        let flag = flag();
        assert!(expiry_warning(&flag, "flags.checkout", "2030-01-31").is_none());
        let warning = expiry_warning(&flag, "flags.checkout", "2030-02-01").unwrap();
        assert_eq!(warning.code, flag_code::FLAG_EXPIRED);
        assert_eq!(warning.severity, crate::Severity::Warning);
        assert!(warning.hint.unwrap().contains("payments"));
    }

    #[test]
    fn an_env_override_sets_value_enabled_and_targeting() {
        let spec = flag();
        let plain = EnvFlag::resolve(&spec, None);
        assert_eq!(plain.value, json!(false));
        assert!(plain.enabled);
        assert!(plain.problems().is_empty());
        let overlay = FlagOverride {
            value: Some(json!(true)),
            enabled: Some(false),
            targeting: Some(Targeting::default()),
        };
        let prod = EnvFlag::resolve(&spec, Some(&overlay));
        assert_eq!(prod.value, json!(true));
        assert!(!prod.enabled);
        assert_eq!(prod.targeting, None);
        assert_eq!(prod.variant_of(&json!(true)), Some("on"));
        let wrong = FlagOverride {
            value: Some(json!(1)),
            ..Default::default()
        };
        assert_eq!(
            codes(&wrong.validate(&spec, "env.prod.flags.checkout")),
            vec![(
                flag_code::INVALID_FLAG_VALUE,
                "env.prod.flags.checkout".into()
            )]
        );
    }
}
