//! The steady-state watch in the daemon: after promotion the guards keep
//! watching each env's serving release, and when a leak starts later (a
//! flag turned on, a slow cache) the env's declared remediation runs.
//!
//! ```text
//! supervisor (every 1 s): the store's envs ─> one EnvWatch task per env (ends with the env)
//! EnvWatch (every analysis_interval): serving release ─> telemetry ring window ─> SteadyWatch::look
//!    fires ─> incident + remediation (alert | flag-off NAME | rollback) + webhook alert (firing)
//!    clears ─> webhook alert (resolved) + incident closed
//! ```
//!
//! The statistics are `daytwo_rollout::analysis::SteadyWatch` (sans-io);
//! the samples come from the telemetry ring (`Telemetry::group_window`);
//! settings from each env's `[rollout.guards]` (`WatchConfig::from_spec`,
//! `analysis_interval`) and `[alerts] webhooks`, the window from
//! [`WATCH_WINDOW_VAR`]. docs/analysis.md describes the whole of it.

mod env_watch;
mod notify;
mod remediate;
mod settings;

pub(crate) use notify::alert_canary_guard;
pub use settings::WATCH_WINDOW_VAR;
pub(crate) use settings::WatchSettings;

use crate::deployer::Deployer;
use env_watch::EnvWatch;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The user the watch's own changes are recorded as (flag history,
/// deploy history).
pub const WATCH_USER: &str = "daytwo";
/// How often the supervisor looks for envs that appeared.
const SUPERVISE_INTERVAL: Duration = Duration::from_secs(1);

/// Starts the watch of every env, now and as envs appear; ends with
/// `shutdown`.
pub(crate) fn spawn(
    deployer: Deployer,
    settings: WatchSettings,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut watches: BTreeMap<String, JoinHandle<()>> = BTreeMap::new();
        loop {
            let names = match deployer.store.call(|store| store.envs()).await {
                Ok(records) => records
                    .into_iter()
                    .map(|record| record.name)
                    .collect::<BTreeSet<_>>(),
                Err(error) => {
                    tracing::warn!("the steady-state watch cannot list the envs: {error}");
                    BTreeSet::new()
                }
            };
            // A watch ends by itself when its env is gone.
            watches.retain(|_, task| !task.is_finished());
            for name in names {
                if let std::collections::btree_map::Entry::Vacant(slot) = watches.entry(name) {
                    let watch = EnvWatch::new(slot.key().clone(), deployer.clone(), settings);
                    slot.insert(tokio::spawn(watch.run(shutdown.child_token())));
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(SUPERVISE_INTERVAL) => {}
            }
        }
    })
}
