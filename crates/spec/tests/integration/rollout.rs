//! `[rollout]`, `[rollout.guards]` and `[alerts]`: the defaults a spec
//! without them gets, what a spec writes, per-env overlays, and each
//! problem with its precise diagnostic (insta snapshots of the report).

use crate::bad_spec::render;
use daytwo_spec::{
    AlertsSpec, CpuPerRequestGuardSpec, ErrorRateGuardSpec, GuardsSpec, LatencyGuardSpec,
    MemoryGrowthGuardSpec, RemediationSpec, RolloutSpec, RolloutStrategy, SpecDiagnostic,
    SpecError, code, parse_str,
};
use std::path::Path;
use std::time::Duration;

const BASE: &str = r#"[app]
name = "shop"

[process.web]
command = "x"
http = true

[flags.analytics]
type = "boolean"
default = false
description = "per-customer analytics"

[flags.theme]
type = "string"
default = "light"
description = "colour theme"
"#;

fn parse(rest: &str) -> Result<daytwo_spec::Loaded, SpecError> {
    parse_str(
        &format!("{BASE}{rest}"),
        Path::new("daytwo.toml"),
        &|name| (name == "HOOK_HOST").then(|| "hooks.internal:9000".to_string()),
    )
}

fn env_rollout(rest: &str, env: &str) -> (RolloutSpec, AlertsSpec) {
    let spec = parse(rest).expect("a valid spec").spec;
    let env = spec.env(env).unwrap();
    (env.rollout, env.alerts)
}

