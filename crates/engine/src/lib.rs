//! The local target of daytwo: it runs an env's replicas as real processes on
//! this machine and keeps them the way the spec says.
//!
//! ```text
//! Engine (handle) ─mpsc─> engine actor ─spawns─> replica supervisor (one task per replica)
//!                                                   └─ `<shim_exe> shim` (own session) ─> sh -c "<command>" (own group, cgroup)
//! sampler task ─reads /proc every sample_interval─> status board (watch) <─ Engine::replicas()
//! ```
//!
//! The engine owns: spawning replicas through a per-replica shim, health
//! checks, restart backoff and crash loops, log capture and rotation (done by
//! the shim), RSS/CPU sampling, and memory limits (cgroup v2/v1, or an RSS
//! watchdog). It does not own persistence or any network API: it reports every
//! change worth keeping as an [`EngineEvent`] on a channel and the daemon
//! stores it. A restarted daemon hands the persisted [`ReplicaStatus`]es back
//! to [`Engine::adopt`].

mod backoff;
mod cgroup;
mod config;
mod engine;
mod error;
mod health_check;
mod log_file;
mod log_line;
mod log_reader;
mod port;
mod proc_stat;
mod replica;
mod replica_dir;
mod replica_env;
mod sampler;
pub mod shim;
mod status;
mod status_board;

pub use config::{
    DEFAULT_LOG_KEEP, DEFAULT_LOG_MAX_BYTES, DEFAULT_SAMPLE_INTERVAL, EngineConfig, PreStop,
    PreStopHook,
};
pub use engine::Engine;
pub use error::EngineError;
pub use log_line::{LogFilter, LogRecord, LogStreamKind};
pub use status::{EngineEvent, ReplicaStatus};
