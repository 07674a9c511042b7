//! `[flags.NAME]` and `[env.E.flags]`: the parsed model, and each flag
//! problem with its precise diagnostic (insta snapshots of the report).

use crate::bad_spec::render;
use daytwo_spec::{
    Condition, FlagType, Rollout, Serve, Severity, SpecDiagnostic, SpecError, code, parse_str,
};
use serde_json::json;
use std::path::Path;

const BASE: &str = r#"[app]
name = "shop"

[process.web]
command = "x"
"#;

fn parse(flags: &str) -> Result<daytwo_spec::Loaded, SpecError> {
    parse_str(&format!("{BASE}{flags}"), Path::new("daytwo.toml"), &|_| {
        None
    })
}

/// The single error of `flags` (appended to a valid spec): its rendering
/// and record.
fn only_error(flags: &str, code: &str, field: &str) -> (String, SpecDiagnostic) {
    let error = parse(flags).expect_err("an invalid spec");
    let diagnostics = error.diagnostics();
    let rendered = render(&error);
    assert_eq!(diagnostics.len(), 1, "{rendered}");
    assert_eq!(diagnostics[0].code, code, "{rendered}");
    assert_eq!(diagnostics[0].field.as_deref(), Some(field), "{rendered}");
    assert!(diagnostics[0].line.is_some(), "{rendered}");
    (rendered, diagnostics[0].clone())
}

#[test]
fn flags_are_declared_and_each_env_serves_its_value() {
    let loaded = parse(
        r#"
[flags.analytics]
type = "boolean"
default = false
description = "New analytics pipeline"
owner = "data"
expires = 2999-12-31

[flags.checkout]
type = "string"
default = "classic"
description = "Checkout page variant"
variants = { classic = "classic", fast = "one-page" }
rules = [{ attribute = "appVersion", semver_ge = "2.1.0", variant = "fast" }]
rollout = { percentage = 12.5, value = "one-page" }

[flags.limits]
type = "object"
default = { rpm = 60, burst = 1.5 }
description = "Rate limits"

[env.prod.flags]
analytics = true
limits = { value = { rpm = 600 } }

[env.qa.flags]
analytics = { enabled = false }
checkout = { rollout = { percentage = 50, variant = "fast" } }
"#,
    )
    .unwrap();
    let spec = &loaded.spec;
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let analytics = &spec.flags["analytics"];
    assert_eq!(analytics.kind, FlagType::Boolean);
    assert_eq!(analytics.expires.as_deref(), Some("2999-12-31"));
    let checkout = spec.flags["checkout"].targeting.as_ref().unwrap();
    assert_eq!(
        checkout.rules[0].condition,
        Condition::SemverGe("2.1.0".into())
    );
    assert_eq!(
        checkout.rollout,
        Some(Rollout {
            percentage: 12.5,
            serve: Serve::Value(json!("one-page"))
        })
    );
    assert_eq!(
        spec.flags["limits"].default,
        json!({"rpm": 60, "burst": 1.5})
    );

    let prod = spec.env("prod").unwrap();
    assert_eq!(prod.flags["analytics"].value, json!(true));
    assert_eq!(prod.flags["limits"].value, json!({"rpm": 600}));
    assert_eq!(prod.flags["checkout"].value, json!("classic"));
    let qa = spec.env("qa").unwrap();
    assert!(!qa.flags["analytics"].enabled);
    let qa_checkout = qa.flags["checkout"].targeting.as_ref().unwrap();
    assert!(
        qa_checkout.rules.is_empty(),
        "an env rollout replaces the rules"
    );
    assert_eq!(qa_checkout.rollout.as_ref().unwrap().percentage, 50.0);
    let dev = spec.env("dev").unwrap();
    assert_eq!(dev.flags["analytics"].value, json!(false));
}

#[test]
fn an_unknown_flag_type_is_an_error_with_a_suggestion() {
    let (rendered, diagnostic) = only_error(
        r#"
[flags.analytics]
type = "bool"
default = false
description = "x"
"#,
        code::UNKNOWN_FLAG_TYPE,
        "flags.analytics.type",
    );
    assert!(diagnostic.hint.unwrap().contains("boolean"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_default_of_the_wrong_type_is_an_error() {
    let (rendered, _) = only_error(
        r#"
[flags.analytics]
type = "boolean"
default = "off"
description = "x"
"#,
        code::INVALID_FLAG_VALUE,
        "flags.analytics.default",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_env_naming_an_undeclared_flag_is_an_error() {
    let (rendered, diagnostic) = only_error(
        r#"
[flags.analytics]
type = "boolean"
default = false
description = "x"

[env.prod.flags]
analytic = true
"#,
        code::UNKNOWN_FLAG,
        "env.prod.flags.analytic",
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .contains("did you mean `analytics`")
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_rule_operand_of_the_wrong_kind_is_an_error() {
    let (rendered, _) = only_error(
        r#"
[flags.checkout]
type = "boolean"
default = false
description = "x"
rules = [{ attribute = "country", in = "NL", value = true }]
"#,
        code::INVALID_RULE,
        "flags.checkout.rules[0].in",
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_env_value_of_the_wrong_type_points_at_the_env_entry() {
    only_error(
        r#"
[flags.rpm]
type = "integer"
default = 60
description = "x"

[env.prod.flags]
rpm = 1.5
"#,
        code::INVALID_FLAG_VALUE,
        "env.prod.flags.rpm",
    );
}

#[test]
fn a_flag_without_description_is_missing_a_key() {
    only_error(
        r#"
[flags.analytics]
type = "boolean"
default = false
"#,
        code::MISSING_KEY,
        "flags.analytics.description",
    );
}

#[test]
fn an_expired_flag_is_a_warning_and_the_spec_still_loads() {
    let loaded = parse(
        r#"
[flags.analytics]
type = "boolean"
default = false
description = "x"
owner = "data"
expires = "2020-01-31"
"#,
    )
    .unwrap();
    let found: Vec<_> = loaded
        .warnings
        .iter()
        .map(|w| (w.code.as_str(), w.severity, w.field.as_deref()))
        .collect();
    assert_eq!(
        found,
        vec![(
            code::FLAG_EXPIRED,
            Severity::Warning,
            Some("flags.analytics.expires")
        )]
    );
    insta::assert_snapshot!(render(&loaded.warnings_report.unwrap()));
}
