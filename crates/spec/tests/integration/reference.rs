//! docs/spec.md stays in step with the code: every diagnostic code and every
//! key of the schema is documented, and its defaults match the constants.

use daytwo_spec::code;

fn reference() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/spec.md");
    std::fs::read_to_string(path).expect("docs/spec.md exists")
}

#[test]
fn every_diagnostic_code_is_documented() {
    let reference = reference();
    for code in code::ALL {
        assert!(
            reference.contains(&format!("`{code}`")),
            "docs/spec.md lists `{code}`"
        );
    }
}

#[test]
fn every_key_is_documented() {
    let reference = reference();
    let keys = [
        "name",
        "command",
        "http",
        "replicas",
        "health",
        "memory_limit",
        "stop_signal",
        "stop_timeout",
        "environment",
        "restart",
        "path",
        "tcp",
        "interval",
        "timeout",
        "healthy_threshold",
        "unhealthy_threshold",
        "start_period",
        "backoff",
        "max_backoff",
        "crashloop_threshold",
        "crashloop_window",
        "reset_after",
        "listen",
        "artifacts",
        "smoke",
        "smoke_timeout",
        "dir",
        "database",
        "strategy",
        "steps",
        "step_duration",
        "guards",
        "error_rate",
        "latency",
        "restarts",
        "cpu_per_request",
        "memory_growth",
        "min_requests",
        "min_samples",
        "alpha",
        "analysis_interval",
        "max_extensions",
        "remediation",
        "webhooks",
    ];
    for key in keys {
        assert!(
            reference.contains(&format!("| `{key}` |")),
            "docs/spec.md has a row for `{key}`"
        );
    }
}

#[test]
fn documented_defaults_match_the_constants() {
    let reference = reference();
    let duration = |d| format!("`\"{}\"`", humantime::format_duration(d));
    for (key, default) in [
        ("stop_timeout", duration(daytwo_spec::DEFAULT_STOP_TIMEOUT)),
        ("interval", duration(daytwo_spec::DEFAULT_HEALTH_INTERVAL)),
        ("timeout", duration(daytwo_spec::DEFAULT_HEALTH_TIMEOUT)),
        ("start_period", duration(daytwo_spec::DEFAULT_START_PERIOD)),
        ("backoff", duration(daytwo_spec::DEFAULT_RESTART_BACKOFF)),
        (
            "max_backoff",
            duration(daytwo_spec::DEFAULT_RESTART_MAX_BACKOFF),
        ),
        (
            "crashloop_window",
            duration(daytwo_spec::DEFAULT_CRASHLOOP_WINDOW),
        ),
        (
            "reset_after",
            duration(daytwo_spec::DEFAULT_RESTART_RESET_AFTER),
        ),
        (
            "smoke_timeout",
            duration(daytwo_spec::DEFAULT_SMOKE_TIMEOUT),
        ),
        ("replicas", format!("`{}`", daytwo_spec::DEFAULT_REPLICAS)),
        (
            "healthy_threshold",
            format!("`{}`", daytwo_spec::DEFAULT_HEALTHY_THRESHOLD),
        ),
        (
            "unhealthy_threshold",
            format!("`{}`", daytwo_spec::DEFAULT_UNHEALTHY_THRESHOLD),
        ),
        (
            "crashloop_threshold",
            format!("`{}`", daytwo_spec::DEFAULT_CRASHLOOP_THRESHOLD),
        ),
        (
            "stop_signal",
            format!("`\"{}\"`", daytwo_spec::DEFAULT_STOP_SIGNAL),
        ),
    ] {
        let row = reference
            .lines()
            .find(|line| line.starts_with(&format!("| `{key}` |")))
            .unwrap_or_else(|| panic!("row for `{key}`"));
        assert!(
            row.contains(&default),
            "`{key}` documents default {default}: {row}"
        );
    }
}

#[test]
fn documented_rollout_defaults_match_the_spec_defaults() {
    let reference = reference();
    let duration = |d| format!("`\"{}\"`", humantime::format_duration(d));
    let rollout = daytwo_spec::RolloutSpec::default();
    let guards = &rollout.guards;
    let error_rate = guards.error_rate.unwrap();
    let latency = guards.latency.unwrap();
    let cpu = daytwo_spec::CpuPerRequestGuardSpec::default();
    let memory = guards.memory_growth.unwrap();
    let steps: Vec<String> = rollout.steps.iter().map(u32::to_string).collect();
    for (key, default) in [
        ("strategy", format!("`\"{}\"`", rollout.strategy)),
        ("steps", format!("`[{}]`", steps.join(", "))),
        ("step_duration", duration(rollout.step_duration)),
        (
            "error_rate.absolute_tolerance",
            format!("`{}`", error_rate.absolute_tolerance),
        ),
        (
            "error_rate.relative_tolerance",
            format!("`{}`", error_rate.relative_tolerance),
        ),
        ("latency.p50", format!("`{}`", latency.p50)),
        ("latency.p99", format!("`{}`", latency.p99)),
        (
            "latency.relative_tolerance",
            format!("`{}`", latency.relative_tolerance),
        ),
        (
            "latency.absolute_tolerance_ms",
            format!("`{}`", latency.absolute_tolerance_ms),
        ),
        (
            "latency.min_interval_requests",
            format!("`{}`", latency.min_interval_requests),
        ),
        ("cpu_per_request.tolerance", format!("`{}`", cpu.tolerance)),
        (
            "memory_growth.absolute_tolerance_bytes_per_sec",
            format!("`{}`", memory.absolute_tolerance_bytes_per_sec),
        ),
        (
            "memory_growth.relative_tolerance",
            format!("`{}`", memory.relative_tolerance),
        ),
        ("memory_growth.horizon", duration(memory.horizon)),
        ("min_requests", format!("`{}`", guards.min_requests)),
        ("min_samples", format!("`{}`", guards.min_samples)),
        ("alpha", format!("`{}`", guards.alpha)),
        ("analysis_interval", duration(guards.analysis_interval)),
        ("max_extensions", format!("`{}`", guards.max_extensions)),
        ("remediation", format!("`\"{}\"`", guards.remediation)),
    ] {
        let row = reference
            .lines()
            .find(|line| line.starts_with(&format!("| `{key}` |")))
            .unwrap_or_else(|| panic!("row for `{key}`"));
        assert!(
            row.contains(&default),
            "`{key}` documents default {default}: {row}"
        );
    }
}
