//! The proxy process: [`run`] binds (or inherits) its sockets, serves the
//! env listeners, the control socket and the metrics endpoint, and on
//! shutdown or handover drains its connections.
//!
//! ```text
//! start ─> ask proxy-handover.sock ─┬─ answer: inherit sockets + table ─┐
//!                                   └─ none: bind proxy.sock, metrics ──┴─> serve ─> drain ─> exit
//! ```

use crate::access_log::AccessLog;
use crate::connections::Connections;
use crate::control;
use crate::control_api::{CONTROL_SOCKET_FILE, HANDOVER_SOCKET_FILE, INFO_FILE, ProxyInfo};
use crate::error::ProxyError;
use crate::forward::DataPlane;
use crate::handover::{self, HandoverState};
use crate::listener_set::ListenerSet;
use crate::metrics::MetricsRegistry;
use crate::metrics_endpoint;
use crate::routing::Routing;
use crate::workers::Workers;
use arc_swap::ArcSwap;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, UnixListener};
use tokio_util::sync::CancellationToken;

/// Time to establish a TCP connection to an upstream.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Time for an upstream's response headers (per listener overridable).
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);
/// Time in-flight requests get to finish when the process stops.
pub const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Loopback, port chosen by the kernel.
pub const DEFAULT_METRICS_ADDR: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);
/// Mode of the control and handover sockets: the owner only.
const SOCKET_MODE: u32 = 0o600;

/// How to run the proxy process.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// `DAYTWO_HOME`: holds `proxy.sock`, `proxy-handover.sock`, `proxy.json`.
    pub home: PathBuf,
    pub connect_timeout: Duration,
    pub response_timeout: Duration,
    pub drain_timeout: Duration,
    pub metrics_addr: SocketAddr,
    /// One line per request on stdout.
    pub access_log: bool,
    /// Data-plane threads, each with its own single-threaded runtime
    /// (default: one per CPU; at least one).
    pub workers: usize,
}

impl ProxyConfig {
    pub fn new(home: impl Into<PathBuf>) -> Self {
        Self {
            home: home.into(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            drain_timeout: DEFAULT_DRAIN_TIMEOUT,
            metrics_addr: DEFAULT_METRICS_ADDR,
            access_log: true,
            workers: default_workers(),
        }
    }
}

/// One data-plane worker per CPU.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// State shared by the control server, the metrics endpoint and handover.
#[derive(Debug)]
pub(crate) struct Shared {
    pub routing: Arc<ArcSwap<Routing>>,
    pub metrics: Arc<MetricsRegistry>,
    pub listeners: tokio::sync::Mutex<ListenerSet>,
    pub control_socket: PathBuf,
    pub metrics_addr: SocketAddr,
}

impl Shared {
    pub fn status(&self) -> ProxyInfo {
        let routing = self.routing.load();
        ProxyInfo {
            pid: std::process::id(),
            control_socket: self.control_socket.clone(),
            metrics_addr: self.metrics_addr,
            metrics_url: metrics_url(self.metrics_addr),
            generation: routing.table.generation,
            listeners: routing.table.listeners.iter().map(|l| l.addr).collect(),
        }
    }
}

fn metrics_url(addr: SocketAddr) -> String {
    format!("http://{addr}/metrics")
}

/// Runs the proxy until `shutdown`, or until a newer proxy process took its
/// sockets over; then drains open connections (at most the drain timeout)
/// and returns.
pub async fn run(config: ProxyConfig, shutdown: CancellationToken) -> Result<(), ProxyError> {
    std::fs::create_dir_all(&config.home).map_err(|source| ProxyError::CreateHome {
        path: config.home.clone(),
        source,
    })?;
    let control_path = config.home.join(CONTROL_SOCKET_FILE);
    let handover_path = config.home.join(HANDOVER_SOCKET_FILE);

    let ask = handover_path.clone();
    let inherited = tokio::task::spawn_blocking(move || handover::request(&ask))
        .await
        .map_err(|err| ProxyError::Handover {
            source: std::io::Error::other(err),
        })?
        .map_err(|source| ProxyError::Handover { source })?;

    let (control_listener, metrics_listener) = match &inherited {
        Some(inherited) => (
            to_tokio_unix(inherited.control.try_clone())?,
            to_tokio_tcp(inherited.metrics.try_clone())?,
        ),
        None => (
            bind_control(&control_path)?,
            bind_metrics(config.metrics_addr).await?,
        ),
    };
    let control_listener = Arc::new(control_listener);
    let metrics_listener = Arc::new(metrics_listener);
    let metrics_addr = metrics_listener
        .local_addr()
        .map_err(|source| ProxyError::BindMetrics {
            addr: config.metrics_addr,
            source,
        })?;

    let routing = Arc::new(ArcSwap::from_pointee(Routing::default()));
    let metrics = Arc::new(MetricsRegistry::new());
    let access_log = Arc::new(AccessLog::new(config.access_log));
    let plane = Arc::new(DataPlane::new(
        Arc::clone(&routing),
        Arc::clone(&access_log),
        config.connect_timeout,
    ));
    let workers = Arc::new(
        Workers::start(config.workers).map_err(|source| ProxyError::StartWorkers { source })?,
    );
    let connections = Connections::new(plane, Arc::clone(&workers));
    let mut listener_set = ListenerSet::new(
        connections.clone(),
        Arc::clone(&routing),
        Arc::clone(&metrics),
        config.response_timeout,
    );
    let mut ready = None;
    if let Some(inherited) = inherited {
        let mut sockets = Vec::new();
        for (addr, socket) in inherited.listeners.iter() {
            sockets.push((*addr, to_tokio_tcp(socket.try_clone())?));
        }
        listener_set.adopt(inherited.state.table.clone(), sockets);
        ready = Some(inherited);
    }
    let shared = Arc::new(Shared {
        routing,
        metrics,
        listeners: tokio::sync::Mutex::new(listener_set),
        control_socket: control_path.clone(),
        metrics_addr,
    });

    let stop = CancellationToken::new();
    let log_stop = CancellationToken::new();
    let log_task = tokio::spawn(Arc::clone(&access_log).run(log_stop.clone()));
    tokio::spawn(control::accept_loop(
        Arc::clone(&control_listener),
        Arc::clone(&shared),
        stop.clone(),
    ));
    tokio::spawn(metrics_endpoint::accept_loop(
        Arc::clone(&metrics_listener),
        Arc::clone(&shared),
        stop.clone(),
    ));
    let handed_over = CancellationToken::new();
    let handover_listener =
        bind_unix(&handover_path).map_err(|source| ProxyError::BindHandover {
            path: handover_path.clone(),
            source,
        })?;
    tokio::spawn(handover_loop(
        handover_listener,
        Arc::clone(&shared),
        Arc::clone(&control_listener),
        Arc::clone(&metrics_listener),
        handed_over.clone(),
        stop.clone(),
    ));
    write_info(&config.home, &shared.status())?;
    if let Some(inherited) = ready {
        // The old process stops accepting once it reads this.
        let _ = tokio::task::spawn_blocking(move || inherited.ready()).await;
    }

    tokio::select! {
        _ = shutdown.cancelled() => {}
        _ = handed_over.cancelled() => {}
    }
    stop.cancel();
    shared.listeners.lock().await.stop_accepting();
    connections.drain(config.drain_timeout).await;
    workers.stop().await;
    if !handed_over.is_cancelled() {
        remove_own_files(&config.home);
    }
    log_stop.cancel();
    let _ = log_task.await;
    Ok(())
}

/// Serves handover requests: at most one succeeds, then `handed_over`.
async fn handover_loop(
    listener: UnixListener,
    shared: Arc<Shared>,
    control: Arc<UnixListener>,
    metrics: Arc<TcpListener>,
    handed_over: CancellationToken,
    stop: CancellationToken,
) {
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        if stream.set_nonblocking(false).is_err() {
            continue;
        }
        let mut set = shared.listeners.lock().await;
        set.handing_over = true;
        let sockets = set.sockets();
        let state = HandoverState {
            table: set.table(),
            metrics_addr: shared.metrics_addr,
            listeners: sockets.iter().map(|(addr, _)| *addr).collect(),
        };
        let control = Arc::clone(&control);
        let metrics = Arc::clone(&metrics);
        let sent = tokio::task::spawn_blocking(move || {
            let listeners: Vec<Arc<TcpListener>> =
                sockets.into_iter().map(|(_, socket)| socket).collect();
            let fds = handover::borrow_all(&control, &metrics, &listeners);
            handover::send(stream, &state, &fds)
        })
        .await;
        if let Ok(Ok(true)) = sent {
            handed_over.cancel();
            return;
        }
        set.handing_over = false;
    }
}

