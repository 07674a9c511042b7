//! Integration tests of the proxy over real loopback sockets: real upstream
//! servers, the real proxy (`run` in-process, or the `daytwo-proxy` binary
//! for restart and handover).

mod balancing;
mod control;
mod drain;
mod failures;
mod handover;
mod headers;
mod metrics;
mod protocols;
mod retries;
mod support;
