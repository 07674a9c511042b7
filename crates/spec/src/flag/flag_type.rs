//! The value type of a flag (`type = "boolean"`) and its spellings.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

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

pub(super) fn article(kind: FlagType) -> &'static str {
    match kind {
        FlagType::Integer | FlagType::Object => "an",
        _ => "a",
    }
}
