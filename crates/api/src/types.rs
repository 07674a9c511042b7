//! Request and response bodies of the control API. These are the `--json`
//! contract of the CLI: field names here are relied on by users and scripts.

use daytwo_spec::EnvSpec;
use daytwo_types::ReplicaState;
use serde::{Deserialize, Serialize};

/// `GET /v1/status`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub daemon: DaemonInfo,
    pub envs: Vec<EnvStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaemonInfo {
    pub pid: u32,
    pub version: String,
    /// The state directory (`DAYTWO_HOME`).
    pub home: String,
    /// RFC 3339 time the daemon started.
    pub started_at: String,
    /// How `memory_limit` is enforced on this host, e.g. `cgroup v1 (/sys/fs/cgroup/memory/…)`
    /// or `rss watchdog (no writable cgroup: …)`.
    pub memory_enforcement: String,
    /// The daemon's Prometheus endpoint (`http://127.0.0.1:PORT/metrics`),
    /// `null` when `DAYTWO_METRICS_ADDR=off` or it could not bind.
    #[serde(default)]
    pub metrics_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvStatus {
    pub name: String,
    pub app: String,
    /// The env's listen address, `null` when it has none.
    pub listen: Option<String>,
    /// The release serving the env: `{version, digest}`; for `daytwo up`
    /// the version is `working-tree` and the digest `null`.
    pub release: ReleaseRef,
    /// Absolute path of the spec the env was started from.
    pub spec: String,
    /// Replicas wanted (sum over processes).
    pub replicas_desired: u32,
    /// Replicas currently healthy.
    pub replicas_healthy: u32,
    /// The proxy's Prometheus endpoint (`http://127.0.0.1:PORT/metrics`)
    /// with this env's request metrics; `null` when the env has no `listen`
    /// address or no proxy runs.
    #[serde(default)]
    pub metrics_url: Option<String>,
    /// The env's OFREP base URL (`http://127.0.0.1:PORT`); `null` when the
    /// env declares no flags.
    #[serde(default)]
    pub flags_url: Option<String>,
}

/// One replica as `daytwo ps --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicaInfo {
    pub env: String,
    pub process: String,
    pub replica: u32,
    /// Pid of the replica's main process (its process-group id); `null` when not running.
    pub pid: Option<u32>,
    /// `$PORT` of an HTTP process, `null` for others.
    pub port: Option<u16>,
    pub state: ReplicaState,
    pub restarts: u32,
    /// RSS of the replica's whole process tree, latest sample.
    pub rss_bytes: u64,
    /// CPU of the replica's process tree over the last sample interval, in
    /// percent of one core.
    pub cpu_percent: f64,
    pub release: String,
    /// RFC 3339 time the current process started.
    pub started_at: Option<String>,
    /// Exit code (or `128 + signal`) of the last exit, if any.
    pub last_exit: Option<i32>,
    /// Path of the replica's current log file.
    pub log: String,
}

/// `POST /v1/envs/{env}/up`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpRequest {
    pub spec: EnvSpec,
    pub release: String,
    /// The env's effective `[migrations]`: with a `database`, the daemon
    /// applies the pending migrations before it starts any replica
    /// (docs/migrations.md). `None` when the spec has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migrations: Option<daytwo_spec::MigrationsSpec>,
}

/// `POST /v1/envs/{env}/up` and `POST /v1/envs/{env}/down` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvReplicas {
    pub env: String,
    pub replicas: Vec<ReplicaInfo>,
    /// `up` only: the migrations it applied before starting the replicas,
    /// in order (left out when none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub migrations: Vec<AppliedMigration>,
}

/// One migration `daytwo up` applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedMigration {
    /// The file name, e.g. `0002_analytics.sql`.
    pub file: String,
    pub duration_ms: u64,
}

