//! Configuration from the environment, read once at start.
//!
//! daytwo (or any supervisor) passes everything through env vars: `PORT` for
//! the web process, `DAYTWO_ENV` / `DAYTWO_RELEASE` / `DAYTWO_REPLICA` for the
//! replica's identity, `DAYTWO_FLAGS_*` / `DAYTWO_FLAG_*` for the feature
//! flags (read in `flags`), and the app's own `SHOP_*` vars. Reading goes through a
//! lookup function so tests never touch the process environment.

use crate::analytics::AnalyticsConfig;
use crate::flags::FlagsConfig;
use std::path::PathBuf;
use std::time::Duration;

/// The SQLite file used when neither `SHOP_DB` nor `DAYTWO_ENV` is set.
pub const DEFAULT_DB_PATH: &str = "shop.db";
/// How often `shop worker` looks for pending orders.
pub const DEFAULT_WORKER_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "PORT is not set; set it to the TCP port to listen on, e.g. PORT=8080 (0 picks a free port)"
    )]
    MissingPort,
    #[error("PORT={value:?} is not a TCP port; use a number from 0 to 65535")]
    InvalidPort { value: String },
    #[error(
        "DAYTWO_ENV={value:?} cannot name a database file; use letters, digits, `-` and `_`, or set SHOP_DB"
    )]
    InvalidEnvName { value: String },
    #[error("SHOP_WORKER_INTERVAL_MS={value:?} is not a positive number of milliseconds")]
    InvalidWorkerInterval { value: String },
    #[error("the flags URL {value:?} cannot be used: {reason}")]
    InvalidFlagsUrl { value: String, reason: String },
    #[error("{var}={value:?} is not a boolean flag value; use true or false")]
    InvalidFlagValue { var: String, value: String },
    #[error("SHOP_FLAGS_POLL_MS={value:?} is not a number of milliseconds of at least 100")]
    InvalidPollInterval { value: String },
    #[error("SHOP_ANALYTICS_BYTES={value:?} is not a number of bytes from 0 to 16777216")]
    InvalidAnalyticsBytes { value: String },
    #[error("SHOP_ANALYTICS_LOG_EVERY={value:?} is not a positive number of requests")]
    InvalidAnalyticsLogEvery { value: String },
    #[error("SHOP_ANALYTICS_FLUSH_MS={value:?} is not a number of milliseconds of at least 100")]
    InvalidAnalyticsFlush { value: String },
}

/// Who this replica is, as its supervisor told it. Missing vars stay `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// `DAYTWO_ENV`, e.g. `dev`.
    pub env: Option<String>,
    /// `DAYTWO_RELEASE`, e.g. `working-tree` or a bundle digest.
    pub release: Option<String>,
    /// `DAYTWO_REPLICA`, e.g. `dev/web.1`.
    pub replica: Option<String>,
}

impl Identity {
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Self {
        Self {
            env: lookup("DAYTWO_ENV"),
            release: lookup("DAYTWO_RELEASE"),
            replica: lookup("DAYTWO_REPLICA"),
        }
    }
}

/// Configuration of the web process (`shop` / `shop web`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebConfig {
    /// Port on 127.0.0.1; 0 lets the OS pick one (the startup line says which).
    pub port: u16,
    pub db_path: PathBuf,
    pub identity: Identity,
    /// Where the feature flags come from and their initial values.
    pub flags: FlagsConfig,
    pub analytics: AnalyticsConfig,
}

impl WebConfig {
    pub fn load(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let port = match lookup("PORT") {
            None => return Err(ConfigError::MissingPort),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| ConfigError::InvalidPort { value })?,
        };
        let identity = Identity::from_lookup(lookup);
        Ok(Self {
            port,
            db_path: db_path(lookup, &identity)?,
            identity,
            flags: FlagsConfig::load(lookup)?,
            analytics: AnalyticsConfig::load(lookup)?,
        })
    }
}

/// Configuration of the background process (`shop worker`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    pub db_path: PathBuf,
    pub interval: Duration,
    pub identity: Identity,
}

impl WorkerConfig {
    pub fn load(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let interval = match lookup("SHOP_WORKER_INTERVAL_MS") {
            None => DEFAULT_WORKER_INTERVAL,
            Some(value) => match value.trim().parse::<u64>() {
                Ok(ms) if ms > 0 => Duration::from_millis(ms),
                _ => return Err(ConfigError::InvalidWorkerInterval { value }),
            },
        };
        let identity = Identity::from_lookup(lookup);
        Ok(Self {
            db_path: db_path(lookup, &identity)?,
            interval,
            identity,
        })
    }
}

