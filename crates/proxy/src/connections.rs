//! Serving accepted connections: HTTP/1.1 (keep-alive, upgrades) and HTTP/2
//! (prior knowledge) on the env listeners via hyper-util's auto builder, and
//! the drain that ends them when the process shuts down or hands over.
//!
//! Drain: the accept loops stop first (the sockets stay open in the new
//! process, or close); open connections keep being served for
//! [`DRAIN_GRACE`] while responses carry `Connection: close`, so a client
//! that sends another request gets its answer and reconnects to the new
//! process; then idle connections are closed, and busy ones get until the
//! drain timeout to finish.

use crate::forward::DataPlane;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Time open connections keep being served (with `Connection: close`) after
/// a drain started, before idle ones are closed.
pub const DRAIN_GRACE: Duration = Duration::from_millis(500);
/// Pause after an accept error (e.g. out of file descriptors).
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// Spawns and tracks the connections of every env listener.
#[derive(Debug, Clone)]
pub struct Connections {
    plane: Arc<DataPlane>,
    builder: auto::Builder<TokioExecutor>,
    tracker: TaskTracker,
    drain: CancellationToken,
}

impl Connections {
    pub fn new(plane: Arc<DataPlane>) -> Self {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).keep_alive(true);
        builder.http2().timer(TokioTimer::new());
        Self {
            plane,
            builder,
            tracker: TaskTracker::new(),
            drain: CancellationToken::new(),
        }
    }

    /// Accepts on `listener` (bound to `addr`) until `stop`.
    pub async fn accept_loop(
        self,
        listener: Arc<TcpListener>,
        addr: SocketAddr,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => self.serve(stream, addr, peer),
                    Err(_) => tokio::time::sleep(ACCEPT_ERROR_PAUSE).await,
                },
            }
        }
    }

    fn serve(&self, stream: TcpStream, addr: SocketAddr, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let plane = Arc::clone(&self.plane);
        let builder = self.builder.clone();
        let drain = self.drain.clone();
        self.tracker.spawn(async move {
            let service = service_fn(move |request| Arc::clone(&plane).handle(addr, peer, request));
            let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = drain.cancelled() => {}
            }
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = tokio::time::sleep(DRAIN_GRACE) => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }

    /// Starts the drain of every open connection and waits for them, at
    /// most `timeout`.
    pub async fn drain(&self, timeout: Duration) {
        self.plane.start_draining();
        self.drain.cancel();
        self.tracker.close();
        let _ = tokio::time::timeout(timeout, self.tracker.wait()).await;
    }
}
