//! The validated spec model: what the rest of daytwo consumes once a
//! `daytwo.toml` has been parsed, interpolated, overlaid and checked.
//!
//! `Spec` is the whole file (base processes plus the named env overlays);
//! `EnvSpec` is one environment's *effective* configuration with its overlay
//! applied. `EnvSpec` is what the CLI sends to the daemon, so it is serde
//! (de)serializable and self-contained (absolute paths, resolved variables).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The env used when a command is given no `--env`.
pub const DEFAULT_ENV: &str = "dev";
/// Replicas of a process that does not say `replicas`.
pub const DEFAULT_REPLICAS: u32 = 1;
/// The most replicas one process may ask for (a guard against typos).
pub const MAX_REPLICAS: u32 = 256;
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_STOP_SIGNAL: &str = "SIGTERM";
pub const DEFAULT_HEALTH_INTERVAL: Duration = Duration::from_secs(2);
pub const DEFAULT_HEALTH_TIMEOUT: Duration = Duration::from_secs(1);
pub const DEFAULT_HEALTHY_THRESHOLD: u32 = 1;
pub const DEFAULT_UNHEALTHY_THRESHOLD: u32 = 3;
pub const DEFAULT_START_PERIOD: Duration = Duration::from_secs(30);
pub const DEFAULT_RESTART_BACKOFF: Duration = Duration::from_secs(1);
pub const DEFAULT_RESTART_MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Crashes within `DEFAULT_CRASHLOOP_WINDOW` that mark a replica `crashloop`.
pub const DEFAULT_CRASHLOOP_THRESHOLD: u32 = 5;
pub const DEFAULT_CRASHLOOP_WINDOW: Duration = Duration::from_secs(60);
/// A replica that ran this long is considered stable: its backoff resets.
pub const DEFAULT_RESTART_RESET_AFTER: Duration = Duration::from_secs(30);
/// How long a `[checks] smoke` command may run before it counts as failed.
pub const DEFAULT_SMOKE_TIMEOUT: Duration = Duration::from_secs(60);

/// A whole `daytwo.toml`, validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    pub app: String,
    /// Absolute path of the spec file.
    pub file: PathBuf,
    /// Directory of the spec file; commands run here, relative paths resolve here.
    pub dir: PathBuf,
    /// The declared environments (`[env.NAME]`), effective (overlay applied).
    pub envs: BTreeMap<String, EnvSpec>,
    /// The base configuration, as used by an env that has no overlay.
    pub base: EnvSpec,
    /// `[build]`: how a release bundle is made; `None` when not written.
    #[serde(default)]
    pub build: Option<BuildSpec>,
    /// `[checks]` as written at the top level: used by an env without a
    /// `[env.NAME.checks]` overlay (see [`Spec::checks_for`]).
    #[serde(default)]
    pub checks: ChecksSpec,
    /// Each declared env's effective checks (overlay applied).
    #[serde(default)]
    pub env_checks: BTreeMap<String, ChecksSpec>,
    /// `[migrations]` as written at the top level; `None` when absent
    /// (see [`Spec::migrations_for`]).
    #[serde(default)]
    pub migrations: Option<MigrationsSpec>,
    /// Each declared env's effective `[migrations]` (overlay applied), for
    /// the envs that have one.
    #[serde(default)]
    pub env_migrations: BTreeMap<String, MigrationsSpec>,
    /// `[flags.NAME]` as declared, by name (docs/flags.md).
    #[serde(default)]
    pub flags: BTreeMap<String, crate::flag::FlagSpec>,
}

impl Spec {
    /// The effective `[checks]` of env `name`: its overlay applied when the
    /// env is declared, else the top-level `[checks]`.
    pub fn checks_for(&self, name: &str) -> &ChecksSpec {
        self.env_checks.get(name).unwrap_or(&self.checks)
    }

    /// The effective `[migrations]` of env `name`: its
    /// `[env.NAME.migrations]` overlay applied when the env is declared,
    /// else the top-level `[migrations]`; `None` when the app has none.
    pub fn migrations_for(&self, name: &str) -> Option<&MigrationsSpec> {
        if self.envs.contains_key(name) {
            self.env_migrations.get(name)
        } else {
            self.migrations.as_ref()
        }
    }
}

/// `[build]`: the command that builds the app and what goes into a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildSpec {
    /// Shell command run with `sh -c` in the spec directory before packing.
    pub command: Option<String>,
    /// Files and directories to pack, relative to the spec directory:
    /// normalised to `/`-separated paths without `./`, trailing `/` or `..`
    /// (e.g. `app.py`, `static`). Never empty.
    pub artifacts: Vec<String>,
}

