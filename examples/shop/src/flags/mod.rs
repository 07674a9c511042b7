//! Feature flags read over OFREP (the OpenFeature Remote Evaluation
//! Protocol) from the server daytwo runs for the replica's env.
//!
//! ```text
//! DAYTWO_FLAG_<NAME> ─> BoolFlag (AtomicBool, read on every request)
//!                          ^ refresher: bulk evaluate + If-None-Match, every poll interval
//!                          └──────────── and at once on an SSE `refetchEvaluation` event
//! ```
//!
//! A request only ever loads an atomic: the network is touched by one
//! background task, never on the request path. Without `DAYTWO_FLAGS_URL`
//! (or `OFREP_ENDPOINT`) a flag keeps its initial value for the process's
//! life. This module owns the flag values and their configuration; what a
//! flag switches is decided where it is read (`analytics`).

mod event_stream;
mod ofrep_client;
mod refresher;

use crate::config::{ConfigError, Identity};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

pub use ofrep_client::OfrepClient;

/// The kill switch of the analytics feature (`[flags.analytics]`).
pub const ANALYTICS: &str = "analytics";
/// Its value when neither the env var nor the server says otherwise; the
/// spec's `default`.
pub const ANALYTICS_DEFAULT: bool = false;
/// How often the flags are re-fetched when no change event arrives, so a
/// flip is seen within this long even without the event stream.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// The shortest poll interval accepted (the server's `minPollingIntervalMs`).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A boolean flag's current value, shared by the refresher (writer) and
/// the request path (reader). Cloning shares the value.
#[derive(Debug, Clone)]
pub struct BoolFlag {
    name: &'static str,
    value: Arc<AtomicBool>,
}

