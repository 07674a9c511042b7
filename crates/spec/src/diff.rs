//! `daytwo env diff A B`: the effective differences between two envs, as
//! flat `key → value` pairs compared key by key.

use crate::model::{EnvSpec, HealthProbe, ProcessSpec};
use crate::rollout::{AlertsSpec, RolloutSpec};
use crate::size::format_size;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// One key whose effective value differs; `None` when the key is absent on
/// that side (e.g. a process only one env has, or no `listen`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// Dotted key, e.g. `listen`, `process.web.replicas`,
    /// `process.web.environment.GREETING`.
    pub key: String,
    pub left: Option<String>,
    pub right: Option<String>,
}

/// The effective differences between `a` (left) and `b` (right), sorted by key.
pub fn diff(a: &EnvSpec, b: &EnvSpec) -> Vec<Difference> {
    let (left, right) = (flatten(a), flatten(b));
    let mut keys: Vec<&String> = left.keys().chain(right.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|key| left.get(*key) != right.get(*key))
        .map(|key| Difference {
            key: key.clone(),
            left: left.get(key).cloned(),
            right: right.get(key).cloned(),
        })
        .collect()
}

fn flatten(env: &EnvSpec) -> BTreeMap<String, String> {
    let mut flat = BTreeMap::new();
    if let Some(listen) = env.listen {
        flat.insert("listen".to_string(), listen.to_string());
    }
    for process in env.processes.values() {
        flatten_process(&format!("process.{}", process.name), process, &mut flat);
    }
    flatten_rollout(&env.rollout, &mut flat);
    flatten_alerts(&env.alerts, &mut flat);
    flat
}

/// `rollout.strategy`, `rollout.steps`, …, and one key per guard setting
/// (`rollout.guards.latency.p50`); a guard that is off is `off`.
fn flatten_rollout(rollout: &RolloutSpec, flat: &mut BTreeMap<String, String>) {
    let mut put = |key: &str, value: String| {
        flat.insert(format!("rollout.{key}"), value);
    };
    put("strategy", rollout.strategy.to_string());
    let steps: Vec<String> = rollout.steps.iter().map(u32::to_string).collect();
    put("steps", format!("[{}]", steps.join(", ")));
    put("step_duration", duration(rollout.step_duration));
    let guards = &rollout.guards;
    let off = || "off".to_string();
    match &guards.error_rate {
        Some(g) => {
            put(
                "guards.error_rate.absolute_tolerance",
                g.absolute_tolerance.to_string(),
            );
            put(
                "guards.error_rate.relative_tolerance",
                g.relative_tolerance.to_string(),
            );
        }
        None => put("guards.error_rate", off()),
    }
    match &guards.latency {
        Some(g) => {
            put("guards.latency.p50", g.p50.to_string());
            put("guards.latency.p99", g.p99.to_string());
            put(
                "guards.latency.relative_tolerance",
                g.relative_tolerance.to_string(),
            );
            put(
                "guards.latency.absolute_tolerance_ms",
                g.absolute_tolerance_ms.to_string(),
            );
            put(
                "guards.latency.min_interval_requests",
                g.min_interval_requests.to_string(),
            );
        }
        None => put("guards.latency", off()),
    }
    put(
        "guards.restarts",
        if guards.restarts { "on".into() } else { off() },
    );
    match &guards.cpu_per_request {
        Some(g) => put("guards.cpu_per_request.tolerance", g.tolerance.to_string()),
        None => put("guards.cpu_per_request", off()),
    }
    match &guards.memory_growth {
        Some(g) => {
            put(
                "guards.memory_growth.absolute_tolerance_bytes_per_sec",
                g.absolute_tolerance_bytes_per_sec.to_string(),
            );
            put(
                "guards.memory_growth.relative_tolerance",
                g.relative_tolerance.to_string(),
            );
            put("guards.memory_growth.horizon", duration(g.horizon));
        }
        None => put("guards.memory_growth", off()),
    }
    put("guards.min_requests", guards.min_requests.to_string());
    put("guards.min_samples", guards.min_samples.to_string());
    put("guards.alpha", guards.alpha.to_string());
    put(
        "guards.analysis_interval",
        duration(guards.analysis_interval),
    );
    put("guards.max_extensions", guards.max_extensions.to_string());
    put("guards.remediation", guards.remediation.to_string());
}

/// `alerts.webhooks[0]`, … (absent when the env sends no alerts).
fn flatten_alerts(alerts: &AlertsSpec, flat: &mut BTreeMap<String, String>) {
    for (index, url) in alerts.webhooks.iter().enumerate() {
        flat.insert(format!("alerts.webhooks[{index}]"), url.clone());
    }
}

fn flatten_process(prefix: &str, process: &ProcessSpec, flat: &mut BTreeMap<String, String>) {
    let mut put = |key: &str, value: String| {
        flat.insert(format!("{prefix}.{key}"), value);
    };
    put("command", process.command.clone());
    put("http", process.http.to_string());
    put("replicas", process.replicas.to_string());
    if let Some(limit) = process.memory_limit {
        put("memory_limit", format_size(limit));
    }
    put("stop_signal", process.stop_signal.clone());
    put("stop_timeout", duration(process.stop_timeout));
    for (name, value) in &process.environment {
        put(&format!("environment.{name}"), value.clone());
    }
    if let Some(health) = &process.health {
        match &health.probe {
            HealthProbe::Http { path } => put("health.path", path.clone()),
            HealthProbe::Tcp => put("health.tcp", "true".to_string()),
            HealthProbe::Command { command } => put("health.command", command.clone()),
        }
        put("health.interval", duration(health.interval));
        put("health.timeout", duration(health.timeout));
        put(
            "health.healthy_threshold",
            health.healthy_threshold.to_string(),
        );
        put(
            "health.unhealthy_threshold",
            health.unhealthy_threshold.to_string(),
        );
        put("health.start_period", duration(health.start_period));
    }
    let restart = &process.restart;
    put("restart.backoff", duration(restart.backoff));
    put("restart.max_backoff", duration(restart.max_backoff));
    put(
        "restart.crashloop_threshold",
        restart.crashloop_threshold.to_string(),
    );
    put(
        "restart.crashloop_window",
        duration(restart.crashloop_window),
    );
    put("restart.reset_after", duration(restart.reset_after));
}

fn duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}
