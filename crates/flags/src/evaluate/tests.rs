use super::*;
use daytwo_spec::{FlagType, Rollout, Targeting, TargetingRule};
use proptest::prelude::*;
use serde_json::json;

fn flag(targeting: Option<Targeting>) -> EnvFlag {
    EnvFlag {
        name: "checkout".into(),
        description: "new checkout".into(),
        kind: FlagType::Boolean,
        enabled: true,
        value: json!(false),
        default: json!(false),
        variants: BTreeMap::from([("on".into(), json!(true)), ("off".into(), json!(false))]),
        targeting,
        owner: Some("payments".into()),
        expires: None,
    }
}

fn rule(attribute: &str, condition: Condition, serve: Serve) -> TargetingRule {
    TargetingRule {
        attribute: attribute.into(),
        condition,
        serve,
    }
}

fn rollout(percentage: f64) -> Targeting {
    Targeting {
        rules: vec![],
        rollout: Some(Rollout {
            percentage,
            serve: Serve::Variant("on".into()),
        }),
    }
}

fn user(key: &str) -> EvaluationContext {
    EvaluationContext::with_targeting_key(key)
}

#[test]
fn a_flag_without_targeting_serves_its_env_value_statically() {
    let mut flag = flag(None);
    flag.value = json!(true);
    let evaluation = evaluate(&flag, &EvaluationContext::default()).unwrap();
    assert_eq!(evaluation.value, json!(true));
    assert_eq!(evaluation.reason, Reason::Static);
    assert_eq!(evaluation.variant.as_deref(), Some("on"));
    assert_eq!(evaluation.metadata["owner"], json!("payments"));
}

#[test]
fn a_disabled_flag_serves_its_declared_default() {
    let mut flag = flag(Some(rollout(100.0)));
    flag.value = json!(true);
    flag.enabled = false;
    let evaluation = evaluate(&flag, &user("u1")).unwrap();
    assert_eq!(evaluation.value, json!(false));
    assert_eq!(evaluation.reason, Reason::Disabled);
}

#[test]
fn the_first_matching_rule_wins_in_declaration_order() {
    let targeting = Targeting {
        rules: vec![
            rule(
                "email",
                Condition::StartsWith("qa-".into()),
                Serve::Variant("on".into()),
            ),
            rule(
                "country",
                Condition::In(vec![json!("NL"), json!("BE")]),
                Serve::Value(json!(false)),
            ),
            rule(
                "beta",
                Condition::Equals(json!(true)),
                Serve::Value(json!(true)),
            ),
        ],
        rollout: None,
    };
    let flag = flag(Some(targeting));
    let qa = user("u")
        .attribute_set("email", "qa-1@x")
        .attribute_set("country", "NL");
    let evaluation = evaluate(&flag, &qa).unwrap();
    assert_eq!(
        (
            evaluation.value,
            evaluation.reason,
            evaluation.variant.as_deref()
        ),
        (json!(true), Reason::TargetingMatch, Some("on"))
    );
    let dutch_beta = user("u")
        .attribute_set("country", "NL")
        .attribute_set("beta", true);
    assert_eq!(evaluate(&flag, &dutch_beta).unwrap().value, json!(false));
    let beta = user("u").attribute_set("beta", true);
    assert_eq!(evaluate(&flag, &beta).unwrap().value, json!(true));
    let nobody = evaluate(&flag, &user("u")).unwrap();
    assert_eq!(
        (nobody.value, nobody.reason),
        (json!(false), Reason::Default)
    );
}

#[test]
fn numbers_compare_by_value_in_equals_and_in() {
    let targeting = Targeting {
        rules: vec![rule(
            "tier",
            Condition::In(vec![json!(2), json!(3)]),
            Serve::Value(json!(true)),
        )],
        rollout: None,
    };
    let flag = flag(Some(targeting));
    let context = user("u").attribute_set("tier", 2.0);
    assert_eq!(
        evaluate(&flag, &context).unwrap().reason,
        Reason::TargetingMatch
    );
}

