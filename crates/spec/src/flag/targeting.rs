//! Dynamic evaluation: targeting rules, their conditions, what they serve
//! and percentage rollouts.

use super::value::describe;
use super::version::parse_semver;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A percentage rollout has this many buckets: 0.01 % resolution.
pub const ROLLOUT_BUCKETS: u32 = 10_000;
/// Decimal places a rollout percentage may have (`12.5`, `0.25`).
pub const MAX_PERCENTAGE_DECIMALS: u32 = 2;

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
