//! Keep-alive HTTP/1.1 connections to upstreams, pooled per data-plane
//! worker thread.
//!
//! Every worker thread runs its own single-threaded runtime (see
//! [`crate::workers`]), so each has its own pool in a thread-local: checking
//! a connection out or in takes no lock and touches no memory another core
//! writes. A connection is a hyper `SendRequest` whose connection task runs
//! on the same worker, so a request never wakes another thread.
//!
//! ```text
//! checkout(addr) ─┬─ an idle sender of this thread, most recently used first ─> ready? ─> use it
//!                 └─ none left: connect (timeout), handshake, spawn the connection task
//! response body finished ─> checkin: back to the idle list (dropped if the pool is full)
//! ```
//!
//! Idle connections are closed after [`UPSTREAM_IDLE_TIMEOUT`]
//! ([`sweep_idle`] runs every [`IDLE_SWEEP_INTERVAL`] on every worker), so
//! the connections to a replica that left the route table go away too.

use crate::body::UpstreamBody;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Idle pooled connections to an upstream are closed after this.
pub const UPSTREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often each worker closes connections idle for too long.
pub const IDLE_SWEEP_INTERVAL: Duration = Duration::from_secs(5);
/// Idle connections kept per upstream and worker; more are closed.
pub const MAX_IDLE_PER_UPSTREAM: usize = 512;

/// Why no connection to an upstream could be established.
#[derive(Debug)]
pub enum ConnectError {
    Refused,
    TimedOut,
}

/// A connection checked out of this thread's pool, ready for one request.
#[derive(Debug)]
pub struct PooledConnection {
    addr: SocketAddr,
    pub sender: SendRequest<UpstreamBody>,
    /// Taken from the idle list rather than connected for this request.
    pub reused: bool,
}

impl PooledConnection {
    /// Puts the connection back into this thread's pool for the next request
    /// (call once its response is complete).
    pub fn checkin(self) {
        if self.sender.is_closed() {
            return;
        }
        IDLE.with_borrow_mut(|idle| {
            let list = idle.entry(self.addr).or_default();
            if list.len() < MAX_IDLE_PER_UPSTREAM {
                list.push(IdleSender {
                    sender: self.sender,
                    since: Instant::now(),
                });
            }
        });
    }
}

struct IdleSender {
    sender: SendRequest<UpstreamBody>,
    since: Instant,
}

thread_local! {
    /// This worker's idle connections by upstream address; the last entry
    /// is the most recently used.
    static IDLE: RefCell<HashMap<SocketAddr, Vec<IdleSender>>> = RefCell::new(HashMap::new());
}

/// A connection to `addr` ready to send a request: an idle one of this
/// thread if one is still open, else a new one.
pub async fn checkout(
    addr: SocketAddr,
    connect_timeout: Duration,
) -> Result<PooledConnection, ConnectError> {
    while let Some(mut sender) = take_idle(addr) {
        // An idle sender is normally ready at once; it waits only while its
        // connection finishes reading the previous response's end.
        if sender.ready().await.is_ok() {
            return Ok(PooledConnection {
                addr,
                sender,
                reused: true,
            });
        }
    }
    connect(addr, connect_timeout).await
}

fn take_idle(addr: SocketAddr) -> Option<SendRequest<UpstreamBody>> {
    IDLE.with_borrow_mut(|idle| {
        let list = idle.get_mut(&addr)?;
        while let Some(entry) = list.pop() {
            if !entry.sender.is_closed() {
                return Some(entry.sender);
            }
        }
        None
    })
}

async fn connect(
    addr: SocketAddr,
    connect_timeout: Duration,
) -> Result<PooledConnection, ConnectError> {
    let stream = match tokio::time::timeout(connect_timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::TimedOut => {
            return Err(ConnectError::TimedOut);
        }
        Ok(Err(_)) => return Err(ConnectError::Refused),
        Err(_elapsed) => return Err(ConnectError::TimedOut),
    };
    let _ = stream.set_nodelay(true);
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| ConnectError::Refused)?;
    // Runs on this worker; ends when the upstream or the proxy closes the
    // connection, or after an upgrade (WebSocket) took the socket over.
    tokio::spawn(async move {
        let _ = connection.with_upgrades().await;
    });
    Ok(PooledConnection {
        addr,
        sender,
        reused: false,
    })
}

/// Closes this thread's connections idle for longer than
/// [`UPSTREAM_IDLE_TIMEOUT`], and forgets closed ones.
pub fn sweep_idle() {
    let now = Instant::now();
    IDLE.with_borrow_mut(|idle| {
        for list in idle.values_mut() {
            list.retain(|entry| {
                !entry.sender.is_closed() && now.duration_since(entry.since) < UPSTREAM_IDLE_TIMEOUT
            });
        }
        idle.retain(|_, list| !list.is_empty());
    });
}