#[test]
fn semver_rules_compare_versions_not_strings() {
    let cases = [
        (Condition::SemverGe("2.10.0".into()), "2.9.9", false),
        (Condition::SemverGe("2.10.0".into()), "v2.10.0", true),
        (Condition::SemverGt("2.10.0".into()), "2.10.1", true),
        (Condition::SemverLt("2.0.0".into()), "2.0.0-beta.1", true),
        (Condition::SemverLe("1.0.0".into()), "1.0.0", true),
        (Condition::SemverEq("1.0.0".into()), "1.0.0+build.5", true),
    ];
    for (condition, version, expected) in cases {
        let flag = flag(Some(Targeting {
            rules: vec![rule(
                "appVersion",
                condition.clone(),
                Serve::Value(json!(true)),
            )],
            rollout: None,
        }));
        let context = user("u").attribute_set("appVersion", version);
        let matched = evaluate(&flag, &context).unwrap().reason == Reason::TargetingMatch;
        assert_eq!(matched, expected, "{condition:?} vs {version}");
    }
}

#[test]
fn a_context_version_that_is_not_semver_is_an_invalid_context() {
    let flag = flag(Some(Targeting {
        rules: vec![rule(
            "appVersion",
            Condition::SemverGe("1.0.0".into()),
            Serve::Value(json!(true)),
        )],
        rollout: None,
    }));
    let error = evaluate(&flag, &user("u").attribute_set("appVersion", "latest")).unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidContext);
    assert!(error.to_string().contains("appVersion"), "{error}");
}

#[test]
fn a_rollout_without_a_targeting_key_is_an_error() {
    let flag = flag(Some(rollout(50.0)));
    let error = evaluate(&flag, &EvaluationContext::default()).unwrap_err();
    assert_eq!(error.code(), ErrorCode::TargetingKeyMissing);
}

#[test]
fn keys_inside_the_rollout_are_split_the_rest_get_the_env_value() {
    let flag = flag(Some(rollout(50.0)));
    let reasons: Vec<Reason> = (0..200)
        .map(|i| evaluate(&flag, &user(&format!("user-{i}"))).unwrap().reason)
        .collect();
    assert!(reasons.contains(&Reason::Split));
    assert!(reasons.contains(&Reason::Default));
    for i in 0..200 {
        let evaluation = evaluate(&flag, &user(&format!("user-{i}"))).unwrap();
        let expected = if evaluation.reason == Reason::Split {
            json!(true)
        } else {
            json!(false)
        };
        assert_eq!(evaluation.value, expected);
    }
}

#[test]
fn serving_an_undeclared_variant_is_a_general_error() {
    let mut flag = flag(Some(rollout(100.0)));
    flag.variants.clear();
    let error = evaluate(&flag, &user("u")).unwrap_err();
    assert_eq!(error.code(), ErrorCode::General);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn rollouts_are_within_two_points_of_their_share_over_10k_keys(
        percentage in 0u32..=100,
        name in "[a-z][a-z0-9_-]{0,20}",
        prefix in "[a-zA-Z0-9]{0,12}",
    ) {
        let mut flag = flag(Some(rollout(f64::from(percentage))));
        flag.name = name;
        let inside = (0..10_000)
            .filter(|i| {
                let context = user(&format!("{prefix}{i}"));
                evaluate(&flag, &context).unwrap().reason == Reason::Split
            })
            .count();
        let share = inside as f64 / 100.0;
        prop_assert!((share - f64::from(percentage)).abs() <= 2.0, "{share}% for {percentage}%");
    }

    #[test]
    fn rollouts_are_sticky_and_only_grow_when_the_share_grows(
        key in ".{0,40}",
        name in "[a-z][a-z0-9_-]{0,20}",
        low in 0u32..=100,
        high in 0u32..=100,
    ) {
        let (low, high) = (low.min(high), low.max(high));
        let mut small = flag(Some(rollout(f64::from(low))));
        small.name = name.clone();
        let mut large = flag(Some(rollout(f64::from(high))));
        large.name = name;
        let context = user(&key);
        let first = evaluate(&small, &context).unwrap();
        prop_assert_eq!(&first, &evaluate(&small, &context).unwrap());
        if first.reason == Reason::Split {
            prop_assert_eq!(evaluate(&large, &context).unwrap().reason, Reason::Split);
        }
    }
}