/// `GET /v1/logs` query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogQuery {
    pub env: Option<String>,
    pub process: Option<String>,
    pub replica: Option<u32>,
    /// Only lines newer than this many milliseconds ago.
    pub since_ms: Option<u64>,
    /// Keep the response open and stream new lines.
    #[serde(default)]
    pub follow: bool,
    /// At most this many of the newest existing lines per replica.
    pub tail: Option<usize>,
}

/// One captured line, streamed as NDJSON by `GET /v1/logs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogLine {
    /// RFC 3339 time the line was captured.
    pub ts: String,
    pub env: String,
    pub process: String,
    pub replica: u32,
    /// `stdout` or `stderr`.
    pub stream: String,
    pub line: String,
}

/// `GET /v1/events`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    /// RFC 3339.
    pub ts: String,
    /// The same time as `ts` (RFC 3339), under the name `daytwo events
    /// --json` documents.
    #[serde(default)]
    pub time: String,
    pub env: Option<String>,
    /// `env/process.N` when the event concerns one replica.
    pub replica: Option<String>,
    /// Machine-readable kind, e.g. `replica.started`, `replica.crashed`,
    /// `env.up`, `canary.step`, `canary.verdict`, `canary.guard_failed`,
    /// `canary.rolled_back`, `canary.promoted`, `incident.opened`.
    pub kind: String,
    pub message: String,
}

/// The error body of every non-2xx control-API answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable code, e.g. `env_not_found`, `bad_request`, `spawn_failed`.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
}

/// A release as an env runs it: a human version and, for a built bundle,
/// its content digest (`sha256:…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseRef {
    pub version: String,
    pub digest: Option<String>,
}

/// `POST /v1/releases` imports a bundle file into the release store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// Absolute path of the bundle file (readable by the daemon).
    pub path: String,
}

/// One release in the store (`daytwo releases --json`, `daytwo import --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleaseInfo {
    pub app: String,
    pub version: String,
    pub digest: String,
    /// RFC 3339 build time from the manifest.
    pub created: String,
    pub git_commit: Option<String>,
    pub git_dirty: bool,
    /// Key id of the signer.
    pub signer: String,
    /// RFC 3339 import time.
    pub imported_at: String,
    /// The stored bundle file.
    pub path: String,
    /// Envs currently running this release.
    pub deployed_to: Vec<String>,
    /// True when the import found the digest already stored.
    #[serde(default)]
    pub already_present: bool,
}

/// `POST /v1/envs/{env}/deploy`: deploy a stored release (version or digest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployRequest {
    /// A version (`1.2.0`), a digest (`sha256:…`) or a unique digest prefix.
    pub release: String,
    /// `rolling` (default) or `blue-green`.
    pub strategy: Option<String>,
    /// The OS user asking, for history.
    pub user: String,
    /// Deploy a rollback-unsafe release (one with contract or unknown
    /// migrations); refused with `contract_migration` otherwise.
    #[serde(default)]
    pub allow_contract: bool,
}

/// `POST /v1/envs/{env}/promote`: deploy exactly the digest running in `from`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromoteRequest {
    pub from: String,
    pub strategy: Option<String>,
    pub user: String,
}

/// `POST /v1/envs/{env}/rollback`: back to the previous release (or `to`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackRequest {
    pub to: Option<String>,
    pub user: String,
    /// Roll back across a release with contract migrations (refused with
    /// `rollback_crosses_contract` otherwise); recorded in history.
    #[serde(default)]
    pub force: bool,
}

/// One line of the NDJSON stream answering deploy, promote and rollback:
/// progress steps while it runs, then exactly one `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum DeployProgress {
    /// A named step started (`preflight`, `smoke`, `switch`, `drain`, …).
    StepStarted { step: String, message: String },
    /// A step ended after `elapsed_ms`.
    StepFinished {
        step: String,
        message: String,
        elapsed_ms: u64,
        ok: bool,
    },
    /// The final record; `record.outcome` says whether it succeeded.
    Result { record: Box<DeployRecord> },
}