impl BoolFlag {
    pub fn new(name: &'static str, initial: bool) -> Self {
        Self {
            name,
            value: Arc::new(AtomicBool::new(initial)),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The current value: one atomic load, safe on the hot path.
    pub fn is_on(&self) -> bool {
        self.value.load(Ordering::Relaxed)
    }

    /// Stores `value` and returns the previous one.
    pub(crate) fn replace(&self, value: bool) -> bool {
        self.value.swap(value, Ordering::Relaxed)
    }
}

/// Where the flags come from: `DAYTWO_FLAGS_URL` (or the standard
/// `OFREP_ENDPOINT`), `DAYTWO_FLAGS_TOKEN`, `SHOP_FLAGS_POLL_MS`, and the
/// initial values `DAYTWO_FLAG_<NAME>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagsConfig {
    /// The OFREP base URL (`http://127.0.0.1:PORT`); `None`: no server.
    pub url: Option<String>,
    /// Sent as `Authorization: Bearer …` when set.
    pub token: Option<String>,
    pub poll_interval: Duration,
    /// `analytics` until the server answers.
    pub analytics: bool,
}

impl FlagsConfig {
    pub fn load(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let url = ["DAYTWO_FLAGS_URL", "OFREP_ENDPOINT"]
            .into_iter()
            .find_map(|name| lookup(name).filter(|url| !url.trim().is_empty()))
            .map(|url| {
                OfrepClient::check_base_url(&url)
                    .map(|()| url.trim().trim_end_matches('/').to_string())
                    .map_err(|reason| ConfigError::InvalidFlagsUrl { value: url, reason })
            })
            .transpose()?;
        let poll_interval = match lookup("SHOP_FLAGS_POLL_MS") {
            None => DEFAULT_POLL_INTERVAL,
            Some(value) => match value.trim().parse::<u64>().map(Duration::from_millis) {
                Ok(interval) if interval >= MIN_POLL_INTERVAL => interval,
                _ => return Err(ConfigError::InvalidPollInterval { value }),
            },
        };
        Ok(Self {
            url,
            token: lookup("DAYTWO_FLAGS_TOKEN").filter(|token| !token.is_empty()),
            poll_interval,
            analytics: initial_bool(lookup, ANALYTICS, ANALYTICS_DEFAULT)?,
        })
    }
}

/// The env var daytwo sets to a flag's value at start: `DAYTWO_FLAG_` and
/// the name upper-cased, `-` as `_`.
pub fn initial_value_var(name: &str) -> String {
    format!(
        "DAYTWO_FLAG_{}",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

fn initial_bool(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    let var = initial_value_var(name);
    match lookup(&var) {
        None => Ok(default),
        Some(value) => match value.trim() {
            "" => Ok(default),
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(ConfigError::InvalidFlagValue { var, value }),
        },
    }
}

/// Starts keeping `flags` up to date from the configured server, or logs
/// once that there is none and returns `None` (the flags then keep their
/// initial values). Must be called inside the tokio runtime.
pub fn start(
    config: &FlagsConfig,
    identity: &Identity,
    flags: Vec<BoolFlag>,
) -> Option<JoinHandle<()>> {
    let Some(url) = &config.url else {
        for flag in &flags {
            tracing::info!(
                flag = flag.name(),
                value = flag.is_on(),
                hint = "set DAYTWO_FLAGS_URL (daytwo does) to change it at run time",
                "flags not configured"
            );
        }
        return None;
    };
    let client = OfrepClient::new(url, config.token.clone(), context(identity));
    for flag in &flags {
        tracing::info!(
            flag = flag.name(),
            value = flag.is_on(),
            url = url.as_str(),
            poll_ms = config.poll_interval.as_millis() as u64,
            "flag initial value"
        );
    }
    Some(tokio::spawn(refresher::run(
        client,
        flags,
        config.poll_interval,
    )))
}

/// The evaluation context: the flags are evaluated once per replica, so the
/// replica is the targeting key (a percentage rollout splits replicas).
fn context(identity: &Identity) -> serde_json::Value {
    let mut context = serde_json::Map::new();
    let key = identity.replica.as_deref().unwrap_or(crate::APP_NAME);
    context.insert("targetingKey".into(), key.into());
    context.insert("app".into(), crate::APP_NAME.into());
    if let Some(env) = &identity.env {
        context.insert("env".into(), env.as_str().into());
    }
    if let Some(release) = &identity.release {
        context.insert("release".into(), release.as_str().into());
    }
    serde_json::Value::Object(context)
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
    fn initial_value_var_follows_daytwo_naming() {
        assert_eq!(initial_value_var("analytics"), "DAYTWO_FLAG_ANALYTICS");
        assert_eq!(initial_value_var("new-search"), "DAYTWO_FLAG_NEW_SEARCH");
    }

    #[test]
    fn without_any_var_there_is_no_server_and_the_default_applies() {
        let config = FlagsConfig::load(&vars(&[])).unwrap();
        assert_eq!(config.url, None);
        assert_eq!(config.token, None);
        assert_eq!(config.analytics, ANALYTICS_DEFAULT);
        assert_eq!(config.poll_interval, DEFAULT_POLL_INTERVAL);
    }

    #[test]
    fn daytwo_url_wins_over_ofrep_endpoint_and_loses_its_trailing_slash() {
        let config = FlagsConfig::load(&vars(&[
            ("DAYTWO_FLAGS_URL", "http://127.0.0.1:7001/"),
            ("OFREP_ENDPOINT", "http://127.0.0.1:9999"),
            ("DAYTWO_FLAGS_TOKEN", "t0k"),
            ("DAYTWO_FLAG_ANALYTICS", "true"),
        ]))
        .unwrap();
        assert_eq!(config.url.as_deref(), Some("http://127.0.0.1:7001"));
        assert_eq!(config.token.as_deref(), Some("t0k"));
        assert!(config.analytics);

        let standard = FlagsConfig::load(&vars(&[("OFREP_ENDPOINT", "http://h:1")])).unwrap();
        assert_eq!(standard.url.as_deref(), Some("http://h:1"));
    }

    #[test]
    fn refuses_urls_it_cannot_reach_and_values_that_are_not_booleans() {
        assert!(matches!(
            FlagsConfig::load(&vars(&[("DAYTWO_FLAGS_URL", "https://flags.example")])),
            Err(ConfigError::InvalidFlagsUrl { .. })
        ));
        assert!(matches!(
            FlagsConfig::load(&vars(&[("DAYTWO_FLAGS_URL", "127.0.0.1:7001")])),
            Err(ConfigError::InvalidFlagsUrl { .. })
        ));
        assert!(matches!(
            FlagsConfig::load(&vars(&[("DAYTWO_FLAG_ANALYTICS", "yes")])),
            Err(ConfigError::InvalidFlagValue { .. })
        ));
        assert!(matches!(
            FlagsConfig::load(&vars(&[("SHOP_FLAGS_POLL_MS", "10")])),
            Err(ConfigError::InvalidPollInterval { .. })
        ));
    }

    #[test]
    fn clones_share_one_value() {
        let flag = BoolFlag::new(ANALYTICS, true);
        let reader = flag.clone();
        assert!(flag.replace(false), "returns the previous value");
        assert!(!reader.is_on());
    }
}