/// `SHOP_DB` if set; otherwise `shop.db` in `DAYTWO_DATA_DIR` (the env's
/// persistent directory daytwo gives every replica, kept across releases);
/// otherwise `shop-<DAYTWO_ENV>.db`, so each env run from the same directory
/// gets its own data; otherwise [`DEFAULT_DB_PATH`]. Relative paths are
/// relative to the working directory.
fn db_path(
    lookup: &impl Fn(&str) -> Option<String>,
    identity: &Identity,
) -> Result<PathBuf, ConfigError> {
    if let Some(path) = lookup("SHOP_DB").filter(|path| !path.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    if let Some(dir) = lookup("DAYTWO_DATA_DIR").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir).join("shop.db"));
    }
    match &identity.env {
        None => Ok(PathBuf::from(DEFAULT_DB_PATH)),
        Some(env) if is_file_name_safe(env) => Ok(PathBuf::from(format!("shop-{env}.db"))),
        Some(env) => Err(ConfigError::InvalidEnvName { value: env.clone() }),
    }
}

fn is_file_name_safe(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn web_requires_port() {
        assert_eq!(WebConfig::load(&vars(&[])), Err(ConfigError::MissingPort));
    }

    #[test]
    fn web_rejects_a_port_that_is_not_a_number() {
        assert_eq!(
            WebConfig::load(&vars(&[("PORT", "http")])),
            Err(ConfigError::InvalidPort {
                value: "http".into()
            })
        );
        assert!(WebConfig::load(&vars(&[("PORT", "70000")])).is_err());
    }

    #[test]
    fn db_path_prefers_shop_db_then_data_dir_then_env_then_default() {
        let explicit = WebConfig::load(&vars(&[
            ("PORT", "1"),
            ("SHOP_DB", "/tmp/x.db"),
            ("DAYTWO_ENV", "qa"),
        ]))
        .unwrap();
        assert_eq!(explicit.db_path, PathBuf::from("/tmp/x.db"));

        let data_dir = WebConfig::load(&vars(&[
            ("PORT", "1"),
            ("DAYTWO_DATA_DIR", "/h/data/qa"),
            ("DAYTWO_ENV", "qa"),
        ]))
        .unwrap();
        assert_eq!(data_dir.db_path, PathBuf::from("/h/data/qa/shop.db"));

        let per_env = WebConfig::load(&vars(&[("PORT", "1"), ("DAYTWO_ENV", "qa")])).unwrap();
        assert_eq!(per_env.db_path, PathBuf::from("shop-qa.db"));

        let default = WebConfig::load(&vars(&[("PORT", "1")])).unwrap();
        assert_eq!(default.db_path, PathBuf::from(DEFAULT_DB_PATH));
    }

    #[test]
    fn env_name_with_a_path_separator_is_refused_as_db_name() {
        assert!(matches!(
            WorkerConfig::load(&vars(&[("DAYTWO_ENV", "../etc")])),
            Err(ConfigError::InvalidEnvName { .. })
        ));
    }

    #[test]
    fn worker_interval_defaults_and_parses_milliseconds() {
        let default = WorkerConfig::load(&vars(&[])).unwrap();
        assert_eq!(default.interval, DEFAULT_WORKER_INTERVAL);
        let fast = WorkerConfig::load(&vars(&[("SHOP_WORKER_INTERVAL_MS", "100")])).unwrap();
        assert_eq!(fast.interval, Duration::from_millis(100));
        assert!(WorkerConfig::load(&vars(&[("SHOP_WORKER_INTERVAL_MS", "0")])).is_err());
    }

    #[test]
    fn identity_reads_daytwo_vars_and_leaves_missing_ones_empty() {
        let identity = Identity::from_lookup(&vars(&[
            ("DAYTWO_ENV", "dev"),
            ("DAYTWO_REPLICA", "dev/web.2"),
        ]));
        assert_eq!(identity.env.as_deref(), Some("dev"));
        assert_eq!(identity.release, None);
        assert_eq!(identity.replica.as_deref(), Some("dev/web.2"));
    }
}
