//! The wire types of the proxy's control protocol (HTTP/JSON over
//! `$DAYTWO_HOME/proxy.sock`), shared by the server and [`crate::ProxyClient`]:
//!
//! | request | answer |
//! |---|---|
//! | `PUT /v1/routes` + [`crate::RouteTable`] | [`PutRoutesResponse`] |
//! | `GET /v1/routes` | [`crate::RouteTable`] |
//! | `GET /v1/metrics` | [`crate::MetricsSnapshot`] |
//! | `GET /v1/inflight?upstream=ID` | [`InflightCount`] |
//! | `GET /v1/inflight` | `Vec<InflightCount>` |
//! | `GET /v1/status` | [`ProxyInfo`] |
//!
//! Errors answer with a 4xx/5xx status and a [`ControlErrorBody`].

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub use crate::metrics::InflightCount;

/// The control socket, relative to `DAYTWO_HOME`.
pub const CONTROL_SOCKET_FILE: &str = "proxy.sock";
/// The socket a new proxy process asks for the listening sockets.
pub const HANDOVER_SOCKET_FILE: &str = "proxy-handover.sock";
/// Where the running proxy describes itself ([`ProxyInfo`]).
pub const INFO_FILE: &str = "proxy.json";

/// The answer to `PUT /v1/routes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutRoutesResponse {
    /// False when the table's generation was not newer than the current one.
    pub applied: bool,
    /// The generation in use after the request.
    pub generation: u64,
}

/// Stable error codes of the control protocol.
pub mod error_code {
    pub const INVALID_TABLE: &str = "invalid_table";
    pub const BIND_FAILED: &str = "bind_failed";
    pub const HANDOVER: &str = "handover";
    pub const BAD_REQUEST: &str = "bad_request";
    pub const NOT_FOUND: &str = "not_found";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlErrorBody {
    pub code: String,
    pub message: String,
}

/// The running proxy, as written to `$DAYTWO_HOME/proxy.json` and answered
/// by `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxyInfo {
    pub pid: u32,
    pub control_socket: PathBuf,
    pub metrics_addr: SocketAddr,
    /// `http://<metrics_addr>/metrics`, Prometheus text format.
    pub metrics_url: String,
    /// Generation of the route table in use (0 in `proxy.json`, which is
    /// written at start).
    #[serde(default)]
    pub generation: u64,
    #[serde(default)]
    pub listeners: Vec<SocketAddr>,
}

impl ProxyInfo {
    /// Reads `$home/proxy.json`.
    pub fn load(home: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(home.join(INFO_FILE))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }
}
