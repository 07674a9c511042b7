//! The evaluation context a client sends: an optional `targetingKey` and
//! any other attributes, as in OpenFeature.

use crate::evaluate::EvaluationError;
use serde_json::{Map, Value};

/// The OpenFeature evaluation context of one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvaluationContext {
    /// The key percentage rollouts are sticky on (a user or session id).
    pub targeting_key: Option<String>,
    /// Every context field, `targetingKey` included.
    pub attributes: Map<String, Value>,
}

/// The context key that holds the targeting key.
const TARGETING_KEY: &str = "targetingKey";

impl EvaluationContext {
    /// A context with only a targeting key.
    pub fn with_targeting_key(key: impl Into<String>) -> Self {
        let key = key.into();
        let mut attributes = Map::new();
        attributes.insert(TARGETING_KEY.to_string(), Value::String(key.clone()));
        Self {
            targeting_key: Some(key),
            attributes,
        }
    }

    /// Adds an attribute (builder style, for tests and embedding).
    pub fn attribute_set(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        let value = value.into();
        if name == TARGETING_KEY {
            self.targeting_key = value.as_str().map(str::to_string);
        }
        self.attributes.insert(name, value);
        self
    }

    /// Reads the OFREP `context` member: absent or `null` is the empty
    /// context; anything but an object, or a `targetingKey` that is not a
    /// string, is `INVALID_CONTEXT`.
    pub fn from_json(context: Option<Value>) -> Result<Self, EvaluationError> {
        let attributes = match context {
            None | Some(Value::Null) => return Ok(Self::default()),
            Some(Value::Object(attributes)) => attributes,
            Some(other) => {
                return Err(EvaluationError::InvalidContext(format!(
                    "`context` must be a JSON object, found {}",
                    daytwo_spec::describe(&other)
                )));
            }
        };
        let targeting_key = match attributes.get(TARGETING_KEY) {
            None | Some(Value::Null) => None,
            Some(Value::String(key)) => Some(key.clone()),
            Some(other) => {
                return Err(EvaluationError::InvalidContext(format!(
                    "`targetingKey` must be a string, found {}",
                    daytwo_spec::describe(other)
                )));
            }
        };
        Ok(Self {
            targeting_key,
            attributes,
        })
    }

    /// The attribute `name`, `None` when absent or `null`.
    pub fn attribute(&self, name: &str) -> Option<&Value> {
        self.attributes.get(name).filter(|value| !value.is_null())
    }
}
