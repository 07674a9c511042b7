//! The stable diagnostic codes. Scripts match on these (`daytwo check
//! --json`), so a code is never renamed; docs/spec.md lists them all.

/// The file is not valid TOML.
pub const TOML_SYNTAX: &str = "spec::toml_syntax";
/// A key the schema does not know (often a typo).
pub const UNKNOWN_KEY: &str = "spec::unknown_key";
/// A value of the wrong TOML type.
pub const WRONG_TYPE: &str = "spec::wrong_type";
/// A required key is absent (`[app] name`, a process `command`).
pub const MISSING_KEY: &str = "spec::missing_key";
/// `[app] name` is not lowercase letters, digits and `-`.
pub const INVALID_APP_NAME: &str = "spec::invalid_app_name";
/// A process or env name is not a simple identifier.
pub const INVALID_NAME: &str = "spec::invalid_name";
/// No `[process.NAME]` table.
pub const MISSING_PROCESSES: &str = "spec::missing_processes";
/// A `command` that is empty or only whitespace.
pub const EMPTY_COMMAND: &str = "spec::empty_command";
/// A duration that does not parse, or is zero where it must not be.
pub const INVALID_DURATION: &str = "spec::invalid_duration";
/// A size that does not parse, or is zero.
pub const INVALID_SIZE: &str = "spec::invalid_size";
/// `replicas` negative or above the maximum.
pub const INVALID_REPLICAS: &str = "spec::invalid_replicas";
/// The HTTP process has zero replicas (nothing would serve the listener).
pub const ZERO_HTTP_REPLICAS: &str = "spec::zero_http_replicas";
/// More than one process has `http = true`.
pub const MULTIPLE_HTTP_PROCESSES: &str = "spec::multiple_http_processes";
/// An `[env.NAME.process.P]` overlay names a process that does not exist.
pub const UNKNOWN_PROCESS: &str = "spec::unknown_process";
/// `[migrations] database` is not a `sqlite:` or `postgres://` URL.
pub const INVALID_DATABASE_URL: &str = "spec::invalid_database_url";
/// Two envs listen on the same port.
pub const DUPLICATE_PORT: &str = "spec::duplicate_port";
/// `listen` is not a socket address.
pub const INVALID_LISTEN: &str = "spec::invalid_listen";
/// `health` has none of `path`, `tcp`, `command`.
pub const MISSING_HEALTH_PROBE: &str = "spec::missing_health_probe";
/// `health` has more than one of `path`, `tcp`, `command`.
pub const AMBIGUOUS_HEALTH_PROBE: &str = "spec::ambiguous_health_probe";
/// `health.path` does not start with `/`.
pub const INVALID_HEALTH_PATH: &str = "spec::invalid_health_path";
/// A threshold that is zero or negative.
pub const INVALID_THRESHOLD: &str = "spec::invalid_threshold";
/// Warning: `health.timeout` is longer than `health.interval`.
pub const HEALTH_TIMEOUT_EXCEEDS_INTERVAL: &str = "spec::health_timeout_exceeds_interval";
/// `stop_signal` is not one of the supported signals.
pub const UNKNOWN_SIGNAL: &str = "spec::unknown_signal";
/// `${VAR}` names a variable that is not set and has no default.
pub const UNSET_VARIABLE: &str = "spec::unset_variable";
/// A malformed `${...}` (unterminated, or not a variable name).
pub const INVALID_INTERPOLATION: &str = "spec::invalid_interpolation";
/// An `environment` key that is not a valid environment variable name.
pub const INVALID_ENV_VAR_NAME: &str = "spec::invalid_env_var_name";
/// `restart.max_backoff` shorter than `restart.backoff`.
pub const INVALID_RESTART: &str = "spec::invalid_restart";
/// Warning: an env has `listen` but no process serves HTTP.
pub const LISTEN_WITHOUT_HTTP: &str = "spec::listen_without_http";
/// Warning: `environment` sets a variable the engine sets itself.
pub const RESERVED_ENV_VAR: &str = "spec::reserved_env_var";
/// `[build]` without a non-empty `artifacts` list.
pub const MISSING_ARTIFACTS: &str = "spec::missing_artifacts";
/// An artifact path that is empty, absolute or leaves the spec directory.
pub const INVALID_ARTIFACT: &str = "spec::invalid_artifact";
/// Warning: the same artifact listed twice.
pub const DUPLICATE_ARTIFACT: &str = "spec::duplicate_artifact";
/// No `daytwo.toml` in the directory or any parent.
pub const NOT_FOUND: &str = "spec::not_found";
/// The spec file could not be read.
pub const READ_FAILED: &str = "spec::read_failed";
/// `--env NAME` names an env the spec does not declare.
pub const UNKNOWN_ENV: &str = "spec::unknown_env";
/// `[rollout] strategy` is not `rolling`, `blue-green` or `canary`.
pub const UNKNOWN_STRATEGY: &str = "spec::unknown_strategy";
/// `[rollout] steps` empty, not strictly increasing, outside 1–100, or not
/// ending at 100.
pub const INVALID_STEPS: &str = "spec::invalid_steps";
/// A `[rollout.guards]` value out of its range (`alpha`, a tolerance, a
/// minimum count), or a latency guard that compares no quantile.
pub const INVALID_GUARD_VALUE: &str = "spec::invalid_guard_value";
/// `[rollout.guards] remediation` is not `alert`, `rollback` or
/// `flag-off NAME`, or NAME is not a boolean flag.
pub const INVALID_REMEDIATION: &str = "spec::invalid_remediation";
/// An `[alerts] webhooks` entry that is not an `http://` or `https://` URL.
pub const INVALID_WEBHOOK_URL: &str = "spec::invalid_webhook_url";
/// A Procfile line that is not `name: command`.
pub const PROCFILE_INVALID_LINE: &str = "procfile::invalid_line";
/// A Procfile that declares the same process twice.
pub const PROCFILE_DUPLICATE_PROCESS: &str = "procfile::duplicate_process";
/// A Procfile with no process at all.
pub const PROCFILE_EMPTY: &str = "procfile::empty";