/// The single error of `rest` (appended to a valid spec), asserting its
/// code, field and line: its rendering and record.
fn only_error(rest: &str, code: &str, field: &str, line: usize) -> (String, SpecDiagnostic) {
    let error = parse(rest).expect_err("an invalid spec");
    let diagnostics = error.diagnostics();
    let rendered = render(&error);
    assert_eq!(diagnostics.len(), 1, "{rendered}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic.code, code, "{rendered}");
    assert_eq!(diagnostic.field.as_deref(), Some(field), "{rendered}");
    assert_eq!(diagnostic.line, Some(line), "{rendered}");
    assert!(diagnostic.hint.is_some(), "every diagnostic has a hint");
    (rendered, diagnostic.clone())
}

/// The line of `rest`'s first line once appended to `BASE`.
fn line(n: usize) -> usize {
    BASE.lines().count() + n
}

#[test]
fn without_rollout_a_deploy_is_rolling_and_the_leak_guards_are_on() {
    let (rollout, alerts) = env_rollout("", "dev");
    assert_eq!(rollout.strategy, RolloutStrategy::Rolling);
    assert_eq!(rollout.steps, vec![10, 50, 100]);
    assert_eq!(rollout.step_duration, Duration::from_secs(20));
    let guards = &rollout.guards;
    assert!(guards.error_rate.is_some(), "error rate on by default");
    assert_eq!(
        guards.latency.map(|l| (l.p50, l.p99)),
        Some((false, true)),
        "p99 latency on by default"
    );
    assert!(guards.restarts);
    assert!(
        guards.memory_growth.is_some(),
        "a leak is caught with zero configuration"
    );
    assert!(guards.cpu_per_request.is_none(), "CPU guard off by default");
    assert_eq!(guards.remediation, RemediationSpec::Alert);
    assert_eq!(rollout, RolloutSpec::default());
    assert!(alerts.webhooks.is_empty());
}

#[test]
fn a_canary_with_tuned_guards_is_read_as_written() {
    let (rollout, alerts) = env_rollout(
        r#"
[rollout]
strategy = "canary"
steps = [5, 25, 100]
step_duration = "30s"

[rollout.guards]
error_rate = { absolute_tolerance = 0.02, relative_tolerance = 0.5 }
latency = { p50 = true, relative_tolerance = 0.2, absolute_tolerance_ms = 25, min_interval_requests = 8 }
restarts = false
cpu_per_request = { tolerance = 0.3 }
memory_growth = { absolute_tolerance_bytes_per_sec = "8KiB", relative_tolerance = 1.0, horizon = "2h" }
min_requests = 50
min_samples = 6
alpha = 0.01
analysis_interval = "2s"
max_extensions = 0
remediation = "flag-off analytics"

[alerts]
webhooks = ["http://127.0.0.1:9093/hook", "https://${HOOK_HOST}/daytwo"]
"#,
        "dev",
    );
    assert_eq!(
        rollout,
        RolloutSpec {
            strategy: RolloutStrategy::Canary,
            steps: vec![5, 25, 100],
            step_duration: Duration::from_secs(30),
            guards: GuardsSpec {
                error_rate: Some(ErrorRateGuardSpec {
                    absolute_tolerance: 0.02,
                    relative_tolerance: 0.5,
                }),
                latency: Some(LatencyGuardSpec {
                    p50: true,
                    p99: true,
                    relative_tolerance: 0.2,
                    absolute_tolerance_ms: 25.0,
                    min_interval_requests: 8,
                }),
                restarts: false,
                cpu_per_request: Some(CpuPerRequestGuardSpec { tolerance: 0.3 }),
                memory_growth: Some(MemoryGrowthGuardSpec {
                    absolute_tolerance_bytes_per_sec: 8192.0,
                    relative_tolerance: 1.0,
                    horizon: Duration::from_secs(7200),
                }),
                min_requests: 50,
                min_samples: 6,
                alpha: 0.01,
                analysis_interval: Duration::from_secs(2),
                max_extensions: 0,
                remediation: RemediationSpec::FlagOff("analytics".into()),
            },
        }
    );
    assert_eq!(
        alerts.webhooks,
        vec![
            "http://127.0.0.1:9093/hook".to_string(),
            "https://hooks.internal:9000/daytwo".to_string()
        ]
    );
}

#[test]
fn guards_turn_off_with_false_and_on_with_true_or_a_table_header() {
    let (rollout, _) = env_rollout(
        r#"
[rollout.guards]
error_rate = false
latency = false
memory_growth = { enabled = false, horizon = "3h" }
cpu_per_request = true

[rollout.guards.restarts]
enabled = false
"#,
        "dev",
    );
    let guards = rollout.guards;
    assert_eq!(guards.error_rate, None);
    assert_eq!(guards.latency, None);
    assert_eq!(guards.memory_growth, None);
    assert!(!guards.restarts);
    assert_eq!(
        guards.cpu_per_request,
        Some(CpuPerRequestGuardSpec::default())
    );
}

#[test]
fn env_overlays_merge_rollout_guards_and_alerts_key_by_key() {
    let text = r#"
[rollout]
strategy = "canary"
step_duration = "20s"

[rollout.guards]
latency = { p50 = true }
min_requests = 200

[alerts]
webhooks = ["http://127.0.0.1:9093/base"]

[env.qa]

[env.prod.rollout]
step_duration = "1m"

[env.prod.rollout.guards]
latency = { relative_tolerance = 0.05 }
memory_growth = false
cpu_per_request = { tolerance = 0.2 }
remediation = "rollback"

[env.prod.alerts]
webhooks = ["https://pager.example.com/hook"]

[env.staging.rollout]
strategy = "blue-green"

[env.staging.alerts]
webhooks = []
"#;
    let (qa, qa_alerts) = env_rollout(text, "qa");
    assert_eq!(qa.strategy, RolloutStrategy::Canary);
    assert_eq!(qa.guards.min_requests, 200);
    assert!(qa.guards.latency.unwrap().p50);
    assert_eq!(qa_alerts.webhooks, vec!["http://127.0.0.1:9093/base"]);

    let (prod, prod_alerts) = env_rollout(text, "prod");
    assert_eq!(prod.strategy, RolloutStrategy::Canary, "from the base");
    assert_eq!(prod.step_duration, Duration::from_secs(60));
    let latency = prod.guards.latency.unwrap();
    assert!(latency.p50, "the base's p50 stays");
    assert_eq!(latency.relative_tolerance, 0.05, "the overlay's tolerance");
    assert_eq!(prod.guards.memory_growth, None);
    assert_eq!(prod.guards.cpu_per_request.unwrap().tolerance, 0.2);
    assert_eq!(prod.guards.min_requests, 200, "from the base");
    assert_eq!(prod.guards.remediation, RemediationSpec::Rollback);
    assert_eq!(prod_alerts.webhooks, vec!["https://pager.example.com/hook"]);

    let (staging, staging_alerts) = env_rollout(text, "staging");
    assert_eq!(staging.strategy, RolloutStrategy::BlueGreen);
    assert!(
        staging_alerts.webhooks.is_empty(),
        "an empty list turns alerts off"
    );
}

#[test]
fn an_effective_env_spec_without_rollout_fields_still_deserializes() {
    // Releases store their spec as JSON; one built before `[rollout]`
    // existed has neither field and gets the defaults.
    let spec = parse("").unwrap().spec;
    let mut json = serde_json::to_value(spec.env("dev").unwrap()).unwrap();
    let object = json.as_object_mut().unwrap();
    assert!(object.remove("rollout").is_some() && object.remove("alerts").is_some());
    let env: daytwo_spec::EnvSpec = serde_json::from_value(json).unwrap();
    assert_eq!(env.rollout, RolloutSpec::default());
    assert_eq!(env.alerts, AlertsSpec::default());
}

#[test]
fn steps_that_do_not_grow_are_an_error() {
    let (rendered, _) = only_error(
        "\n[rollout]\nsteps = [10, 50, 50, 100]\n",
        code::INVALID_STEPS,
        "rollout.steps[2]",
        line(3),
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn steps_must_end_at_100() {
    let (rendered, diagnostic) = only_error(
        "\n[rollout]\nstrategy = \"canary\"\nsteps = [10, 50]\n",
        code::INVALID_STEPS,
        "rollout.steps",
        line(4),
    );
    assert!(diagnostic.message.contains("ends at 50 %"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn a_step_above_100_is_an_error() {
    let (_, diagnostic) = only_error(
        "\n[rollout]\nsteps = [0, 100]\n",
        code::INVALID_STEPS,
        "rollout.steps[0]",
        line(3),
    );
    assert!(diagnostic.message.contains("from 1 to 100"));
    let (_, diagnostic) = only_error(
        "\n[rollout]\nsteps = []\n",
        code::INVALID_STEPS,
        "rollout.steps",
        line(3),
    );
    assert!(diagnostic.message.contains("lists no step"));
}

#[test]
fn a_bad_step_duration_is_reported_with_the_parse_error() {
    let (rendered, _) = only_error(
        "\n[rollout]\nstep_duration = \"20 parsecs\"\n",
        code::INVALID_DURATION,
        "rollout.step_duration",
        line(3),
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_unknown_strategy_suggests_the_closest() {
    let (_, diagnostic) = only_error(
        "\n[rollout]\nstrategy = \"canery\"\n",
        code::UNKNOWN_STRATEGY,
        "rollout.strategy",
        line(3),
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .starts_with("did you mean `canary`?")
    );
}

#[test]
fn an_unknown_guard_key_suggests_the_closest() {
    let (rendered, diagnostic) = only_error(
        "\n[rollout.guards]\nmemory_grwth = false\n",
        code::UNKNOWN_KEY,
        "rollout.guards.memory_grwth",
        line(3),
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .starts_with("did you mean `memory_growth`?")
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn an_unknown_key_inside_a_guard_lists_that_guards_keys() {
    let (_, diagnostic) = only_error(
        "\n[rollout.guards]\nlatency = { p95 = true }\n",
        code::UNKNOWN_KEY,
        "rollout.guards.latency.p95",
        line(3),
    );
    let hint = diagnostic.hint.unwrap();
    assert!(
        hint.contains("`p99`") && hint.contains("`enabled`"),
        "{hint}"
    );
}

#[test]
fn flag_off_of_an_undeclared_flag_suggests_the_declared_one() {
    let (rendered, diagnostic) = only_error(
        "\n[env.prod.rollout.guards]\nremediation = \"flag-off analytcs\"\n",
        code::UNKNOWN_FLAG,
        "env.prod.rollout.guards.remediation",
        line(3),
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .starts_with("did you mean `analytics`?")
    );
    insta::assert_snapshot!(rendered);
}

#[test]
fn flag_off_of_a_non_boolean_flag_is_an_error() {
    let (_, diagnostic) = only_error(
        "\n[rollout.guards]\nremediation = \"flag-off theme\"\n",
        code::INVALID_REMEDIATION,
        "rollout.guards.remediation",
        line(3),
    );
    assert!(diagnostic.message.contains("type `string`"));
}

#[test]
fn an_unknown_remediation_is_an_error() {
    let (_, diagnostic) = only_error(
        "\n[rollout.guards]\nremediation = \"rolback\"\n",
        code::INVALID_REMEDIATION,
        "rollout.guards.remediation",
        line(3),
    );
    assert!(
        diagnostic
            .hint
            .unwrap()
            .starts_with("did you mean `rollback`?")
    );
}

#[test]
fn a_bad_webhook_url_is_an_error() {
    let (rendered, diagnostic) = only_error(
        "\n[env.prod.alerts]\nwebhooks = [\"http://127.0.0.1:9093/ok\", \"ftp://alerts.example.com/hook\"]\n",
        code::INVALID_WEBHOOK_URL,
        "env.prod.alerts.webhooks[1]",
        line(3),
    );
    assert!(diagnostic.message.contains("`ftp` is not http or https"));
    insta::assert_snapshot!(rendered);
}

#[test]
fn alpha_must_be_a_probability() {
    let (rendered, diagnostic) = only_error(
        "\n[rollout.guards]\nalpha = 5\n",
        code::INVALID_GUARD_VALUE,
        "rollout.guards.alpha",
        line(3),
    );
    assert!(diagnostic.hint.unwrap().contains("write 0.05 for 5 %"));
    insta::assert_snapshot!(rendered);
    only_error(
        "\n[rollout.guards]\nalpha = 0\n",
        code::INVALID_GUARD_VALUE,
        "rollout.guards.alpha",
        line(3),
    );
    only_error(
        "\n[rollout.guards]\nalpha = \"5%\"\n",
        code::WRONG_TYPE,
        "rollout.guards.alpha",
        line(3),
    );
}

#[test]
fn guard_values_out_of_range_are_errors() {
    for (rest, field) in [
        (
            "error_rate = { absolute_tolerance = 5 }",
            "rollout.guards.error_rate.absolute_tolerance",
        ),
        (
            "latency = { relative_tolerance = -0.1 }",
            "rollout.guards.latency.relative_tolerance",
        ),
        ("min_requests = 0", "rollout.guards.min_requests"),
        ("min_samples = 1", "rollout.guards.min_samples"),
        ("max_extensions = -1", "rollout.guards.max_extensions"),
        ("latency = { p99 = false }", "rollout.guards.latency.p99"),
    ] {
        only_error(
            &format!("\n[rollout.guards]\n{rest}\n"),
            code::INVALID_GUARD_VALUE,
            field,
            line(3),
        );
    }
    only_error(
        "\n[rollout.guards]\nmemory_growth = { horizon = \"0s\" }\n",
        code::INVALID_DURATION,
        "rollout.guards.memory_growth.horizon",
        line(3),
    );
    only_error(
        "\n[rollout.guards]\nlatency = 1\n",
        code::WRONG_TYPE,
        "rollout.guards.latency",
        line(3),
    );
}

#[test]
fn env_diff_shows_rollout_guard_and_alert_differences() {
    let spec = parse(
        r#"
[rollout]
strategy = "canary"

[env.qa]

[env.prod.rollout]
step_duration = "1m"

[env.prod.rollout.guards]
memory_growth = { horizon = "2h" }
latency = false
remediation = "flag-off analytics"

[env.prod.alerts]
webhooks = ["https://pager.example.com/hook"]
"#,
    )
    .unwrap()
    .spec;
    let (qa, prod) = (spec.env("qa").unwrap(), spec.env("prod").unwrap());
    let keys: Vec<(String, Option<String>, Option<String>)> = daytwo_spec::diff(&qa, &prod)
        .into_iter()
        .map(|d| (d.key, d.left, d.right))
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        keys,
        vec![
            (
                "alerts.webhooks[0]".to_string(),
                None,
                some("https://pager.example.com/hook")
            ),
            ("rollout.guards.latency".to_string(), None, some("off")),
            (
                "rollout.guards.latency.absolute_tolerance_ms".to_string(),
                some("10"),
                None
            ),
            (
                "rollout.guards.latency.min_interval_requests".to_string(),
                some("5"),
                None
            ),
            (
                "rollout.guards.latency.p50".to_string(),
                some("false"),
                None
            ),
            ("rollout.guards.latency.p99".to_string(), some("true"), None),
            (
                "rollout.guards.latency.relative_tolerance".to_string(),
                some("0.1"),
                None
            ),
            (
                "rollout.guards.memory_growth.horizon".to_string(),
                some("1h"),
                some("2h")
            ),
            (
                "rollout.guards.remediation".to_string(),
                some("alert"),
                some("flag-off analytics")
            ),
            ("rollout.step_duration".to_string(), some("20s"), some("1m")),
        ]
    );
}
