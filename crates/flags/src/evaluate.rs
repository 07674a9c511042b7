//! Evaluating one flag for one context: pure, no I/O, no clock.
//!
//! Order: disabled → default (`DISABLED`); the rules in order, the first
//! match serves (`TARGETING_MATCH`); the rollout, when the targeting key's
//! bucket is inside the share (`SPLIT`); else the env value (`STATIC` when
//! the flag has no targeting, `DEFAULT` when targeting did not apply).

use crate::bucket::bucket;
use crate::context::EvaluationContext;
use daytwo_spec::{Condition, EnvFlag, Serve, parse_semver, values_equal};
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// The OpenFeature resolution reason of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The flag has no targeting: the env value, the same for everyone.
    Static,
    /// A targeting rule matched.
    TargetingMatch,
    /// The targeting key fell inside the percentage rollout.
    Split,
    /// The flag is disabled in this env: its declared default.
    Disabled,
    /// Targeting exists but did not apply: the env value.
    Default,
    Unknown,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Static => "STATIC",
            Reason::TargetingMatch => "TARGETING_MATCH",
            Reason::Split => "SPLIT",
            Reason::Disabled => "DISABLED",
            Reason::Default => "DEFAULT",
            Reason::Unknown => "UNKNOWN",
        }
    }
}

/// The outcome of evaluating a flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub value: Value,
    /// The declared variant whose value was served, if any.
    pub variant: Option<String>,
    pub reason: Reason,
    /// `owner` and `expires` of the flag, when declared.
    pub metadata: BTreeMap<String, Value>,
}

/// OFREP / OpenFeature error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    ParseError,
    TargetingKeyMissing,
    InvalidContext,
    General,
    FlagNotFound,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::TargetingKeyMissing => "TARGETING_KEY_MISSING",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::General => "GENERAL",
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
        }
    }
}

/// Why a flag could not be evaluated for a context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvaluationError {
    /// The flag has a percentage rollout and the context no `targetingKey`.
    #[error(
        "flag `{flag}` has a percentage rollout; send a `targetingKey` in the context so the answer is sticky"
    )]
    TargetingKeyMissing { flag: String },
    /// The context does not fit (not an object, or an attribute a rule
    /// compares has the wrong form).
    #[error("{0}")]
    InvalidContext(String),
    /// The flag itself cannot be served (an inconsistent run-time change).
    #[error("{0}")]
    General(String),
}

impl EvaluationError {
    pub fn code(&self) -> ErrorCode {
        match self {
            EvaluationError::TargetingKeyMissing { .. } => ErrorCode::TargetingKeyMissing,
            EvaluationError::InvalidContext(_) => ErrorCode::InvalidContext,
            EvaluationError::General(_) => ErrorCode::General,
        }
    }
}

/// Evaluates `flag` for `context`. Pure: the same inputs give the same
/// answer on every replica and every run.
pub fn evaluate(
    flag: &EnvFlag,
    context: &EvaluationContext,
) -> Result<Evaluation, EvaluationError> {
    if !flag.enabled {
        return Ok(served(flag, flag.default.clone(), None, Reason::Disabled));
    }
    let Some(targeting) = flag.targeting.as_ref().filter(|t| !t.is_empty()) else {
        return Ok(served(flag, flag.value.clone(), None, Reason::Static));
    };
    for (index, rule) in targeting.rules.iter().enumerate() {
        let attribute = context.attribute(&rule.attribute);
        if matches(flag, index, &rule.condition, attribute)? {
            return serve(flag, &rule.serve, Reason::TargetingMatch);
        }
    }
    if let Some(rollout) = &targeting.rollout {
        let Some(key) = context.targeting_key.as_deref() else {
            return Err(EvaluationError::TargetingKeyMissing {
                flag: flag.name.clone(),
            });
        };
        if bucket(&flag.name, key) < rollout.threshold() {
            return serve(flag, &rollout.serve, Reason::Split);
        }
    }
    Ok(served(flag, flag.value.clone(), None, Reason::Default))
}

fn serve(flag: &EnvFlag, serve: &Serve, reason: Reason) -> Result<Evaluation, EvaluationError> {
    let value = flag.served(serve).ok_or_else(|| {
        EvaluationError::General(format!(
            "flag `{}` serves variant {serve:?}, which it does not declare",
            flag.name
        ))
    })?;
    if !flag.kind.accepts(value) {
        return Err(EvaluationError::General(format!(
            "flag `{}` is a {} flag but would serve {value}",
            flag.name, flag.kind
        )));
    }
    let variant = match serve {
        Serve::Variant(name) => Some(name.clone()),
        Serve::Value(_) => None,
    };
    Ok(served(flag, value.clone(), variant, reason))
}

fn served(flag: &EnvFlag, value: Value, variant: Option<String>, reason: Reason) -> Evaluation {
    let variant = variant.or_else(|| flag.variant_of(&value).map(str::to_string));
    let mut metadata = BTreeMap::new();
    if let Some(owner) = &flag.owner {
        metadata.insert("owner".to_string(), Value::String(owner.clone()));
    }
    if let Some(expires) = &flag.expires {
        metadata.insert("expires".to_string(), Value::String(expires.clone()));
    }
    Evaluation {
        value,
        variant,
        reason,
        metadata,
    }
}

fn matches(
    flag: &EnvFlag,
    index: usize,
    condition: &Condition,
    attribute: Option<&Value>,
) -> Result<bool, EvaluationError> {
    let Some(attribute) = attribute else {
        return Ok(false);
    };
    let (operand, wanted): (&str, &[Ordering]) = match condition {
        Condition::Equals(expected) => return Ok(values_equal(attribute, expected)),
        Condition::In(values) => return Ok(values.iter().any(|v| values_equal(attribute, v))),
        Condition::StartsWith(prefix) => {
            return Ok(attribute
                .as_str()
                .is_some_and(|s| s.starts_with(prefix.as_str())));
        }
        Condition::SemverEq(v) => (v, &[Ordering::Equal]),
        Condition::SemverGt(v) => (v, &[Ordering::Greater]),
        Condition::SemverGe(v) => (v, &[Ordering::Greater, Ordering::Equal]),
        Condition::SemverLt(v) => (v, &[Ordering::Less]),
        Condition::SemverLe(v) => (v, &[Ordering::Less, Ordering::Equal]),
    };
    let rule = format!("flag `{}` rule {index} ({})", flag.name, condition.op());
    let operand = parse_semver(operand)
        .ok_or_else(|| EvaluationError::General(format!("{rule}: {operand:?} is not a version")))?;
    let actual = attribute.as_str().and_then(parse_semver).ok_or_else(|| {
        EvaluationError::InvalidContext(format!(
            "{rule} compares `{}` as a semantic version, but the context has {attribute}",
            attribute_name(flag, index)
        ))
    })?;
    Ok(wanted.contains(&actual.cmp_precedence(&operand)))
}

fn attribute_name(flag: &EnvFlag, index: usize) -> &str {
    flag.targeting
        .as_ref()
        .and_then(|t| t.rules.get(index))
        .map(|rule| rule.attribute.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
