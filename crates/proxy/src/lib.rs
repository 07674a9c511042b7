//! daytwo's data plane: an HTTP reverse proxy and load balancer serving
//! every environment's listener, run as its own process (`daytwo proxy`)
//! beside the control daemon so that a daemon crash or upgrade drops no
//! request.
//!
//! ```text
//! daemon ──PUT /v1/routes (whole table + generation)──> proxy.sock ─> ListenerSet (diff, bind) ─> ArcSwap<Routing>
//! client ──HTTP/1.1, h2c, WebSocket──> env listener ─> worker thread (one runtime per CPU)
//!        ─> forward: pick group (weight) ─> upstream (P2C least in flight) ─> the worker's keep-alive pool
//! ```
//!
//! The proxy knows nothing of specs or the daemon: it accepts a complete
//! [`RouteTable`] with a generation number and computes the diff itself.
//! It owns: listeners, the route table, weighted upstream groups, draining,
//! retries, metrics, its control protocol and socket handover to a newer
//! process. It does not do health checks: the daemon marks upstreams
//! `routable` or not.

mod access_log;
mod body;
mod client;
mod connections;
mod control;
pub mod control_api;
mod error;
mod forward;
mod handover;
mod headers;
mod listener_set;
mod metrics;
mod metrics_endpoint;
mod proxy;
mod route_table;
mod routing;
mod upstream_pool;
mod workers;

pub use client::{ProxyClient, ProxyClientError};
pub use control_api::{ControlErrorBody, InflightCount, ProxyInfo, PutRoutesResponse};
pub use error::ProxyError;
pub use forward::{MAX_ATTEMPTS, MAX_REPLAYABLE_BODY};
pub use metrics::{
    EnvMetrics, LATENCY_BUCKETS_SECONDS, LatencyBucket, MetricsSnapshot, ReleaseMetrics,
    RequestCounts, UpstreamMetrics,
};
pub use proxy::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_DRAIN_TIMEOUT, DEFAULT_METRICS_ADDR, DEFAULT_RESPONSE_TIMEOUT,
    ProxyConfig, run,
};
pub use route_table::{
    CANDIDATE_GROUP, Listener, RouteTable, RouteTableError, STABLE_GROUP, Upstream, UpstreamGroup,
};
