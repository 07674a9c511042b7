//! The daytwo daemon: the composition root that wires the store and the
//! engine behind the control API.
//!
//! ```text
//! CLI ──HTTP/JSON over $DAYTWO_HOME/daytwo.sock──> routes ──> engine (replicas)
//!                                                    │          │ EngineEvents
//!                                                    └──> store <┘ (state.db)
//! ```
//!
//! It owns the daemon's life (`run`: lock the home, open the store, start the
//! engine, re-adopt the replicas a previous daemon left running, serve the
//! socket), the HTTP side of the control API (`daytwo_api` owns its types),
//! and starting a daemon in the background for the CLI (`connect_or_start`).
//! It does not own signal handling: the caller (the `daytwo serve` command)
//! cancels the shutdown token.

mod adopt;
mod api_error;
mod background;
mod daemon;
mod error;
mod home;
mod persist;
mod replica_info;
mod routes;
mod store_handle;

pub use api_error::ApiError;
pub use background::{DAEMON_LOG_FILE, START_TIMEOUT, connect_or_start};
pub use daemon::{DaemonConfig, STORE_FILE, run};
pub use error::DaemonError;
pub use home::{LOCK_FILE, default_home};
