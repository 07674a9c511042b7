//! What the engine tells a shim: written as JSON to the replica's run dir and
//! passed as the shim's only argument.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShimConfig {
    /// Run as `sh -c "<command>"`.
    pub command: String,
    /// Working directory of the command.
    pub dir: PathBuf,
    /// The complete environment of the command.
    pub env: BTreeMap<String, String>,
    /// Where `pid`, `exit` and `error` files are written.
    pub run_dir: PathBuf,
    pub log_path: PathBuf,
    pub log_max_bytes: u64,
    pub log_keep: u32,
    /// A memory cgroup directory to join before starting the command.
    pub cgroup: Option<PathBuf>,
}
