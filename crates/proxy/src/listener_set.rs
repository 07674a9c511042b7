//! The env listeners this process accepts on, and applying a route table to
//! them: the one place where tables are diffed. Listeners are identified by
//! address; a table binds the addresses it adds (all or nothing: on a bind
//! failure nothing changes), publishes the compiled routing in one atomic
//! swap, then stops accepting on the addresses it removed. Connections
//! already open on a removed listener are served to their end.

use crate::connections::Connections;
use crate::metrics::MetricsRegistry;
use crate::route_table::{RouteTable, RouteTableError};
use crate::routing::Routing;
use arc_swap::ArcSwap;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio_util::sync::CancellationToken;

/// Pending connections the kernel queues per listener.
pub const LISTEN_BACKLOG: u32 = 1024;

/// Why a route table was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Invalid(#[from] RouteTableError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("this proxy process is handing its sockets over to a new one; send the table again")]
    HandingOver,
}

/// What became of a table sent with `PUT /v1/routes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// Its generation is not newer than the current one: ignored.
    Stale,
}

struct BoundListener {
    socket: Arc<TcpListener>,
    stop: CancellationToken,
}

pub struct ListenerSet {
    bound: HashMap<SocketAddr, BoundListener>,
    connections: Connections,
    routing: Arc<ArcSwap<Routing>>,
    metrics: Arc<MetricsRegistry>,
    default_response_timeout: Duration,
    applied_once: bool,
    /// Set while (and after) the sockets are handed to a new process.
    pub handing_over: bool,
}

impl std::fmt::Debug for ListenerSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerSet")
            .field("bound", &self.bound.keys().collect::<Vec<_>>())
            .field("handing_over", &self.handing_over)
            .finish()
    }
}

impl ListenerSet {
    pub fn new(
        connections: Connections,
        routing: Arc<ArcSwap<Routing>>,
        metrics: Arc<MetricsRegistry>,
        default_response_timeout: Duration,
    ) -> Self {
        Self {
            bound: HashMap::new(),
            connections,
            routing,
            metrics,
            default_response_timeout,
            applied_once: false,
            handing_over: false,
        }
    }

    pub fn generation(&self) -> u64 {
        self.routing.load().table.generation
    }

    pub fn table(&self) -> RouteTable {
        self.routing.load().table.clone()
    }

    /// The listening sockets, in the order of the table's listeners.
    pub fn sockets(&self) -> Vec<(SocketAddr, Arc<TcpListener>)> {
        self.routing
            .load()
            .table
            .listeners
            .iter()
            .filter_map(|listener| {
                self.bound
                    .get(&listener.addr)
                    .map(|bound| (listener.addr, Arc::clone(&bound.socket)))
            })
            .collect()
    }

    /// Applies `table` if it is newer than the current one.
    pub async fn apply(&mut self, table: RouteTable) -> Result<ApplyOutcome, ApplyError> {
        if self.handing_over {
            return Err(ApplyError::HandingOver);
        }
        if self.applied_once && table.generation <= self.generation() {
            return Ok(ApplyOutcome::Stale);
        }
        table.validate()?;
        let mut added = Vec::new();
        for listener in &table.listeners {
            if self.bound.contains_key(&listener.addr) {
                continue;
            }
            match bind(listener.addr) {
                Ok(socket) => added.push((listener.addr, socket)),
                Err(source) => {
                    return Err(ApplyError::Bind {
                        addr: listener.addr,
                        source,
                    });
                }
            }
        }
        self.install(table, added);
        Ok(ApplyOutcome::Applied)
    }

    /// Takes over a table and its already-bound sockets (from the process
    /// that handed them over).
    pub fn adopt(&mut self, table: RouteTable, sockets: Vec<(SocketAddr, TcpListener)>) {
        self.install(table, sockets);
    }

    fn install(&mut self, table: RouteTable, added: Vec<(SocketAddr, TcpListener)>) {
        let wanted: HashSet<SocketAddr> = table.listeners.iter().map(|l| l.addr).collect();
        let keep: HashSet<(String, String, String)> = table
            .listeners
            .iter()
            .flat_map(|listener| {
                listener.groups.iter().flat_map(move |group| {
                    group.upstreams.iter().map(move |upstream| {
                        (
                            listener.env.clone(),
                            upstream.id.clone(),
                            upstream.release.clone(),
                        )
                    })
                })
            })
            .collect();
        let routing = Routing::compile(table, &self.metrics, self.default_response_timeout);
        // Publish the routes before accepting on new listeners, so their
        // first request finds its env.
        self.routing.store(Arc::new(routing));
        self.applied_once = true;
        for (addr, socket) in added {
            let socket = Arc::new(socket);
            let stop = CancellationToken::new();
            tokio::spawn(self.connections.clone().accept_loop(
                Arc::clone(&socket),
                addr,
                stop.clone(),
            ));
            self.bound.insert(addr, BoundListener { socket, stop });
        }
        self.bound.retain(|addr, bound| {
            let keep = wanted.contains(addr);
            if !keep {
                bound.stop.cancel();
            }
            keep
        });
        self.metrics.retain_upstreams(|env, id, release| {
            keep.contains(&(env.to_string(), id.to_string(), release.to_string()))
        });
    }

    /// Stops accepting on every listener.
    pub fn stop_accepting(&mut self) {
        for bound in self.bound.values() {
            bound.stop.cancel();
        }
        self.bound.clear();
    }
}

fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