fn to_tokio_tcp(socket: std::io::Result<std::net::TcpListener>) -> Result<TcpListener, ProxyError> {
    socket
        .and_then(|socket| {
            socket.set_nonblocking(true)?;
            TcpListener::from_std(socket)
        })
        .map_err(|source| ProxyError::Handover { source })
}

fn to_tokio_unix(
    socket: std::io::Result<std::os::unix::net::UnixListener>,
) -> Result<UnixListener, ProxyError> {
    socket
        .and_then(|socket| {
            socket.set_nonblocking(true)?;
            UnixListener::from_std(socket)
        })
        .map_err(|source| ProxyError::Handover { source })
}

fn bind_control(path: &Path) -> Result<UnixListener, ProxyError> {
    bind_unix(path).map_err(|source| ProxyError::BindControl {
        path: path.to_path_buf(),
        source,
    })
}

/// Binds a unix socket at `path` (replacing a stale file), owner-only.
fn bind_unix(path: &Path) -> std::io::Result<UnixListener> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err),
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(SOCKET_MODE))?;
    Ok(listener)
}

async fn bind_metrics(addr: SocketAddr) -> Result<TcpListener, ProxyError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ProxyError::BindMetrics { addr, source })
}

fn write_info(home: &Path, info: &ProxyInfo) -> Result<(), ProxyError> {
    let path = home.join(INFO_FILE);
    let temp = home.join(format!("{INFO_FILE}.{}", std::process::id()));
    let text = serde_json::to_string_pretty(info).map_err(std::io::Error::other);
    text.and_then(|text| std::fs::write(&temp, text))
        .and_then(|()| std::fs::rename(&temp, &path))
        .map_err(|source| ProxyError::WriteInfo { path, source })
}

/// Removes the socket files and `proxy.json` unless a newer process owns them.
fn remove_own_files(home: &Path) {
    let ours = ProxyInfo::load(home).is_ok_and(|info| info.pid == std::process::id());
    if ours {
        let _ = std::fs::remove_file(home.join(CONTROL_SOCKET_FILE));
        let _ = std::fs::remove_file(home.join(HANDOVER_SOCKET_FILE));
        let _ = std::fs::remove_file(home.join(INFO_FILE));
    }
}
