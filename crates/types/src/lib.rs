//! The shared vocabulary of daytwo: the names and states that every other
//! crate talks about. Pure data with serde; no I/O, no parsing of files.
//!
//! ```text
//! spec ─┐
//! api  ─┼─> types
//! engine┘
//! ```

mod replica_state;

pub use replica_state::ReplicaState;

use serde::{Deserialize, Serialize};
use std::fmt;

/// Identifies one replica: the `index`-th copy (1-based) of `process` in `env`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReplicaKey {
    pub env: String,
    pub process: String,
    pub replica: u32,
}

impl ReplicaKey {
    pub fn new(env: impl Into<String>, process: impl Into<String>, replica: u32) -> Self {
        Self {
            env: env.into(),
            process: process.into(),
            replica,
        }
    }
}

impl fmt::Display for ReplicaKey {
    /// `env/process.N`, the form used in logs, events and `DAYTWO_REPLICA`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}.{}", self.env, self.process, self.replica)
    }
}

/// The release label of a working tree run by `daytwo up` (no built bundle).
pub const WORKING_TREE_RELEASE: &str = "working-tree";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_key_displays_as_env_process_index() {
        assert_eq!(ReplicaKey::new("dev", "web", 2).to_string(), "dev/web.2");
    }
}