/// Every code above, for docs and tests.
pub const ALL: &[&str] = &[
    TOML_SYNTAX,
    UNKNOWN_KEY,
    WRONG_TYPE,
    MISSING_KEY,
    INVALID_APP_NAME,
    INVALID_NAME,
    MISSING_PROCESSES,
    EMPTY_COMMAND,
    INVALID_DURATION,
    INVALID_SIZE,
    INVALID_REPLICAS,
    ZERO_HTTP_REPLICAS,
    MULTIPLE_HTTP_PROCESSES,
    UNKNOWN_PROCESS,
    DUPLICATE_PORT,
    INVALID_DATABASE_URL,
    INVALID_LISTEN,
    MISSING_HEALTH_PROBE,
    AMBIGUOUS_HEALTH_PROBE,
    INVALID_HEALTH_PATH,
    INVALID_THRESHOLD,
    HEALTH_TIMEOUT_EXCEEDS_INTERVAL,
    UNKNOWN_SIGNAL,
    UNSET_VARIABLE,
    INVALID_INTERPOLATION,
    INVALID_ENV_VAR_NAME,
    INVALID_RESTART,
    LISTEN_WITHOUT_HTTP,
    RESERVED_ENV_VAR,
    MISSING_ARTIFACTS,
    INVALID_ARTIFACT,
    DUPLICATE_ARTIFACT,
    NOT_FOUND,
    READ_FAILED,
    UNKNOWN_ENV,
    UNKNOWN_STRATEGY,
    INVALID_STEPS,
    INVALID_GUARD_VALUE,
    INVALID_REMEDIATION,
    INVALID_WEBHOOK_URL,
    PROCFILE_INVALID_LINE,
    PROCFILE_DUPLICATE_PROCESS,
    PROCFILE_EMPTY,
    // Flags (docs/flags.md).
    UNKNOWN_FLAG_TYPE,
    INVALID_FLAG_VALUE,
    UNKNOWN_VARIANT,
    INVALID_PERCENTAGE,
    INVALID_RULE,
    INVALID_EXPIRES,
    FLAG_EXPIRED,
    UNKNOWN_FLAG,
    EMPTY_DESCRIPTION,
];

// The flag codes live beside the flag model; they are spec codes like any other.
pub use crate::flag::flag_code::{
    EMPTY_DESCRIPTION, FLAG_EXPIRED, INVALID_EXPIRES, INVALID_FLAG_VALUE, INVALID_PERCENTAGE,
    INVALID_RULE, UNKNOWN_FLAG, UNKNOWN_FLAG_TYPE, UNKNOWN_VARIANT,
};
