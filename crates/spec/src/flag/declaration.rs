//! One `[flags.NAME]` as declared, before any env applies.

use super::flag_type::FlagType;
use super::targeting::Targeting;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

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
