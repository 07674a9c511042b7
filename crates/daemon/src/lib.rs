//! The daytwo daemon: the composition root that wires the store and the
//! engine behind the control API.
//!
//! ```text
//! CLI ──HTTP/JSON over $DAYTWO_HOME/daytwo.sock──> routes ──> engine (replicas)
//!                                                    │          │ EngineEvents
//!                                                    ├──> store <┘ (state.db)
//!                                                    └──> route_sync ──PUT /v1/routes──> proxy (own process)
//! ```
//!
//! It owns the daemon's life (`run`: lock the home, open the store, start the
//! engine, re-adopt the replicas a previous daemon left running, serve the
//! socket), the HTTP side of the control API (`daytwo_api` owns its types),
//! starting a daemon in the background for the CLI (`connect_or_start`),
//! and the proxy process beside it: `run_proxy` is the `daytwo proxy`
//! subcommand, which the daemon starts in the background and keeps fed with
//! complete route tables (`route_sync`).
//! It does not own signal handling: the caller (the `daytwo serve` command)
//! cancels the shutdown token.

mod adopt;
pub mod alerts;
mod api_error;
mod background;
mod daemon;
mod deploy_lock;
mod deploy_record;
mod deployer;
mod env_routes;
mod error;
mod flag_servers;
mod home;
mod incident_report;
mod local_target;
mod measurements;
mod migrate_phase;
mod migration_guard;
mod persist;
mod pre_stop;
mod proxy_process;
mod reconcile_at_start;
mod replica_info;
mod route_sync;
mod routes;
mod smoke;
mod store_handle;
mod telemetry;
mod warm;
mod watch;

pub use api_error::ApiError;
pub use background::{DAEMON_LOG_FILE, START_TIMEOUT, connect_or_start};
pub use daemon::{DaemonConfig, STORE_FILE, run};
pub use daytwo_proxy::ProxyError;
pub use deployer::WARM_WINDOW_VAR;
pub use error::DaemonError;
pub use flag_servers::{
    FLAG_VAR_PREFIX, FLAGS_TOKEN_FILE, FLAGS_TOKEN_VAR, FLAGS_URL_VAR, OFREP_ENDPOINT_VAR,
};
pub use home::{
    DATA_DIR, LOCK_FILE, create_env_data_dir, default_home, env_data_dir, env_database_url,
};
pub use incident_report::{incident_timeline, list_incidents};
pub use measurements::measured_behaviour;
pub use proxy_process::{PROXY_LOG_FILE, PROXY_START_TIMEOUT, ProxyStartError, run_proxy};
pub use telemetry::TELEMETRY_INTERVAL_VAR;
pub use telemetry::metrics_server::METRICS_ADDR_VAR;
pub use watch::{WATCH_USER, WATCH_WINDOW_VAR};