/// A deploy, promote or rollback as `daytwo history --json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployRecord {
    pub id: i64,
    pub env: String,
    /// `deploy`, `promote` or `rollback`.
    pub kind: String,
    pub from: Option<ReleaseRef>,
    pub to: ReleaseRef,
    /// `rolling`, `blue-green`, or `warm` for a rollback that only switched traffic.
    pub strategy: String,
    /// OS user who asked.
    pub user: String,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: Option<String>,
    /// `running`, `succeeded`, `failed` (nothing changed for users: preflight,
    /// smoke or migrate failed), `rolled_back` (the switch had begun — a
    /// canary guard failed, the canary stayed inconclusive, or a candidate
    /// failed mid-switch — and the routing was restored), or
    /// `reconciled-old` / `reconciled-new` after a daemon crash mid-deploy.
    pub outcome: String,
    pub duration_ms: Option<u64>,
    /// Why it failed, or a note (e.g. which release it ended on).
    pub message: Option<String>,
    /// On a failed preflight: the last log lines of the failing replica.
    #[serde(default)]
    pub logs: Vec<String>,
    /// `rolled_back` canary: the guard that failed (`error_rate`,
    /// `latency_p99`, `memory_growth`, `restarts`, …); `null` otherwise
    /// (also when the canary failed closed because its analysis stayed
    /// inconclusive — the message says so).
    #[serde(default)]
    pub failed_guard: Option<String>,
}

/// One flag of one env as `daytwo flags --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagInfo {
    pub env: String,
    pub name: String,
    /// `boolean`, `string`, `integer`, `float` or `object`.
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    #[serde(default)]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, when declared.
    #[serde(default)]
    pub expires: Option<String>,
    /// The value the env serves when no rule or rollout applies.
    pub value: serde_json::Value,
    /// The declared default (served while disabled).
    pub default: serde_json::Value,
    pub enabled: bool,
    /// True when rules or a rollout may serve other values to some users.
    #[serde(default)]
    pub targeted: bool,
    /// The latest run-time change, `null` when the value is the spec's.
    #[serde(default)]
    pub last_change: Option<FlagChangeInfo>,
}

/// `POST /v1/envs/{env}/flags/{name}`: sets the flag's env value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetFlagRequest {
    /// Must be of the flag's type.
    pub value: serde_json::Value,
    pub reason: String,
    /// Who asks (the CLI sends `$USER`).
    pub user: String,
}

/// One recorded run-time flag change (`daytwo flags history --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagChangeInfo {
    pub id: i64,
    pub env: String,
    pub name: String,
    pub old: serde_json::Value,
    pub new: serde_json::Value,
    pub user: String,
    pub reason: String,
    /// RFC 3339.
    pub at: String,
}

/// An incident as `daytwo incident list --json` prints it: something went
/// wrong in an env and daytwo acted (a canary rolled back by a guard, the
/// steady-state watch's remediation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub env: String,
    /// The release it is about (the canary's candidate).
    pub release: Option<ReleaseRef>,
    /// The deploy it happened in (`daytwo history` id), if any.
    pub deployment_id: Option<i64>,
    /// RFC 3339.
    pub opened_at: String,
    /// RFC 3339; `null` while open.
    pub closed_at: Option<String>,
    /// Open to close (to now while open).
    pub duration_ms: u64,
    /// The guard that raised it (`memory_growth`, `error_rate`, …).
    pub guard: Option<String>,
    pub summary: String,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// RFC 3339.
    pub time: String,
    /// Since the timeline's first entry.
    pub offset_ms: u64,
    /// The event kind (`canary.step`, `canary.guard_failed`, `flag.set`,
    /// `replica.restarted`, …).
    pub kind: String,
    pub message: String,
    /// `env/process.N` when the entry concerns one replica.
    pub replica: Option<String>,
}

/// `daytwo incident show --json`: the incident and what happened around it,
/// from its deploy's start (or its opening) to its close, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentTimeline {
    pub incident: Incident,
    pub timeline: Vec<TimelineEntry>,
}
