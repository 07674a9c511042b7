//! Flags added, changed and removed between two manifests, each with its
//! description and kill-switch status.

use super::FlagChanges;
use crate::manifest::Manifest;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// A flag as a release declares it, with where it can be switched off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagNote {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub default: Value,
    /// A boolean flag: `daytwo flags set NAME false --env ENV` turns it off
    /// at run time.
    pub kill_switch: bool,
    /// Envs that serve it `true` (the declared default or the env's value).
    pub on_in: Vec<String>,
}

/// A flag both releases declare, with what changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagChange {
    #[serde(flatten)]
    pub flag: FlagNote,
    /// Changed fields: `type`, `default`, `description`, as `{old, new}`.
    pub changes: BTreeMap<String, FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub old: Value,
    pub new: Value,
}

/// Fields compared between the two declarations.
const COMPARED_FIELDS: [&str; 3] = ["type", "default", "description"];

fn declared(manifest: &Manifest) -> BTreeMap<String, &Value> {
    manifest
        .flags
        .iter()
        .filter_map(|flag| Some((flag.get("name")?.as_str()?.to_string(), flag)))
        .collect()
}

fn note(manifest: &Manifest, name: &str, flag: &Value) -> FlagNote {
    let text = |key: &str| {
        flag.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let kind = text("type");
    let on_in = manifest
        .spec
        .env_names()
        .into_iter()
        .filter(|env| {
            manifest
                .spec
                .env(env)
                .ok()
                .and_then(|spec| {
                    spec.flags
                        .get(name)
                        .map(|f| f.enabled && f.value == Value::Bool(true))
                })
                .unwrap_or(false)
        })
        .collect();
    FlagNote {
        name: name.to_string(),
        kill_switch: kind == "boolean",
        kind,
        description: text("description"),
        default: flag.get("default").cloned().unwrap_or(Value::Null),
        on_in,
    }
}

pub(super) fn changes(new: &Manifest, old: Option<&Manifest>) -> FlagChanges {
    let after = declared(new);
    let before = old.map(declared).unwrap_or_default();
    let mut changes = FlagChanges::default();
    for (name, flag) in &after {
        match before.get(name) {
            None => changes.added.push(note(new, name, flag)),
            Some(previous) => {
                let fields: BTreeMap<String, FieldChange> = COMPARED_FIELDS
                    .iter()
                    .filter_map(|field| {
                        let (old, new) = (previous.get(*field), flag.get(*field));
                        (old != new).then(|| {
                            (
                                field.to_string(),
                                FieldChange {
                                    old: old.cloned().unwrap_or(Value::Null),
                                    new: new.cloned().unwrap_or(Value::Null),
                                },
                            )
                        })
                    })
                    .collect();
                if !fields.is_empty() {
                    changes.changed.push(FlagChange {
                        flag: note(new, name, flag),
                        changes: fields,
                    });
                }
            }
        }
    }
    if let Some(old) = old {
        for (name, flag) in &before {
            if !after.contains_key(name) {
                changes.removed.push(note(old, name, flag));
            }
        }
    }
    changes
}
