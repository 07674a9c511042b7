//! The errors of starting and running the proxy process.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("cannot create the state directory {path}: {source}")]
    CreateHome {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on the control socket {path}: {source}")]
    BindControl {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on the metrics address {addr}: {source}")]
    BindMetrics {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot listen on the handover socket {path}: {source}")]
    BindHandover {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("taking the sockets over from the running proxy failed: {source}")]
    Handover { source: std::io::Error },
    #[error("cannot start the data-plane worker threads: {source}")]
    StartWorkers { source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    WriteInfo {
        path: PathBuf,
        source: std::io::Error,
    },
}
