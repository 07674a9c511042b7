//! The spec as written, before overlays are applied: every value carries its
//! byte span and dotted field path so later checks can point at it.
//!
//! A `RawProcess` is used both for a base `[process.NAME]` and for an
//! `[env.E.process.NAME]` overlay layer; in both, every key is optional here
//! (the resolver decides what is required).

use crate::model::HealthProbe;
use crate::rollout::{RemediationSpec, RolloutStrategy};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located<T> {
    pub value: T,
    pub span: Range<usize>,
    /// Dotted path, e.g. `env.prod.process.web.replicas`.
    pub field: String,
}

#[derive(Debug, Default)]
pub(crate) struct RawSpec {
    /// Span of the `app` key, when there is one.
    pub app_key: Option<Range<usize>>,
    pub app_name: Option<Located<String>>,
    /// `name` was written (even if with a bad value).
    pub app_name_written: bool,
    /// Span of the `process` key, when there is one.
    pub process_key: Option<Range<usize>>,
    /// `process` was written but is not a table (already reported).
    pub process_not_table: bool,
    pub processes: BTreeMap<String, RawProcess>,
    pub envs: BTreeMap<String, RawEnv>,
    pub build: Option<RawBuild>,
    pub checks: RawChecks,
    /// `[migrations]` as written.
    pub migrations: Option<RawMigrations>,
    /// `[flags]` as written.
    pub flags: RawFlags,
    /// `[rollout]` as written (every key optional).
    pub rollout: RawRollout,
    /// `[alerts]` as written.
    pub alerts: RawAlerts,
}

/// `[rollout]` or `[env.NAME.rollout]` as written.
#[derive(Debug, Default)]
pub(crate) struct RawRollout {
    pub strategy: Option<Located<RolloutStrategy>>,
    pub steps: Option<Located<Vec<u32>>>,
    pub step_duration: Option<Located<Duration>>,
    pub guards: RawGuards,
}

/// `[rollout.guards]` or `[env.NAME.rollout.guards]` as written.
#[derive(Debug, Default)]
pub(crate) struct RawGuards {
    /// Each guard written (`error_rate = …`, `latency = …`), by name.
    pub guards: BTreeMap<&'static str, RawGuard>,
    pub min_requests: Option<Located<u64>>,
    pub min_samples: Option<Located<u64>>,
    pub alpha: Option<Located<f64>>,
    pub analysis_interval: Option<Located<Duration>>,
    pub max_extensions: Option<Located<u64>>,
    pub remediation: Option<Located<RemediationSpec>>,
}

/// One guard as written: `NAME = true | false` or `NAME = { … }` (a table
/// turns the guard on unless it says `enabled = false`).
#[derive(Debug)]
pub(crate) struct RawGuard {
    pub enabled: Located<bool>,
    /// Its tuning keys, by name; bad values are reported and left out.
    pub params: BTreeMap<&'static str, Located<GuardParam>>,
}

/// The value of one guard tuning key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum GuardParam {
    Bool(bool),
    Number(f64),
    Count(u64),
    Duration(Duration),
}

/// `[alerts]` or `[env.NAME.alerts]` as written.
#[derive(Debug, Default)]
pub(crate) struct RawAlerts {
    /// The valid URLs (already interpolated); the span is the list's.
    pub webhooks: Option<Located<Vec<String>>>,
}

/// `[build]` as written.
#[derive(Debug, Default)]
pub(crate) struct RawBuild {
    /// Span of the `build` key.
    pub key_span: Range<usize>,
    pub command: Option<Located<String>>,
    /// `artifacts` was written (even if with a bad value).
    pub artifacts_written: bool,
    /// The artifacts that are valid, normalised; the span is the list's.
    pub artifacts: Option<Located<Vec<String>>>,
}

/// `[migrations]` or `[env.NAME.migrations]` as written.
#[derive(Debug, Default)]
pub(crate) struct RawMigrations {
    /// Span of the `migrations` key.
    pub key_span: Range<usize>,
    pub field: String,
    pub dir: Option<Located<String>>,
    pub database: Option<Located<String>>,
}

/// `[checks]` or `[env.NAME.checks]` as written.
#[derive(Debug, Default)]
pub(crate) struct RawChecks {
    pub smoke: Option<Located<String>>,
    pub smoke_timeout: Option<Located<Duration>>,
}

#[derive(Debug, Default)]
pub(crate) struct RawProcess {
    pub name: String,
    /// Span of the process name in its table header or dotted key.
    pub key_span: Range<usize>,
    /// `process.NAME` or `env.E.process.NAME`.
    pub field: String,
    /// `command` was written (even if with a bad value).
    pub command_written: bool,
    pub command: Option<Located<String>>,
    pub http: Option<Located<bool>>,
    pub replicas: Option<Located<u32>>,
    pub health: Option<RawHealth>,
    pub memory_limit: Option<Located<u64>>,
    pub stop_signal: Option<Located<&'static str>>,
    pub stop_timeout: Option<Located<Duration>>,
    pub environment: BTreeMap<String, Located<String>>,
    pub restart: RawRestart,
}

#[derive(Debug, Default)]
pub(crate) struct RawHealth {
    pub span: Range<usize>,
    pub field: String,
    /// Each probe key written (`path`, `tcp = true`, `command`), in source
    /// order; `None` when its value was bad (already reported).
    pub probes: Vec<Located<Option<HealthProbe>>>,
    pub interval: Option<Located<Duration>>,
    pub timeout: Option<Located<Duration>>,
    pub healthy_threshold: Option<Located<u32>>,
    pub unhealthy_threshold: Option<Located<u32>>,
    pub start_period: Option<Located<Duration>>,
}

#[derive(Debug, Default)]
pub(crate) struct RawRestart {
    pub backoff: Option<Located<Duration>>,
    pub max_backoff: Option<Located<Duration>>,
    pub crashloop_threshold: Option<Located<u32>>,
    pub crashloop_window: Option<Located<Duration>>,
    pub reset_after: Option<Located<Duration>>,
}

#[derive(Debug, Default)]
pub(crate) struct RawEnv {
    pub name: String,
    pub listen: Option<Located<SocketAddr>>,
    /// Overlay layers by process name.
    pub processes: BTreeMap<String, RawProcess>,
    pub checks: RawChecks,
    pub migrations: Option<RawMigrations>,
    /// `[env.NAME.flags]` entries by flag name.
    pub flags: BTreeMap<String, RawFlagOverride>,
    /// `[env.NAME.rollout]`, merged key by key over `[rollout]`.
    pub rollout: RawRollout,
    /// `[env.NAME.alerts]`, merged key by key over `[alerts]`.
    pub alerts: RawAlerts,
}

/// `[flags]` as written: each declaration that has every required key
/// (already checked on its own), and where each flag field was written so
/// problems found later can point at it.
#[derive(Debug, Default)]
pub(crate) struct RawFlags {
    pub declared: BTreeMap<String, crate::flag::FlagSpec>,
    /// Every flag name written, also those whose declaration is incomplete
    /// (so env entries naming them are not "unknown").
    pub written: Vec<String>,
    /// Field path (`flags.checkout.rules[0]`) → span.
    pub spans: BTreeMap<String, Range<usize>>,
}

/// One `[env.E.flags] NAME = …` entry.
#[derive(Debug)]
pub(crate) struct RawFlagOverride {
    /// `env.E.flags.NAME`.
    pub field: String,
    pub key_span: Range<usize>,
    pub overlay: crate::flag::FlagOverride,
    /// Field path (`env.E.flags.NAME.value`) → span.
    pub spans: BTreeMap<String, Range<usize>>,
}
