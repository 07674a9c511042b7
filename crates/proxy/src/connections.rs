//! Serving accepted client connections on the data-plane workers: HTTP/1.1
//! (keep-alive, upgrades) with hyper's http1 server, or HTTP/2 with prior
//! knowledge when the connection starts with the HTTP/2 preface; and the
//! drain that ends them when the process shuts down or hands over.
//!
//! The protocol is chosen by peeking at the first bytes (the kernel keeps
//! them for hyper), so HTTP/1.1 connections are served by the plain http1
//! server without the auto-detecting wrapper of every read.
//!
//! Drain: the accept loops stop first (the sockets stay open in the new
//! process, or close); open connections keep being served for
//! [`DRAIN_GRACE`] while responses carry `Connection: close`, so a client
//! that sends another request gets its answer and reconnects to the new
//! process; then idle connections are closed, and busy ones get until the
//! drain timeout to finish.

use crate::forward::{ClientConnection, DataPlane};
use crate::workers::Workers;
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
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
/// What an HTTP/2 client sends first (RFC 9113 §3.4).
const HTTP2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Bytes of the preface that tell it from any HTTP/1 request line.
const HTTP2_PREFACE_DISTINCT: usize = 4;
/// Wait between peeks while a client has sent only part of the distinct
/// bytes (rare: the request line normally arrives in one segment).
const PEEK_RETRY_PAUSE: Duration = Duration::from_millis(1);

/// Accepts client connections, hands them to the workers and tracks them.
#[derive(Debug, Clone)]
pub struct Connections {
    plane: Arc<DataPlane>,
    workers: Arc<Workers>,
    tracker: TaskTracker,
    drain: CancellationToken,
}

impl Connections {
    pub fn new(plane: Arc<DataPlane>, workers: Arc<Workers>) -> Self {
        Self {
            plane,
            workers,
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

    /// Moves the connection to the next worker and serves it there.
    fn serve(&self, stream: TcpStream, addr: SocketAddr, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        // Deregistered from this runtime, registered with the worker's.
        let Ok(stream) = stream.into_std() else {
            return;
        };
        let client = Arc::new(ClientConnection::new(Arc::clone(&self.plane), addr, peer));
        let job = serve_connection(stream, client, self.drain.clone());
        self.workers.spawn(self.tracker.track_future(job));
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

/// Serves one client connection (on a worker) until it closes or the drain
/// ends it.
async fn serve_connection(
    stream: std::net::TcpStream,
    client: Arc<ClientConnection>,
    drain: CancellationToken,
) {
    let Ok(stream) = TcpStream::from_std(stream) else {
        return;
    };
    let Some(http2) = starts_with_http2_preface(&stream).await else {
        return;
    };
    let service = service_fn(move |request| Arc::clone(&client).serve(request));
    let io = TokioIo::new(stream);
    if http2 {
        let connection = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .serve_connection(io, service);
        until_drained(connection, |c| c.graceful_shutdown(), drain).await;
    } else {
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .keep_alive(true)
            .serve_connection(io, service)
            .with_upgrades();
        until_drained(connection, |c| c.graceful_shutdown(), drain).await;
    }
}

/// Whether the client speaks HTTP/2 with prior knowledge; `None` if it
/// closed before saying anything.
async fn starts_with_http2_preface(stream: &TcpStream) -> Option<bool> {
    let mut start = [0u8; HTTP2_PREFACE_DISTINCT];
    loop {
        let seen = stream.peek(&mut start).await.ok()?;
        if seen == 0 {
            return None;
        }
        if start[..seen] != HTTP2_PREFACE[..seen] {
            return Some(false);
        }
        if seen == start.len() {
            return Some(true);
        }
        // Peeked data stays readable: wait for the rest instead of spinning.
        tokio::time::sleep(PEEK_RETRY_PAUSE).await;
    }
}

/// Drives `connection` to its end; once `drain` fires, serves it
/// [`DRAIN_GRACE`] more, then shuts it down gracefully (idle: at once;
/// busy: after its current response).
async fn until_drained<C: Future>(
    connection: C,
    graceful_shutdown: impl FnOnce(Pin<&mut C>),
    drain: CancellationToken,
) {
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = drain.cancelled() => {}
    }
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = tokio::time::sleep(DRAIN_GRACE) => {}
    }
    graceful_shutdown(connection.as_mut());
    let _ = connection.await;
}
