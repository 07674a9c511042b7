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

mod date;
mod declaration;
mod env_flag;
pub mod flag_code;
mod flag_type;
mod targeting;
mod validate;
mod value;
mod version;

pub use date::is_valid_date;
pub use declaration::FlagSpec;
pub use env_flag::{EnvFlag, FlagOverride};
pub use flag_type::FlagType;
pub use targeting::{
    Condition, MAX_PERCENTAGE_DECIMALS, ROLLOUT_BUCKETS, Rollout, Serve, Targeting, TargetingRule,
    percentage_buckets,
};
pub use validate::{
    expiry_warning, invalid_rule_problem, unknown_flag_problem, unknown_flag_type_problem,
};
pub use value::{describe, values_equal};
pub use version::parse_semver;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SpecProblem;
    use serde_json::json;
    use std::collections::BTreeMap;

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
