//! How an [`crate::Engine`] is set up: where it keeps files and how often it looks.

use daytwo_types::ReplicaKey;
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// How often RSS and CPU of every replica are sampled.
pub const DEFAULT_SAMPLE_INTERVAL: Duration = Duration::from_secs(1);
/// A replica's log file is rotated when it would grow past this size.
pub const DEFAULT_LOG_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// Rotated log files kept per replica (`x.log.1` … `x.log.N`).
pub const DEFAULT_LOG_KEEP: u32 = 3;

/// Runs after a replica is marked `stopping` and before its stop signal is
/// sent: the daemon takes the replica out of routing and waits for its
/// in-flight requests (bounded by `timeout`, the replica's stop timeout).
pub trait PreStop: Send + Sync {
    fn before_stop(
        &self,
        key: ReplicaKey,
        timeout: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
}

/// A shared [`PreStop`] hook.
#[derive(Clone)]
pub struct PreStopHook(pub Arc<dyn PreStop>);

impl fmt::Debug for PreStopHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PreStopHook")
    }
}

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// `DAYTWO_HOME`: replica run dirs live in `home/run/<env>/<process>.<n>/`,
    /// logs in `home/logs/<env>/<process>.<n>.log`.
    pub home: PathBuf,
    /// Executable run as `<shim_exe> shim <config.json>`; the `daytwo` binary
    /// in production.
    pub shim_exe: PathBuf,
    pub sample_interval: Duration,
    pub log_max_bytes: u64,
    pub log_keep: u32,
    /// Awaited before every graceful stop (scale down, replacement, `down`,
    /// deploy retirement); `None` stops at once.
    pub pre_stop: Option<PreStopHook>,
}

impl EngineConfig {
    /// A config with the default interval and log rotation settings.
    pub fn new(home: PathBuf, shim_exe: PathBuf) -> Self {
        Self {
            home,
            shim_exe,
            sample_interval: DEFAULT_SAMPLE_INTERVAL,
            log_max_bytes: DEFAULT_LOG_MAX_BYTES,
            log_keep: DEFAULT_LOG_KEEP,
            pre_stop: None,
        }
    }
}
