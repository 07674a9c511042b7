//! `daytwo env diff A B`: the effective differences between two envs, as
//! flat `key → value` pairs compared key by key.

use crate::model::{EnvSpec, HealthProbe, ProcessSpec};
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
    flat
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