/// `[migrations]`: the app's SQL migrations and the database they target
/// (docs/migrations.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationsSpec {
    /// The migration directory, resolved against the spec's directory.
    pub dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…` (already interpolated); `None`
    /// when not written (lint only, nothing to run against).
    pub database: Option<String>,
}

/// `[checks]`: what a new release must pass before it receives traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksSpec {
    pub smoke: Option<SmokeCheck>,
}

/// A shell command run against one new replica during a deploy's preflight;
/// it must exit 0 within `timeout`. It gets `DAYTWO_SMOKE_URL`, `PORT`,
/// `DAYTWO_APP`, `DAYTWO_ENV` and `DAYTWO_RELEASE` (docs/spec.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmokeCheck {
    pub command: String,
    pub timeout: Duration,
}

/// One environment's effective configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvSpec {
    pub app: String,
    pub env: String,
    /// Absolute path of the spec file this was rendered from.
    pub file: PathBuf,
    /// Working directory for commands (the spec file's directory).
    pub dir: PathBuf,
    /// Where the env's listener (the proxy) accepts HTTP, if anywhere.
    pub listen: Option<SocketAddr>,
    /// Processes by name, in name order.
    pub processes: BTreeMap<String, ProcessSpec>,
    /// Every declared flag as this env serves it (`[env.NAME.flags]`
    /// applied), by name.
    #[serde(default)]
    pub flags: BTreeMap<String, crate::flag::EnvFlag>,
    /// `[rollout]` with `[env.NAME.rollout]` applied: the strategy a deploy
    /// uses without `--strategy`, the canary's steps and guards.
    #[serde(default)]
    pub rollout: crate::rollout::RolloutSpec,
    /// `[alerts]` with `[env.NAME.alerts]` applied: where alerts go.
    #[serde(default)]
    pub alerts: crate::rollout::AlertsSpec,
}

impl EnvSpec {
    /// The process that serves HTTP (`http = true`), if any.
    pub fn http_process(&self) -> Option<&ProcessSpec> {
        self.processes.values().find(|p| p.http)
    }
}

/// One `[process.NAME]`, effective for one env.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessSpec {
    pub name: String,
    /// Shell command line, run with `sh -c` in the spec directory.
    pub command: String,
    /// Serves HTTP on `$PORT`; the env's listener routes to it.
    pub http: bool,
    pub replicas: u32,
    /// Explicit health check; `None` means: TCP connect to `$PORT` for an
    /// HTTP process, "running" for any other.
    pub health: Option<HealthCheck>,
    /// Memory limit in bytes for the replica's whole process tree.
    pub memory_limit: Option<u64>,
    /// Signal name, e.g. `SIGTERM`, `SIGINT`, `SIGQUIT`.
    pub stop_signal: String,
    pub stop_timeout: Duration,
    /// Extra environment variables (already interpolated).
    pub environment: BTreeMap<String, String>,
    pub restart: RestartPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthCheck {
    pub probe: HealthProbe,
    pub interval: Duration,
    pub timeout: Duration,
    /// Consecutive successes that make a starting/unhealthy replica healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures that make a healthy replica unhealthy.
    pub unhealthy_threshold: u32,
    /// Failures during this time after start do not count (as Docker's `start_period`).
    pub start_period: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum HealthProbe {
    /// `GET path` on `127.0.0.1:$PORT` must answer 2xx or 3xx.
    Http { path: String },
    /// A TCP connect to `127.0.0.1:$PORT` must succeed.
    Tcp,
    /// A shell command (with the replica's environment) must exit 0.
    Command { command: String },
}

/// How a crashed replica is restarted: exponential backoff from `backoff`,
/// doubling up to `max_backoff`; `crashloop_threshold` crashes within
/// `crashloop_window` mark the replica `crashloop` (it keeps being retried at
/// `max_backoff`). A replica that ran `reset_after` resets its backoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartPolicy {
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub crashloop_threshold: u32,
    pub crashloop_window: Duration,
    pub reset_after: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            backoff: DEFAULT_RESTART_BACKOFF,
            max_backoff: DEFAULT_RESTART_MAX_BACKOFF,
            crashloop_threshold: DEFAULT_CRASHLOOP_THRESHOLD,
            crashloop_window: DEFAULT_CRASHLOOP_WINDOW,
            reset_after: DEFAULT_RESTART_RESET_AFTER,
        }
    }
}
