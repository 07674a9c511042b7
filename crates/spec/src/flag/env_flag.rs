//! A flag as one env serves it: the `[env.E.flags]` override and the
//! declaration combined.

use super::declaration::FlagSpec;
use super::flag_type::{FlagType, article};
use super::targeting::{Serve, Targeting};
use super::value::{describe, values_equal};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

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
