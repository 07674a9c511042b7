//! Export to flagd's flag-definition JSON (`daytwo flags export --format
//! flagd`), so the same flags can be served by flagd or any tool that reads
//! its format.
//!
//! Every served value becomes a named variant (declared variants keep
//! their names; other values are named after themselves, e.g. `true`,
//! `blue`, `10`). Rules become a JsonLogic `if` chain with flagd's
//! `starts_with` and `sem_ver` operations; a rollout becomes `fractional`,
//! which hashes the same input (flag name + targeting key) with the same
//! hash (MurmurHash3) as daytwo.

use daytwo_spec::{Condition, EnvFlag, ROLLOUT_BUCKETS, Serve, Targeting, values_equal};
use serde_json::{Map, Value, json};

/// The `$schema` of a flagd flag-definition file.
pub const FLAGD_SCHEMA: &str = "https://flagd.dev/schema/v0/flags.json";

/// `{"$schema": …, "flags": {NAME: {state, variants, defaultVariant, targeting?, metadata}}}`
/// for the given env flags.
pub fn to_flagd<'a>(flags: impl IntoIterator<Item = &'a EnvFlag>) -> Value {
    let flags: Map<String, Value> = flags
        .into_iter()
        .map(|flag| (flag.name.clone(), flagd_flag(flag)))
        .collect();
    json!({ "$schema": FLAGD_SCHEMA, "flags": flags })
}

fn flagd_flag(flag: &EnvFlag) -> Value {
    let mut variants = Variants::new(flag);
    let env_variant = variants.name_for(&flag.value);
    let default_variant = if flag.enabled {
        env_variant.clone()
    } else {
        variants.name_for(&flag.default)
    };
    let targeting = flag
        .targeting
        .as_ref()
        .filter(|targeting| flag.enabled && !targeting.is_empty())
        .map(|targeting| targeting_logic(targeting, &mut variants, &env_variant));
    let mut metadata = Map::new();
    metadata.insert("description".into(), json!(flag.description));
    metadata.insert("type".into(), json!(flag.kind.as_str()));
    if let Some(owner) = &flag.owner {
        metadata.insert("owner".into(), json!(owner));
    }
    if let Some(expires) = &flag.expires {
        metadata.insert("expires".into(), json!(expires));
    }
    let mut out = Map::new();
    out.insert(
        "state".into(),
        json!(if flag.enabled { "ENABLED" } else { "DISABLED" }),
    );
    out.insert("variants".into(), Value::Object(variants.names));
    out.insert("defaultVariant".into(), json!(default_variant));
    if let Some(targeting) = targeting {
        out.insert("targeting".into(), targeting);
    }
    out.insert("metadata".into(), Value::Object(metadata));
    Value::Object(out)
}

fn targeting_logic(targeting: &Targeting, variants: &mut Variants, env_variant: &str) -> Value {
    let fallthrough = match &targeting.rollout {
        Some(rollout) => {
            let served = variants.serve(&rollout.serve);
            let inside = rollout.threshold();
            json!({ "fractional": [
                [served, inside],
                [env_variant, ROLLOUT_BUCKETS - inside],
            ]})
        }
        None => json!(env_variant),
    };
    if targeting.rules.is_empty() {
        return fallthrough;
    }
    let mut chain = Vec::new();
    for rule in &targeting.rules {
        let var = json!({ "var": rule.attribute });
        chain.push(match &rule.condition {
            Condition::Equals(value) => json!({ "==": [var, value] }),
            Condition::In(values) => json!({ "in": [var, values] }),
            Condition::StartsWith(prefix) => json!({ "starts_with": [var, prefix] }),
            Condition::SemverEq(v) => json!({ "sem_ver": [var, "=", v] }),
            Condition::SemverGt(v) => json!({ "sem_ver": [var, ">", v] }),
            Condition::SemverGe(v) => json!({ "sem_ver": [var, ">=", v] }),
            Condition::SemverLt(v) => json!({ "sem_ver": [var, "<", v] }),
            Condition::SemverLe(v) => json!({ "sem_ver": [var, "<=", v] }),
        });
        chain.push(json!(variants.serve(&rule.serve)));
    }
    chain.push(fallthrough);
    json!({ "if": chain })
}

/// The flag's variants, grown with a named variant for every other value
/// the export needs.
struct Variants<'a> {
    flag: &'a EnvFlag,
    names: Map<String, Value>,
}

impl<'a> Variants<'a> {
    fn new(flag: &'a EnvFlag) -> Self {
        let names = flag
            .variants
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        Self { flag, names }
    }

    fn serve(&mut self, serve: &Serve) -> String {
        match serve {
            Serve::Variant(name) => name.clone(),
            Serve::Value(value) => self.name_for(value),
        }
    }

    fn name_for(&mut self, value: &Value) -> String {
        if let Some(name) = self.flag.variant_of(value) {
            return name.to_string();
        }
        if let Some((name, _)) = self.names.iter().find(|(_, v)| values_equal(v, value)) {
            return name.clone();
        }
        let base = match value {
            Value::String(text) if !text.is_empty() => text.clone(),
            Value::Bool(_) | Value::Number(_) => value.to_string(),
            _ => "value".to_string(),
        };
        let mut name = base.clone();
        let mut suffix = 2;
        while self.names.contains_key(&name) {
            name = format!("{base}-{suffix}");
            suffix += 1;
        }
        self.names.insert(name.clone(), value.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use daytwo_spec::{FlagType, Rollout, TargetingRule};
    use std::collections::BTreeMap;

    fn flag() -> EnvFlag {
        EnvFlag {
            name: "checkout".into(),
            description: "new checkout".into(),
            kind: FlagType::Boolean,
            enabled: true,
            value: json!(false),
            default: json!(false),
            variants: BTreeMap::from([("on".into(), json!(true))]),
            targeting: Some(Targeting {
                rules: vec![TargetingRule {
                    attribute: "appVersion".into(),
                    condition: Condition::SemverGe("2.0.0".into()),
                    serve: Serve::Variant("on".into()),
                }],
                rollout: Some(Rollout {
                    percentage: 12.5,
                    serve: Serve::Value(json!(true)),
                }),
            }),
            owner: Some("payments".into()),
            expires: None,
        }
    }

    #[test]
    fn exports_variants_default_and_targeting_as_flagd_json() {
        let exported = to_flagd([&flag()]);
        assert_eq!(exported["$schema"], FLAGD_SCHEMA);
        assert_eq!(
            exported["flags"]["checkout"],
            json!({
                "state": "ENABLED",
                "variants": { "on": true, "false": false },
                "defaultVariant": "false",
                "targeting": { "if": [
                    { "sem_ver": [{ "var": "appVersion" }, ">=", "2.0.0"] },
                    "on",
                    { "fractional": [["on", 1250], ["false", 8750]] }
                ]},
                "metadata": { "description": "new checkout", "type": "boolean", "owner": "payments" }
            })
        );
    }

    #[test]
    fn a_disabled_flag_exports_disabled_with_its_default() {
        let mut flag = flag();
        flag.enabled = false;
        flag.value = json!(true);
        let exported = to_flagd([&flag]);
        let checkout = &exported["flags"]["checkout"];
        assert_eq!(checkout["state"], "DISABLED");
        assert_eq!(checkout["defaultVariant"], "false");
        assert!(checkout.get("targeting").is_none());
    }
}
