//! Errors of the engine's public operations, one variant per failing step.

use daytwo_types::ReplicaKey;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot create directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the shim config {path}")]
    WriteShimConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the shim {shim_exe} for replica {key}")]
    Spawn {
        key: ReplicaKey,
        shim_exe: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the shim of replica {key} failed before starting the command: {message}")]
    ShimFailed { key: ReplicaKey, message: String },
    #[error("the shim of replica {key} did not report the replica's pid within {timeout:?}")]
    ShimTimeout {
        key: ReplicaKey,
        timeout: std::time::Duration,
    },
    #[error("cannot allocate a free port on 127.0.0.1 for replica {key}")]
    AllocatePort {
        key: ReplicaKey,
        #[source]
        source: std::io::Error,
    },
    #[error("the engine has shut down")]
    ShutDown,
}
